"""The chat web page (Gradio Blocks): log in to an overview of the site, ask the agent and see
each answer's evidence beside it, confirm its writes by buttons, keep conversations, and watch
meters, incidents and alert rules, live."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import gradio as gr

from agent.loop import Agent
from chat_ui.page import Page
from chat_ui.ranges import PRESETS
from chat_ui.style import CSS, HEAD, THEME
from common.errors import EMSError

log = logging.getLogger(__name__)

EXAMPLES = [
    "What was the site's peak demand last week?",
    "Which meters used the most energy last month?",
    "What did the site's energy cost last month?",
    "Anything unusual last week?",
    "Forecast the site's demand for the next 24 hours",
]
LOGIN_FAILURES = 10  # per name within LOGIN_WINDOW_S, then logins for it are refused a while
LOGIN_WINDOW_S = 300.0
LIVE_S = 30.0  # how often the page asks whether a quarter-hour passed or readings arrived
# A chart's bars are buttons; a click (or Enter) on one drills into its period.
DRILL_JS = """element.addEventListener('click', (e) => {
  const bar = e.target.closest('button.bar');
  if (bar) trigger('select', {start: bar.dataset.start});
});"""


class PortInUse(EMSError):
    """The chat page's port is taken by another program."""


@dataclass(frozen=True)
class UiSettings:
    """Where the page listens, and the file that lists each person's conversations."""

    host: str = "127.0.0.1"
    port: int = 7860
    threads_path: Path = Path(".ems/chat_threads.db")


class Account(Protocol):
    """A person who may log in."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...


class Accounts(Protocol):
    """Who may log in to the page, and with which role (the root's users)."""

    def find(self, name: str) -> Account | None: ...
    def authenticate(self, name: str, password: str) -> Account | None: ...
    def ensure_first_admin(self) -> Account | None: ...


@dataclass(frozen=True)
class UiDeps:
    """What the page is handed by the root: the agent (whose turn contexts carry the site and
    the clock), the users, and its settings."""

    agent: Agent
    accounts: Accounts
    settings: UiSettings


@dataclass
class _Evidence:
    """The components of the evidence panel, updated together."""

    caption: gr.Markdown
    plot: gr.Plot
    tables: gr.HTML
    citations: gr.Markdown
    calls: gr.JSON

    def outputs(self) -> list[Any]:
        return [self.caption, self.plot, self.tables, self.citations, self.calls]


@dataclass
class _Chat:
    """The Ask tab's components."""

    new: gr.Button
    threads: gr.Radio
    title: gr.Textbox
    rename: gr.Button
    delete: gr.Button
    chatbot: gr.Chatbot
    box: gr.Textbox
    send: gr.Button
    pending: gr.HTML
    decide: gr.Row
    confirm: gr.Button
    cancel: gr.Button
    evidence: _Evidence


@dataclass
class _Ranges:
    """The time-range picker: a preset, or custom first and last days."""

    preset: gr.Dropdown
    first: gr.Textbox
    last: gr.Textbox

    def inputs(self) -> list[Any]:
        return [self.preset, self.first, self.last]


@dataclass
class _Incidents:
    """The Incidents tab: filters, the list as plain HTML, paging, and one set of controls made
    at build time, so their event ids stay the same however often the list is redrawn."""

    tab: gr.Tab
    state: gr.Radio
    severity: gr.CheckboxGroup
    meter: gr.Dropdown
    period: gr.Textbox
    page: gr.Number
    position: gr.Markdown
    previous: gr.Button
    next: gr.Button
    cards: gr.HTML
    controls: gr.Column
    viewer_note: gr.Markdown
    pick: gr.Dropdown
    note: gr.Textbox
    acknowledge: gr.Button
    add_note: gr.Button
    resolve: gr.Button
    result: gr.Markdown

    def filters(self) -> list[Any]:
        return [self.state, self.severity, self.meter, self.period, self.page]

    def view(self) -> list[Any]:
        return [self.cards, self.position, self.pick]

    def wire(self, page: Page) -> None:
        # One at a time, in the order sent: a redraw that began before a click cannot land
        # after it and show the incident as it was before.
        queued: dict[str, Any] = {"concurrency_id": "incidents", "concurrency_limit": 1}
        listed = [*self.view(), self.page]
        for changed in (self.state.change, self.severity.change, self.meter.change):
            changed(page.refilter, self.filters(), listed, **queued)
        self.period.submit(page.refilter, self.filters(), listed, **queued)
        self.tab.select(page.refresh_incidents, self.filters(), listed, **queued)
        self.previous.click(page.pager(-1), self.filters(), listed, **queued)
        self.next.click(page.pager(+1), self.filters(), listed, **queued)
        acted = [*listed, self.result, self.note]
        for button, action in (
            (self.acknowledge, "acknowledge"),
            (self.add_note, "note"),
            (self.resolve, "resolve"),
        ):
            inputs = [self.pick, self.note, *self.filters()]
            button.click(page.acter(action), inputs, acted, **queued)


def _range_picker(suffix: str) -> _Ranges:
    with gr.Row(equal_height=True, elem_classes="range-row"):
        chosen = gr.Dropdown(
            [(label, key) for key, label in PRESETS.items()],
            value="today",
            label="Time range",
            scale=2,
            min_width=150,
            elem_id=f"range-{suffix}",
        )
        first = gr.Textbox(
            label="From (custom)",
            placeholder="YYYY-MM-DD",
            scale=1,
            min_width=120,
            elem_id=f"range-first-{suffix}",
        )
        last = gr.Textbox(
            label="To (custom)",
            placeholder="YYYY-MM-DD",
            scale=1,
            min_width=120,
            elem_id=f"range-last-{suffix}",
        )
    return _Ranges(chosen, first, last)


def _ask_tab() -> _Chat:
    with gr.Row(equal_height=False, elem_classes="ask-row"):
        with gr.Column(scale=4, min_width=300, elem_classes="chat-column"):
            chatbot = gr.Chatbot(
                height="52vh",
                show_label=False,
                elem_id="chat",
                layout="bubble",
                feedback_options=None,
                buttons=["copy"],
                placeholder="Ask about your meters: energy, peak demand, costs, baselines, "
                "anomalies, forecasts …",
            )
            pending = gr.HTML(elem_id="pending")
            with gr.Row(visible=False, elem_id="decide") as decide:
                confirm = gr.Button("Confirm", variant="primary", elem_id="confirm")
                cancel = gr.Button("Cancel", variant="secondary", elem_id="cancel")
            with gr.Row(equal_height=True):
                box = gr.Textbox(
                    placeholder="Ask a question, e.g. What did the site's energy cost yesterday?",
                    show_label=False,
                    scale=6,
                    elem_id="question",
                    autofocus=True,
                    lines=1,
                )
                send = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="ask")
            gr.Examples(EXAMPLES, inputs=[box], label="Try")
        with gr.Column(scale=1, min_width=220, elem_classes="sidebar"):
            new = gr.Button("+ New conversation", variant="secondary")
            threads = gr.Radio(choices=[], label="Your conversations", elem_classes="thread-list")
            title = gr.Textbox(label="Title of the chosen conversation", elem_id="thread-title")
            with gr.Row():
                rename = gr.Button("Rename", size="sm", elem_id="thread-rename")
                delete = gr.Button("Delete", size="sm", variant="stop", elem_id="thread-delete")
        with gr.Column(scale=4, min_width=300, elem_classes="evidence"):
            ev = _Evidence(
                gr.Markdown(
                    "Ask a question: the numbers behind each answer appear here.",
                    elem_id="evidence-caption",
                ),
                gr.Plot(visible=False, show_label=False, elem_id="evidence-chart"),
                gr.HTML(elem_id="evidence-tables"),
                gr.Markdown(elem_id="evidence-citations"),
                gr.JSON(label="Tool calls", render=False),
            )
            # Downloads of the shown answer's tables (CSV, Excel) arrive with the exports; their
            # buttons go here, fed by the same evidence as the tables above.
            gr.Row(elem_id="evidence-exports", visible=False)
            with gr.Accordion("Tool calls (arguments and results)", open=False):
                ev.calls.render()  # type: ignore[no-untyped-call]
    return _Chat(
        new,
        threads,
        title,
        rename,
        delete,
        chatbot,
        box,
        send,
        pending,
        decide,
        confirm,
        cancel,
        ev,
    )


def _incidents_tab() -> _Incidents:
    with gr.Tab("Incidents", id="incidents") as tab:
        with gr.Row(equal_height=True, elem_classes="triage-filters"):
            state = gr.Radio(
                [
                    ("Open and acknowledged", "active"),
                    ("Open", "open"),
                    ("Acknowledged", "acknowledged"),
                    ("Resolved", "resolved"),
                    ("All", "all"),
                ],
                value="active",
                label="State",
                elem_id="incident-filter",
            )
            severity = gr.CheckboxGroup(
                ["critical", "warning", "info"], label="Severity", elem_id="incident-severity"
            )
            meter = gr.Dropdown(
                choices=[("any meter", "")], value="", label="Meter", elem_id="incident-meter"
            )
            period = gr.Textbox(
                label="Period (Enter to apply)",
                placeholder="e.g. last month",
                elem_id="incident-period",
            )
        with gr.Row(equal_height=True, elem_classes="triage-pager"):
            position = gr.Markdown(elem_id="incident-position")
            previous = gr.Button("Previous", size="sm", scale=0, elem_id="incident-previous")
            nxt = gr.Button("Next", size="sm", scale=0, elem_id="incident-next")
            page = gr.Number(value=0, visible=False, precision=0)
        # Hidden until the page load has looked up the person's role.
        with gr.Column(visible=False, elem_id="incident-controls") as controls:
            with gr.Row(equal_height=True):
                pick = gr.Dropdown(
                    choices=[],
                    value=None,
                    label="Incident",
                    allow_custom_value=True,  # a pick gone stale is refused in words, not a toast
                    scale=2,
                    elem_id="incident-pick",
                )
                note = gr.Textbox(
                    label="Note",
                    placeholder="What was found or done (needed to resolve)",
                    scale=3,
                    elem_id="incident-note",
                )
                with gr.Column(scale=1, min_width=160):
                    acknowledge = gr.Button(
                        "Acknowledge", size="md", elem_id="incident-acknowledge"
                    )
                    add_note = gr.Button("Add note", size="md", elem_id="incident-add-note")
                    resolve = gr.Button(
                        "Resolve", size="md", variant="primary", elem_id="incident-resolve"
                    )
            result = gr.Markdown(elem_id="incident-result")
        viewer_note = gr.Markdown(
            "You can read incidents; acknowledging and resolving them needs the operator role.",
            visible=False,
            elem_classes="panel-note",
            elem_id="incident-viewer-note",
        )
        cards = gr.HTML(elem_id="incidents")
    return _Incidents(
        tab,
        state,
        severity,
        meter,
        period,
        page,
        position,
        previous,
        nxt,
        cards,
        controls,
        viewer_note,
        pick,
        note,
        acknowledge,
        add_note,
        resolve,
        result,
    )


@dataclass
class _Layout:
    who: gr.HTML
    overview: gr.HTML
    overview_ranges: _Ranges
    meters_tab: gr.Tab
    meters: gr.HTML
    meter_ranges: _Ranges
    refresh: gr.Button
    rules_tab: gr.Tab
    rules: gr.Dataframe


def _overview_tab() -> tuple[gr.HTML, _Ranges]:
    with gr.Tab("Overview", id="overview"):
        ranges = _range_picker("overview")
        shown = gr.HTML(elem_id="overview", js_on_load=DRILL_JS)
        # The monthly report and the overview's tables as files arrive with the reports; their
        # buttons go here.
        gr.Row(elem_id="overview-exports", visible=False)
    return shown, ranges


def build_ui(deps: UiDeps) -> gr.Blocks:
    """The page over the agent it is handed (its turn contexts carry the clock)."""
    page = Page(deps)
    blocks = gr.Blocks(title="EMS agent", analytics_enabled=False, fill_width=True)
    with blocks:
        thread, messages, answered = gr.State(None), gr.State([]), gr.State({})
        span, seen = gr.State(""), gr.State("")
        with gr.Row(elem_classes="topbar", equal_height=True):
            gr.HTML('<div class="brand">⚡ EMS agent</div>', elem_classes="brand-box")
            who = gr.HTML("", elem_classes="who-box")
            gr.Button("Log out", link="/logout", size="sm", scale=0, elem_classes="logout")
        with gr.Tabs(selected="overview"):
            overview, overview_ranges = _overview_tab()
            with gr.Tab("Ask", id="ask"):
                chat = _ask_tab()
            with gr.Tab("Meters", id="meters") as meters_tab:
                meter_ranges = _range_picker("meters")
                meters = gr.HTML(elem_id="meters")
                refresh = gr.Button("Refresh", size="sm", scale=0, min_width=120)
            incidents = _incidents_tab()
            with gr.Tab("Alert rules", id="rules") as rules_tab:
                rules = gr.Dataframe(interactive=False, elem_id="rules", wrap=True)
                gr.Markdown(
                    "Create or change rules by asking in the chat, e.g. *alert me when METER's "
                    "SEC goes above 0.42 kWh/unit* (operators and admins). A new rule watches "
                    "from now on; ask for a back-test to see what it would have raised before.",
                    elem_classes="panel-note",
                )
        layout = _Layout(
            who,
            overview,
            overview_ranges,
            meters_tab,
            meters,
            meter_ranges,
            refresh,
            rules_tab,
            rules,
        )
        _wire(blocks, page, layout, chat, incidents, (thread, messages, answered, span, seen))
    return blocks


def _wire(
    blocks: gr.Blocks,
    page: Page,
    ui: _Layout,
    chat: _Chat,
    incidents: _Incidents,
    states: tuple[gr.State, ...],
) -> None:
    thread, messages, answered, span, seen = states
    ev = chat.evidence.outputs()
    shown = incidents
    loaded = [
        ui.who,
        chat.threads,
        thread,
        span,
        shown.controls,
        shown.viewer_note,
        shown.meter,
        seen,
    ]
    # The page is ready once the cheap first event is drawn; the overview follows it.
    blocks.load(page.load, None, loaded).then(page.show_overview, [span], [ui.overview])
    decided = [chat.pending, chat.decide]
    asked = [chat.chatbot, chat.box, messages, answered, chat.threads, thread, *decided, *ev]
    for submitted in (chat.box.submit, chat.send.click):
        submitted(page.submit, [chat.box, messages, answered, thread], asked, concurrency_limit=4)
    for button, answer in ((chat.confirm, "yes"), (chat.cancel, "no")):
        button.click(page.decider(answer), [messages, answered, thread], asked, concurrency_limit=4)
    cleared = [chat.chatbot, messages, answered, chat.threads, thread, *decided, *ev]
    chat.new.click(page.new_conversation, None, cleared)
    opened = [chat.chatbot, messages, answered, thread, *decided, *ev]
    chat.threads.input(page.open_thread, [chat.threads], opened)
    chat.rename.click(page.rename, [thread, chat.title], [chat.threads, chat.title])
    chat.delete.click(page.delete, [thread], cleared)
    chat.chatbot.select(page.pick, [answered], ev)
    views = [span, ui.overview, ui.meters]
    for ranges, other in (
        (ui.overview_ranges, ui.meter_ranges),
        (ui.meter_ranges, ui.overview_ranges),
    ):
        for changed in (ranges.preset.input, ranges.first.submit, ranges.last.submit):
            changed(page.pick_range, ranges.inputs(), [*views, other.preset])
    ui.overview.select(page.drill, [span], [*views, ui.overview_ranges.preset])
    for trigger in (ui.meters_tab.select, ui.refresh.click):
        trigger(page.show_meters, [span], [ui.meters])
    ui.rules_tab.select(page.show_rules, None, [ui.rules])
    gr.Timer(LIVE_S).tick(page.tick, [span, seen], [*views, seen])
    incidents.wire(page)


def login_check(accounts: Accounts) -> Callable[[str, str], Awaitable[bool]]:
    """Gradio's `auth=` callable: Argon2 checks off the event loop, and a name with many
    recent failures is refused for a while (a slow brake on password guessing)."""
    failures: dict[str, list[float]] = {}

    async def check(name: str, password: str) -> bool:
        now = time.monotonic()
        recent = [t for t in failures.get(name, []) if now - t < LOGIN_WINDOW_S]
        if len(recent) >= LOGIN_FAILURES:
            log.warning(
                "login for %r refused: %d failures in %.0f s", name, len(recent), LOGIN_WINDOW_S
            )
            return False
        try:
            user = await asyncio.to_thread(accounts.authenticate, name, password)
        except EMSError as exc:
            log.error("login for %r failed: %s", name, exc)
            return False
        if user is None:
            failures[name] = [*recent, now]
            log.info("failed login for %r", name)
            return False
        failures.pop(name, None)
        return True

    return check


@dataclass
class UIHandle:
    """A running chat page."""

    url: str
    blocks: gr.Blocks

    def close(self) -> None:
        self.blocks.close(verbose=False)


def serve(deps: UiDeps, host: str | None = None, port: int | None = None) -> UIHandle:
    """Start the page on host:port (the settings' host and port by default) in the background."""
    blocks = build_ui(deps)  # first: a store without data fails here
    deps.accounts.ensure_first_admin()
    blocks.queue(default_concurrency_limit=4)
    host = host or deps.settings.host
    port = port or deps.settings.port
    try:
        _, url, _ = blocks.launch(
            server_name=host,
            server_port=port,
            # launch() is typed for a plain function, but awaits a coroutine function too
            auth=cast(Any, login_check(deps.accounts)),
            auth_message="Log in with the account your energy team gave you.",
            prevent_thread_lock=True,
            share=False,
            quiet=True,
            show_error=False,
            footer_links=[],
            run_history=False,
            ssr_mode=False,
            mcp_server=False,
            enable_monitoring=False,
            theme=THEME,
            css=CSS,
            head=HEAD,
        )
    except OSError as exc:
        raise PortInUse(
            f"cannot serve the chat page on {host}:{port} ({exc}); choose another with "
            "--port or EMS_UI_PORT"
        ) from None
    return UIHandle(url, blocks)
