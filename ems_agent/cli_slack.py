"""`ems-agent slack`: the Slack bot, over Socket Mode or as an HTTP endpoint, until Ctrl-C."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import typer

from ems_agent.app import build_agent, slack_deps
from ems_agent.cli import JsonFlag, app, context, err, friendly_errors, print_json
from ems_agent.cli_agent import ModelOption


@app.command()
@friendly_errors
def slack(
    socket: Annotated[
        bool,
        typer.Option(
            "--socket/--http",
            help="Socket Mode (needs SLACK_APP_TOKEN, no public URL) or an HTTP endpoint "
            "Slack posts to (needs SLACK_SIGNING_SECRET).",
        ),
    ] = True,
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="HTTP mode: port (0: any free one).")
    ] = 3000,
    host: Annotated[str, typer.Option(help="HTTP mode: address to listen on.")] = "127.0.0.1",
    model: ModelOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the Slack bot until Ctrl-C: mentions, direct messages, /ems and incident buttons."""
    from connectors.notify.slack import web_client
    from ems_agent.cli_live import wait_for_stop
    from ems_agent.settings import require_secret
    from slack_bot.bot import BotStats, build_slack_app, connect_socket_mode, serve_http

    ctx = context()
    # Every secret the chosen mode needs is checked before anything starts.
    token = require_secret("SLACK_BOT_TOKEN", "ems-agent slack")
    if socket:
        app_token = require_secret("SLACK_APP_TOKEN", "ems-agent slack --socket")
        signing = None
    else:
        signing = require_secret("SLACK_SIGNING_SECRET", "ems-agent slack --http")
    client = web_client(token, ctx.settings.slack_api_url)
    stats = BotStats()
    agent = build_agent(ctx, model=model, user="slack", role=ctx.settings.slack_default_role)
    bolt = build_slack_app(
        slack_deps(ctx, agent), client=client, signing_secret=signing, stats=stats
    )
    stop = wait_for_stop()
    result: dict[str, Any] = {"mode": "socket" if socket else "http", "model": agent.backend.name}
    if socket:
        handler = connect_socket_mode(bolt, app_token)
        err.print(f"Slack bot connected in Socket Mode (model {agent.backend.name}); Ctrl-C stops")
        try:
            stop.wait()
        finally:
            handler.close()  # type: ignore[no-untyped-call]
    else:
        server = serve_http(bolt, signing or "", host, port)
        result["url"] = f"http://{host}:{server.server_port}/slack/events"
        worker = threading.Thread(target=server.serve_forever, name="slack-http", daemon=True)
        worker.start()
        err.print(
            f"Slack bot listening on {result['url']} (model {agent.backend.name}); Ctrl-C stops"
        )
        try:
            stop.wait()
        finally:
            server.shutdown()
            server.server_close()
            worker.join(5)
    result |= {"answered": stats.answered, "failed": stats.failed, "actions": stats.actions}
    if as_json:
        print_json(result)
    else:
        err.print(
            f"stopped: {stats.answered} answers, {stats.failed} failed, "
            f"{stats.actions} button presses"
        )
