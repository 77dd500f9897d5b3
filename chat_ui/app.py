"""The chat web page (Gradio Blocks): log in, ask the agent and see each answer's evidence beside
it, keep conversations, and watch meters, incidents and alert rules."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import gradio as gr

from agent.evidence import RULE_COLUMNS, evidence
from agent.loop import Agent, Reply
from chat_ui import panels
from chat_ui.charts import figure
from chat_ui.chat import (
    Answered,
    Message,
    answer_messages,
    citations_markdown,
    evidence_for,
    tables_html,
    thread_messages,
)
from chat_ui.style import CSS, THEME
from chat_ui.threads import ThreadIndex, new_thread_id
from common.errors import EMSError, NoSite, SiteNotChosen
from common.roles import at_least
from tools.base import ToolContext

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
JSON_ITEMS = 24  # longer lists in the tool-call view are cut; the tables and charts keep all


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


def _trimmed(value: Any) -> Any:
    """Tool calls for display: long lists (672 quarter-hours) cut to their first items."""
    if isinstance(value, dict):
        return {k: _trimmed(v) for k, v in value.items()}
    if isinstance(value, list):
        head = [_trimmed(v) for v in value[:JSON_ITEMS]]
        return [*head, f"… {len(value) - JSON_ITEMS} more"] if len(value) > JSON_ITEMS else head
    return value


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

    @staticmethod
    def show(answered: Answered | None) -> tuple[Any, ...]:
        if answered is None or (answered.evidence.empty and not answered.evidence.tool_calls):
            note = "Ask a question: the numbers behind each answer appear here."
            if answered is not None:
                note = (
                    f"**{answered.question}**: no tools were needed, so there is nothing to show."
                )
            return (note, gr.Plot(value=None, visible=False), "", "", [])
        ev = answered.evidence
        fig = figure(ev.charts)
        caption = f"Evidence for **{answered.question}**"
        if ev.empty:
            caption += "  \nNo numbers to show: the tool calls are below."
        return (
            caption,
            gr.Plot(value=fig, visible=fig is not None),
            tables_html(ev),
            citations_markdown(ev),
            _trimmed(ev.tool_calls),
        )


class _Page:
    """The page's handlers; every one looks up the person and their role for each request."""

    def __init__(self, deps: UiDeps) -> None:
        self.agent = deps.agent
        self.accounts = deps.accounts
        self.threads = ThreadIndex(deps.settings.threads_path)

    # ------------------------------------------------------------------ who and when

    def user(self, request: gr.Request | None) -> Account:
        name = request.username if request is not None else None
        found = self.accounts.find(name) if name else None
        if found is None:
            raise gr.Error("You are not logged in, or your account was removed; log in again.")
        return found

    def ctx(self, user: Account) -> ToolContext:
        return self.agent.context(user=user.name, role=user.role)

    # ------------------------------------------------------------------ page load

    def load(self, request: gr.Request) -> tuple[Any, ...]:
        user = self.user(request)
        ctx = self.ctx(user)
        site = ctx.site_or_none.name if ctx.site_or_none is not None else "no site yet"
        who = (
            f'<div class="who"><span class="site">{site}</span> · signed in as '
            f'<b>{user.name}</b> <span class="role role-{user.role}">{user.role}</span></div>'
        )
        return (
            who,
            self.thread_list(user, None),
            new_thread_id(),
            *self.panels(user),
            *self.incident_view(ctx, "active", None),
            *self.incident_controls(user),
        )

    def thread_list(self, user: Account, current: str | None) -> Any:
        choices = [(t.title, t.thread) for t in self.threads.threads(user.name)]
        return gr.Radio(choices=choices, value=current if choices else None)

    def panels(self, user: Account) -> tuple[Any, ...]:
        ctx = self.ctx(user)
        return (panels.meters_html(ctx), self.rules(ctx))

    def rules(self, ctx: ToolContext) -> Any:
        try:
            columns, rows = panels.alert_rules(ctx)
        except (NoSite, SiteNotChosen):  # no site yet: no rules, the chat says why
            columns, rows = RULE_COLUMNS, []
        return gr.Dataframe(value=rows or None, headers=columns)

    # ------------------------------------------------------------------ chat

    def submit(
        self,
        text: str,
        messages: list[Message],
        answered: dict[int, Answered],
        thread: str | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        question = (text or "").strip()
        skip = gr.skip()
        if not question:
            yield (skip,) * 11
            return
        user = self.user(request)
        if not thread or self.threads.owner(thread) not in (None, user.name):
            thread = new_thread_id()  # never continue someone else's conversation
        messages = [*messages, {"role": "user", "content": question}]
        written = ""
        pending = [*messages, {"role": "assistant", "content": "…"}]
        yield (pending, "", pending, skip, skip, thread, *([skip] * 5))
        reply: Reply | None = None
        try:
            for event in self.agent.stream(question, thread=thread, user=user.name, role=user.role):
                if isinstance(event, Reply):
                    reply = event
                    continue
                written += event
                pending = [*messages, {"role": "assistant", "content": written}]
                yield (pending, skip, pending, skip, skip, skip, *([skip] * 5))
        except EMSError as exc:
            failed = [*messages, {"role": "assistant", "content": f"**Could not answer:** {exc}"}]
            yield (failed, skip, failed, skip, skip, skip, *([skip] * 5))
            return
        assert reply is not None
        self.threads.record(user.name, thread, question)
        calls = [c.to_json() for c in reply.tool_calls]
        at = len(messages)
        messages = [*messages, *answer_messages(reply.answer, calls, reply.latency_ms)]
        shown = Answered(question, evidence(reply))
        answered = {**answered, **dict.fromkeys(range(at, len(messages)), shown)}
        yield (
            messages,
            skip,
            messages,
            answered,
            self.thread_list(user, thread),
            thread,
            *_Evidence.show(shown),
        )

    def new_conversation(self, request: gr.Request) -> tuple[Any, ...]:
        user = self.user(request)
        return ([], [], {}, self.thread_list(user, None), new_thread_id(), *_Evidence.show(None))

    def open_thread(self, thread: str | None, request: gr.Request) -> tuple[Any, ...]:
        user = self.user(request)
        if not thread or self.threads.owner(thread) != user.name:
            gr.Warning("That conversation is not one of yours.")
            return (gr.skip(),) * 9
        messages, answered = thread_messages(self.agent.history(thread))
        last = answered[max(answered)] if answered else None
        return (messages, messages, answered, thread, *_Evidence.show(last))

    @staticmethod
    def pick(answered: dict[int, Answered], selected: gr.SelectData) -> tuple[Any, ...]:
        index = selected.index
        position = index if isinstance(index, int) else int(index[0])
        return _Evidence.show(evidence_for(answered, position))

    # ------------------------------------------------------------------ incidents

    def incident_view(self, ctx: ToolContext, state: str, picked: Any) -> tuple[str, Any]:
        """The cards of the incidents in that state, and the picker of those one can act on."""
        try:
            shown = panels.incidents(ctx, state)
            active = shown if state == "active" else panels.incidents(ctx, "active")
        except EMSError as exc:  # the incident tools not installed: said in place of the list
            return panels.incidents_html(str(exc)), gr.Dropdown(choices=[], value=None)
        choices = panels.incident_choices(active)
        listed = {value for _, value in choices}
        if picked in (None, "") or _incident_id(picked) in listed:
            # The choices alone: a pick made while this refresh was on its way is kept.
            return panels.incidents_html(shown), gr.Dropdown(choices=choices)
        return panels.incidents_html(shown), gr.Dropdown(choices=choices, value=None)

    def incident_controls(self, user: Account) -> tuple[Any, Any]:
        """The controls shown to operators and admins, the note in their place to viewers."""
        may_act = at_least(user.role, "operator")
        return gr.Column(visible=may_act), gr.Markdown(visible=not may_act)

    def refresh_incidents(self, state: str, picked: Any, request: gr.Request) -> tuple[str, Any]:
        return self.incident_view(self.ctx(self.user(request)), state, picked)

    def acter(self, action: str) -> Callable[..., tuple[Any, ...]]:
        """The click handler of the Acknowledge or Resolve button, made once at build time (a
        handler made per render is gone when a click lands during the next render)."""
        done_word = {"acknowledge": "acknowledged", "resolve": "resolved"}[action]

        def act(picked: Any, note: str, state: str, request: gr.Request) -> tuple[Any, ...]:
            user = self.user(request)
            ctx = self.ctx(user)
            incident_id = _incident_id(picked)
            if not at_least(user.role, "operator"):
                message = f"**Not {done_word}:** you are a {user.role}; that needs an operator."
            elif incident_id is None:
                message = f"**Not {done_word}:** pick the incident first."
            else:
                try:
                    done = panels.act_on_incident(ctx, incident_id, action, note)
                except EMSError as exc:
                    message = f"**#{incident_id} not {done_word}:** {exc}"
                else:
                    message = panels.incident_done(done)
                    return (*self.incident_view(ctx, state, incident_id), message, "")
            return (*self.incident_view(ctx, state, picked), message, gr.skip())

        return act

    def refresh_panels(self, request: gr.Request) -> tuple[Any, ...]:
        return self.panels(self.user(request))


def _incident_id(picked: Any) -> int | None:
    """The incident id in the picker's value: an id from its list, or "#12" or "12" typed in."""
    if isinstance(picked, int) and not isinstance(picked, bool):
        return picked
    found = re.match(r"\s*#?(\d+)\b", str(picked or ""))
    return int(found.group(1)) if found else None


@dataclass
class _Chat:
    """The Ask tab's components."""

    new: gr.Button
    threads: gr.Radio
    chatbot: gr.Chatbot
    box: gr.Textbox
    send: gr.Button
    evidence: _Evidence


@dataclass
class _Panels:
    """The other tabs' components."""

    meters_tab: gr.Tab
    meters: gr.HTML
    refresh: gr.Button
    incidents: _Incidents
    rules_tab: gr.Tab
    rules: gr.Dataframe


@dataclass
class _Incidents:
    """The Incidents tab: the cards as plain HTML, and one set of controls made at build time,
    so their event ids stay the same however often the list is redrawn."""

    tab: gr.Tab
    state: gr.Radio
    cards: gr.HTML
    controls: gr.Column
    viewer_note: gr.Markdown
    pick: gr.Dropdown
    note: gr.Textbox
    acknowledge: gr.Button
    resolve: gr.Button
    result: gr.Markdown

    def view(self) -> list[Any]:
        return [self.cards, self.pick]

    def wire(self, page: _Page) -> None:
        # One at a time, in the order sent: a redraw that began before a click cannot land
        # after it and show the incident as it was before.
        queued: dict[str, Any] = {"concurrency_id": "incidents", "concurrency_limit": 1}
        for changed in (self.tab.select, self.state.change):
            changed(page.refresh_incidents, [self.state, self.pick], self.view(), **queued)
        acted = [*self.view(), self.result, self.note]
        for button, action in ((self.acknowledge, "acknowledge"), (self.resolve, "resolve")):
            button.click(page.acter(action), [self.pick, self.note, self.state], acted, **queued)


def _ask_tab() -> _Chat:
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=220, elem_classes="sidebar"):
            new = gr.Button("+ New conversation", variant="secondary")
            threads = gr.Radio(choices=[], label="Your conversations", elem_classes="thread-list")
        with gr.Column(scale=4, min_width=420):
            chatbot = gr.Chatbot(
                height=560,
                show_label=False,
                elem_id="chat",
                layout="bubble",
                feedback_options=None,
                buttons=["copy"],
                placeholder="Ask about your meters: energy, peak demand, costs, baselines, "
                "anomalies, forecasts …",
            )
            with gr.Row(equal_height=True):
                box = gr.Textbox(
                    placeholder="Ask a question, e.g. What did the site's energy cost yesterday?",
                    show_label=False,
                    scale=6,
                    elem_id="question",
                    autofocus=True,
                )
                send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            gr.Examples(EXAMPLES, inputs=[box], label="Try")
        with gr.Column(scale=4, min_width=420, elem_classes="evidence"):
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
            with gr.Accordion("Tool calls (arguments and results)", open=False):
                ev.calls.render()  # type: ignore[no-untyped-call]
    return _Chat(new, threads, chatbot, box, send, ev)


def _incidents_tab() -> _Incidents:
    with gr.Tab("Incidents", id="incidents") as tab:
        state = gr.Radio(
            [("Open and acknowledged", "active"), ("Resolved", "resolved"), ("All", "all")],
            value="active",
            show_label=False,
            container=False,
            elem_id="incident-filter",
        )
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
        tab, state, cards, controls, viewer_note, pick, note, acknowledge, resolve, result
    )


def _panel_tabs() -> _Panels:
    with gr.Tab("Meters", id="meters") as meters_tab:
        meters = gr.HTML(elem_id="meters")
        with gr.Row():
            refresh = gr.Button("Refresh", size="sm", scale=0, min_width=120)
    incidents = _incidents_tab()
    with gr.Tab("Alert rules", id="rules") as rules_tab:
        rules = gr.Dataframe(interactive=False, elem_id="rules", wrap=True)
        gr.Markdown(
            "Create or change rules by asking in the chat, e.g. *alert me when METER's SEC goes "
            "above 0.42 kWh/unit* (operators and admins).",
            elem_classes="panel-note",
        )
    return _Panels(meters_tab, meters, refresh, incidents, rules_tab, rules)


def build_ui(deps: UiDeps) -> gr.Blocks:
    """The page over the agent it is handed (its turn contexts carry the clock)."""
    page = _Page(deps)
    blocks = gr.Blocks(title="EMS agent", analytics_enabled=False, fill_width=True)
    with blocks:
        thread, messages, answered = gr.State(None), gr.State([]), gr.State({})
        with gr.Row(elem_classes="topbar", equal_height=True):
            gr.HTML('<div class="brand">⚡ EMS agent</div>', elem_classes="brand-box")
            who = gr.HTML("", elem_classes="who-box")
            gr.Button("Log out", link="/logout", size="sm", scale=0, elem_classes="logout")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                chat = _ask_tab()
            tabs = _panel_tabs()
        ev = chat.evidence.outputs()
        panel_outputs = [tabs.meters, tabs.rules]
        shown = tabs.incidents
        loaded = [*panel_outputs, *shown.view(), shown.controls, shown.viewer_note]
        blocks.load(page.load, None, [who, chat.threads, thread, *loaded])
        asked = [chat.chatbot, chat.box, messages, answered, chat.threads, thread, *ev]
        for submitted in (chat.box.submit, chat.send.click):
            submitted(
                page.submit, [chat.box, messages, answered, thread], asked, concurrency_limit=4
            )
        cleared = [chat.chatbot, messages, answered, chat.threads, thread, *ev]
        chat.new.click(page.new_conversation, None, cleared)
        opened = [chat.chatbot, messages, answered, thread, *ev]
        chat.threads.input(page.open_thread, [chat.threads], opened)
        chat.chatbot.select(page.pick, [answered], ev)
        for trigger in (tabs.meters_tab.select, tabs.refresh.click, tabs.rules_tab.select):
            trigger(page.refresh_panels, None, panel_outputs)
        tabs.incidents.wire(page)
    return blocks


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
        )
    except OSError as exc:
        raise PortInUse(
            f"cannot serve the chat page on {host}:{port} ({exc}); choose another with "
            "--port or EMS_UI_PORT"
        ) from None
    return UIHandle(url, blocks)
