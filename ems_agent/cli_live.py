"""Live-data commands: the embedded broker, the MQTT ingestor, and `up`, which runs everything."""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from ems_agent.cli import app, context, err, friendly_errors, print_json

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from agent.watcher import Watcher
    from api.app import ApiHandle
    from chat_ui.app import UIHandle
    from connectors.ingest import IngestCore
    from connectors.mqtt import MqttConfig, MqttIngest
    from ems_agent.app import App
    from store.catalog import SiteRef

StatusEvery = Annotated[
    float, typer.Option(help="Seconds between status lines on stderr (0: none).")
]


def wait_for_stop() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM, so services stop cleanly either way."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def mqtt_config(ctx: App, url: str | None, share_group: str | None) -> MqttConfig:
    from connectors.mqtt import MqttConfig

    settings = ctx.settings
    target = url or settings.mqtt_url or f"mqtt://127.0.0.1:{settings.mqtt_port}"
    external = bool(url or settings.mqtt_url)
    protocol = settings.mqtt_protocol or (5 if external else 311)
    return MqttConfig(
        url=target,
        client_id=settings.mqtt_client_id,
        share_group=share_group or settings.mqtt_share_group,
        protocol=protocol,
    )


@app.command()
@friendly_errors
def broker(
    port: Annotated[
        int | None, typer.Option(help="Port on 127.0.0.1 (default EMS_MQTT_PORT).")
    ] = None,
) -> None:
    """Run the embedded MQTT broker on 127.0.0.1 until Ctrl-C."""
    from connectors.broker import EmbeddedBroker

    ctx = context()
    embedded = EmbeddedBroker(ctx.settings.home, port or ctx.settings.mqtt_port)
    stop = wait_for_stop()
    embedded.start()
    err.print(f"embedded MQTT broker on {embedded.url}; log in {embedded.log_path}")
    try:
        while not stop.wait(0.5):
            if embedded.process is None or embedded.process.poll() is not None:
                err.print("[red]the broker stopped; see its log[/]")
                raise typer.Exit(1)
    finally:
        embedded.stop()


@app.command()
@friendly_errors
def ingest(
    mqtt_url: Annotated[
        str | None, typer.Option(help="Broker URL (default EMS_MQTT_URL, else embedded).")
    ] = None,
    share_group: Annotated[
        str | None, typer.Option(help="MQTT 5 shared-subscription group.")
    ] = None,
    status_every: StatusEvery = 30.0,
    batch_size: Annotated[int, typer.Option(min=1, help="Messages per write.")] = 5000,
    batch_seconds: Annotated[
        float, typer.Option(min=0.05, help="Longest a reading waits before it is written.")
    ] = 1.0,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print final health as JSON.")] = False,
) -> None:
    """Run the MQTT ingestor until Ctrl-C: topics ems/<site>/<meter>/<metric> into the store."""
    from connectors import health
    from connectors.ingest_process import make_ingestor
    from connectors.mqtt import MqttIngest

    ctx = context()
    config = mqtt_config(ctx, mqtt_url, share_group)
    ingestor = make_ingestor(
        ctx.engine,
        timezone=ctx.settings.timezone,
        writer=ctx.settings.ingest_writer,
        batch_size=batch_size,
        batch_seconds=batch_seconds,
    )
    service = MqttIngest(config, ingestor)
    stop = wait_for_stop()
    config.endpoint()  # a bad URL is reported before anything starts
    service.start()
    err.print(f"ingesting from {config.url} ({service.topic_filter}); Ctrl-C stops")
    if service.subscribed.wait(15):
        err.print("subscribed")
    else:
        err.print(f"[yellow]not connected to {config.url} yet; retrying in the background[/]")
    metrics = health.Metrics(metrics_port) if metrics_port else None
    reporter = health.Reporter(ctx.engine, config.client_id, metrics)
    last = time.monotonic()
    try:
        while not stop.wait(0.5):
            reporter.maybe(ingestor.health, service.connected.is_set())
            if status_every and time.monotonic() - last >= status_every:
                h = ingestor.health
                err.print(
                    f"{h.messages:,} messages, {h.readings:,} readings stored "
                    f"({h.rate():,.0f}/s), {h.dead_letters:,} dead letters, "
                    f"lag {h.last_lag_seconds:,.0f} s, "
                    f"{'connected' if service.connected.is_set() else 'reconnecting'}"
                )
                last = time.monotonic()
    finally:
        service.stop()
        reporter.close(ingestor.health)
    h = ingestor.health
    if as_json:
        print_json(
            {
                "messages": h.messages,
                "readings": h.readings,
                "dead_letters": h.dead_letters,
                "batches": h.batches,
            }
        )
    else:
        err.print(f"stopped: {h.readings:,} readings stored, {h.dead_letters:,} dead letters")


@app.command()
@friendly_errors
def simulate(
    live: Annotated[bool, typer.Option("--live", help="Publish the demo plant over MQTT.")] = False,
    speed: Annotated[
        float, typer.Option(min=1, help="Replay pace while catching up with the clock.")
    ] = 1.0,
    since: Annotated[
        str | None,
        typer.Option("--from", help="Start here (ISO 8601) and replay at --speed up to now."),
    ] = None,
    mqtt_url: Annotated[str | None, typer.Option(help="Broker URL (default: as ingest).")] = None,
    seed: Annotated[
        int | None, typer.Option(help="Simulator seed (default EMS_DEMO_SEED).")
    ] = None,
) -> None:
    """Publish the demo plant's meters over MQTT as they would report, until Ctrl-C."""
    from connectors.live import LiveSimulator

    if not live:
        err.print(
            "nothing to do: pass --live to publish over MQTT (`ems-agent demo` loads history)"
        )
        raise typer.Exit(2)
    ctx = context()
    config = mqtt_config(ctx, mqtt_url, None)
    start = int(datetime.fromisoformat(since).timestamp()) if since else None
    simulator = LiveSimulator(
        config, seed=ctx.settings.demo_seed if seed is None else seed, speed=speed, start=start
    )
    stop = wait_for_stop()
    err.print(f"publishing the demo plant to {config.url} at {speed:g}x; Ctrl-C stops")
    simulator.run(stop)
    err.print(f"stopped after {simulator.published:,} readings")


def _demo_history(ctx: App, days: int) -> tuple[SiteRef, int]:
    """The demo plant loaded once (with a progress bar); its site and last reading."""
    from connectors.demo import apply_demo_catalogue, has_data, load_demo
    from connectors.plant import demo_plant
    from ems_agent.cli import progress_bar, progress_callback
    from ems_agent.cli_data import meters
    from store import catalog, queries

    site = demo_plant().site
    if has_data(ctx.engine, site):
        apply_demo_catalogue(ctx.engine)  # a newer plant file reaches an existing store
    else:
        with progress_bar(True) as bar:
            load_demo(
                ctx.engine, seed=ctx.settings.demo_seed, days=days, progress=progress_callback(bar)
            )
    meters(site=site, as_json=False)
    with ctx.engine.connect() as conn:
        site_ref = catalog.get_site(conn, site)
        ids = [s.id for _, s in catalog.list_series(conn, site_ref.id)]
        last = max((st.last_ts or 0) for st in queries.series_stats(conn, ids).values())
    return site_ref, last


def _watcher(ctx: App, site: SiteRef) -> Watcher:
    """The watcher over the demo site; building it indexes the starter library (once)."""
    from ems_agent.cli_incidents import start_watcher

    return start_watcher(ctx, ctx.contexts(site.name).pinned())


class _BackgroundWatcher:
    """First start: the history is watched as if the watcher had always run (incidents for the
    demo's past faults); then the watcher runs on its schedule until stopped."""

    def __init__(
        self, watcher: Watcher, interval_s: float, catch_up_days: int, history_end: int
    ) -> None:
        self.watcher = watcher
        self.history_end = history_end
        self.interval_s = interval_s
        self.catch_up_days = catch_up_days
        self.stopping = threading.Event()
        self.scheduler: BackgroundScheduler | None = None
        self.thread = threading.Thread(target=self._run, name="ems-watcher", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)

    def _run(self) -> None:
        caught_up = False
        if not self.watcher.has_run() and self.catch_up_days > 0:
            caught_up = self._catch_up()
        if not self.stopping.is_set():
            # After a catch-up the first live run waits one interval: the live simulator is
            # still replaying the hours since the history ended, and a run now would take
            # that lag for meter outages.
            self.scheduler = self.watcher.schedule(self.interval_s, start_now=not caught_up)

    def _catch_up(self) -> bool:
        from datetime import timedelta

        # Up to the end of the loaded history, not the clock: live data is still on its way.
        end = datetime.fromtimestamp(self.history_end, self.watcher.now().tzinfo)
        start = end - timedelta(days=self.catch_up_days)
        err.print(f"watcher: checking the last {self.catch_up_days} days of history ...")

        def progress(_stage: str, done: int, total: int) -> None:
            if done % 10 == 0 or done == total:
                err.print(f"watcher: {done}/{total} weeks of history checked")

        try:
            reports = self.watcher.catch_up(start, end, progress=progress, stop=self.stopping)
        except Exception as exc:  # the live services go on without the history checked
            err.print(f"[red]watcher: checking the history failed: {exc}[/]", highlight=False)
            return False
        opened = sum(len(r.opened) for r in reports)
        err.print(f"watcher: history checked, {opened} incident(s) opened")
        return True


@app.command()
@friendly_errors
def up(
    days: Annotated[int, typer.Option(help="Days of demo history to load on first start.")] = 365,
    speed: Annotated[
        float, typer.Option(min=1, help="Pace at which the live simulator catches up to now.")
    ] = 1000.0,
    status_every: StatusEvery = 30.0,
    page: Annotated[bool, typer.Option("--ui/--no-ui", help="Serve the chat page.")] = True,
    serve_api: Annotated[
        bool, typer.Option("--api/--no-api", help="Serve the HTTP API and MCP beside the page.")
    ] = True,
    watch: Annotated[bool, typer.Option("--watch/--no-watch", help="Run the watcher.")] = True,
    catch_up_days: Annotated[
        int, typer.Option(min=0, help="On first start, days of history the watcher checks.")
    ] = 365,
) -> None:
    """Start everything on the embedded defaults until Ctrl-C: the demo plant (loaded once),
    the knowledge library, the MQTT broker, the ingestor, the live simulator continuing the
    demo's history, the watcher, the chat page and the HTTP API."""
    from connectors.broker import EmbeddedBroker
    from connectors.ingest_process import make_ingestor
    from connectors.live import LiveSimulator
    from connectors.mqtt import MqttIngest
    from ems_agent.cli_api import start_api
    from ems_agent.cli_ui import start_ui

    ctx = context()
    site_ref, last = _demo_history(ctx, days)
    watcher = _watcher(ctx, site_ref) if watch else None
    stop = wait_for_stop()
    embedded = (
        None if ctx.settings.mqtt_url else EmbeddedBroker(ctx.settings.home, ctx.settings.mqtt_port)
    )
    config = mqtt_config(ctx, None, None)
    ingestor = make_ingestor(
        ctx.engine, timezone=site_ref.timezone, writer=ctx.settings.ingest_writer
    )
    service = MqttIngest(config, ingestor)
    simulator = LiveSimulator(config, seed=ctx.settings.demo_seed, speed=speed, start=last + 900)
    runner = threading.Thread(target=simulator.run, args=(stop,), name="ems-live-simulator")
    handle: UIHandle | None = None
    api_handle: ApiHandle | None = None
    background: _BackgroundWatcher | None = None
    try:
        if embedded is not None:
            embedded.start()
        service.start()
        # The simulator starts once the broker holds the subscription: what it published
        # before would be delivered to no one.
        service.subscribed.wait(10)
        runner.start()
        err.print(
            f"up: broker {config.url}, ingesting {service.topic_filter}, live simulator from the "
            f"end of the history at {speed:g}x until it reaches now"
        )
        if page:
            handle = start_ui(ctx, site=site_ref.name)
        if serve_api:
            api_handle = start_api(ctx)
            err.print(f"HTTP API: {api_handle.url}/api/v1 (docs {api_handle.url}/api/docs)")
        if watcher is not None:
            background = _BackgroundWatcher(
                watcher, ctx.settings.watch_interval_s, catch_up_days, last + 900
            )
            background.start()
        if handle is not None:
            err.print(f"[bold]chat page: {handle.url}[/]  (Ctrl-C stops everything)")
        _supervise(ctx, config.client_id, ingestor, service, runner, stop, status_every)
    finally:
        stop.set()
        if background is not None:
            background.stop()
        if handle is not None:
            handle.close()
        if api_handle is not None:
            api_handle.close()
        if runner.is_alive():
            runner.join(timeout=15)
        service.stop()
        if embedded is not None:
            embedded.stop()
    err.print(f"stopped cleanly: {ingestor.health.readings:,} live readings stored")


def _supervise(
    ctx: App,
    client_id: str,
    ingestor: IngestCore,
    service: MqttIngest,
    runner: threading.Thread,
    stop: threading.Event,
    status_every: float,
) -> None:
    """Report health until Ctrl-C, or until the live simulator stops."""
    from connectors import health

    last_status = time.monotonic()
    reporter = health.Reporter(ctx.engine, client_id)
    while not stop.wait(0.5):
        reporter.maybe(ingestor.health, service.connected.is_set())
        if not runner.is_alive():
            err.print("[red]the live simulator stopped[/]")
            break
        if status_every and time.monotonic() - last_status >= status_every:
            h = ingestor.health
            err.print(f"{h.readings:,} live readings stored, {h.dead_letters:,} dead letters")
            last_status = time.monotonic()


@app.command()
@friendly_errors
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Health of the ingestors (rate, lag, batch time, dead letters) and of the store."""
    from sqlalchemy import func, select

    from connectors import health
    from ems_agent.cli import make_table, out
    from store.schema import DeadLetter, Reading

    ctx = context()
    ingestors = health.load_all(ctx.engine)
    with ctx.engine.connect() as conn:
        letters = int(conn.execute(select(func.count()).select_from(DeadLetter)).scalar_one())
        newest = conn.execute(select(func.max(Reading.ts))).scalar()
    now = time.time()
    for values in ingestors.values():
        values["stale"] = now - float(values.get("updated_ts", 0)) > 60
    result = {
        "database": ctx.engine.url.render_as_string(),
        "dead_letters": letters,
        "newest_reading_age_seconds": None if newest is None else round(now - newest),
        "ingestors": ingestors,
    }
    if as_json:
        print_json(result)
        return
    out.print(f"store      {result['database']}")
    age = result["newest_reading_age_seconds"]
    out.print(f"newest     {'no readings' if age is None else f'{age:,} s ago'}")
    out.print(f"dead       {letters:,} dead letters (see the dead_letters table)")
    table = make_table(
        "ingestor",
        "connected",
        "readings",
        "per s",
        "lag s",
        "batch s",
        "dead",
        "failed commits",
        "updated",
    )
    for name, v in ingestors.items():
        table.add_row(
            name,
            "stale" if v["stale"] else str(v["connected"]).lower(),
            f"{v['readings']:,}",
            f"{v['readings_per_second']:,}",
            f"{v['lag_seconds']:,}",
            f"{v['batch_seconds']}",
            f"{v['dead_letters']:,}",
            f"{v.get('store_failures', 0):,}",
            str(v["updated"])[:19],
        )
    out.print(table if ingestors else "no ingestor has reported yet (ems-agent ingest or up)")
