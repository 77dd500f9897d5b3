"""The page's handlers: each looks up the person and their role for every request, then asks
the agent or the tools; the layout and the wiring live in chat_ui.app."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import gradio as gr

from agent.evidence import RULE_COLUMNS, evidence
from agent.loop import Reply
from chat_ui import panels, triage
from chat_ui.chat import (
    Answered,
    Message,
    answer_messages,
    evidence_for,
    pending_html,
    thread_messages,
)
from chat_ui.evidence_view import show_evidence
from chat_ui.overview import overview
from chat_ui.overview_view import overview_html
from chat_ui.ranges import BadRange, Range, custom, drill, preset
from chat_ui.threads import ThreadIndex, new_thread_id
from common.errors import EMSError, NoSite, SiteNotChosen
from common.roles import at_least
from tools.base import ToolContext

if TYPE_CHECKING:
    from chat_ui.app import Account, UiDeps

EVIDENCE_OUTPUTS = 5  # caption, chart, tables, citations, tool calls
WORDS = {"acknowledge": "acknowledged", "resolve": "resolved", "note": "noted"}
ROLLING = {
    "today": "today",
    "this week": "this_week",
    "this month": "this_month",
    "year to date": "year_to_date",
}


@dataclass(frozen=True)
class Slot:
    """What the live refresh compares: the quarter-hour and the newest reading it saw."""

    quarter: int
    newest: int | None


class Page:
    """The handlers of one page; the deps come from the composition root."""

    def __init__(self, deps: UiDeps) -> None:
        self.agent = deps.agent
        self.accounts = deps.accounts
        self.threads = ThreadIndex(deps.settings.threads_path)
        # other filters: the list starts again from its first page
        self.refilter = self.pager(None)

    # ------------------------------------------------------------------ who and when

    def user(self, request: gr.Request | None) -> Account:
        name = request.username if request is not None else None
        found = self.accounts.find(name) if name else None
        if found is None:
            raise gr.Error("You are not logged in, or your account was removed; log in again.")
        return found

    def ctx(self, request: gr.Request | None) -> ToolContext:
        user = self.user(request)
        return self.agent.context(user=user.name, role=user.role)

    # ------------------------------------------------------------------ page load

    def load(self, request: gr.Request) -> tuple[Any, ...]:
        """The page's first event: who is signed in, their conversations and controls. Cheap on
        purpose: the overview follows as an event of its own once this is drawn, and the other
        tabs fill in when they are opened."""
        user = self.user(request)
        ctx = self.ctx(request)
        currency = next(iter(ctx.config.tariffs.values())).currency if ctx.config.tariffs else ""
        role = f'<span class="role role-{user.role}">{user.role}</span>'
        site = ctx.site_or_none
        where = f"{site.name}</span> · {site.timezone}" if site else "no site yet</span>"
        who = (
            f'<div class="who"><span class="site">{where} · '
            f"{currency} · signed in as <b>{user.name}</b> {role}</div>"
        )
        span = preset("today", ctx.now)
        may_act = at_least(user.role, "operator")
        return (
            who,
            self.thread_list(user, None),
            new_thread_id(),
            span.key(),
            gr.Column(visible=may_act),
            gr.Markdown(visible=not may_act),
            self.meter_choices(ctx),
            self.slot(ctx),
        )

    def show_overview(self, key: str, request: gr.Request) -> str:
        """The Overview tab for the range (drawn after the page itself)."""
        return self.views(self.ctx(request), Range.of_key(key))[0]

    def show_meters(self, key: str, request: gr.Request) -> str:
        """The Meters tab for the range, when it is opened or refreshed."""
        return self.views(self.ctx(request), Range.of_key(key))[1]

    def show_rules(self, request: gr.Request) -> Any:
        return self.rules(self.ctx(request))

    def thread_list(self, user: Account, current: str | None) -> Any:
        site = self.agent.site
        tz = site.timezone if site is not None else "UTC"
        choices = [(t.label(tz), t.thread) for t in self.threads.threads(user.name)]
        return gr.Radio(choices=choices, value=current if choices else None)

    def rules(self, ctx: ToolContext) -> Any:
        try:
            columns, rows = panels.alert_rules(ctx)
        except (NoSite, SiteNotChosen):  # no site yet: no rules, the chat says why
            columns, rows = RULE_COLUMNS, []
        return gr.Dataframe(value=rows or None, headers=columns)

    def meter_choices(self, ctx: ToolContext) -> Any:
        from store import catalog

        site = ctx.site_or_none
        with ctx.engine.connect() as conn:
            names = [m.name for m in catalog.list_meters(conn, site.id)] if site else []
        return gr.Dropdown(choices=[("any meter", ""), *[(n, n) for n in names]], value="")

    # ------------------------------------------------------------------ ranges, overview, meters

    @staticmethod
    def meters_view(ctx: ToolContext, span: Range) -> str:
        """The Meters tab for a range: today against the usual weekday, other ranges against
        the time just before."""
        if span.label == "today":
            return panels.meters_html(ctx)
        return panels.meters_range_html(ctx, span)

    def views(self, ctx: ToolContext, span: Range) -> tuple[str, str]:
        """The Overview and Meters tabs for a range; without a site, why there is none."""
        try:
            return overview_html(overview(ctx, span)), self.meters_view(ctx, span)
        except (NoSite, SiteNotChosen) as exc:
            note = f'<p class="panel-note">{html.escape(str(exc))}</p>'
            return note, note

    def pick_range(self, name: str, first: Any, last: Any, request: gr.Request) -> tuple[Any, ...]:
        ctx = self.ctx(request)
        try:
            span = custom(first, last, ctx.now) if name == "custom" else preset(name, ctx.now)
        except BadRange as exc:
            gr.Warning(str(exc))
            return (gr.skip(),) * 4
        return (span.key(), *self.views(ctx, span), name)

    def drill(self, key: str, evt: gr.EventData, request: gr.Request) -> tuple[Any, ...]:
        """A bar of the overview's chart was chosen: show its period at the next grain."""
        from datetime import datetime

        start = (getattr(evt, "_data", None) or {}).get("start")
        current = Range.of_key(key)
        try:
            finer = drill(current, datetime.fromisoformat(str(start)))
        except ValueError:
            finer = None
        if finer is None:
            return (gr.skip(),) * 4
        ctx = self.ctx(request)
        return (finer.key(), *self.views(ctx, finer), "custom")

    def slot(self, ctx: ToolContext) -> str:
        from store import catalog, queries

        site = ctx.site_or_none
        with ctx.engine.connect() as conn:
            ids = [s.id for _, s in catalog.list_series(conn, site.id)] if site else []
            stats = queries.series_stats(conn, ids) if ids else {}
        newest = max((s.last_ts for s in stats.values() if s.last_ts), default=None)
        quarter = int(ctx.now.timestamp()) // 900
        return f"{quarter}:{newest}"

    def tick(self, key: str, seen: str, request: gr.Request) -> tuple[Any, ...]:
        """The live refresh: redraw the Overview and Meters tabs when a quarter-hour has passed
        or new readings arrived, else leave them as they are."""
        ctx = self.ctx(request)
        now = self.slot(ctx)
        if now == seen:
            return (gr.skip(),) * 4
        span = Range.of_key(key)
        if span.label in ROLLING:  # a range that runs to now moves on with the clock
            span = preset(ROLLING[span.label], ctx.now)
        return (span.key(), *self.views(ctx, span), now)

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
            yield (skip,) * (8 + EVIDENCE_OUTPUTS)
            return
        user = self.user(request)
        if not thread or self.threads.owner(thread) not in (None, user.name):
            thread = new_thread_id()  # never continue someone else's conversation
        messages = [*messages, {"role": "user", "content": question}]
        written = ""
        rest = (skip,) * EVIDENCE_OUTPUTS
        pending = [*messages, {"role": "assistant", "content": "…"}]
        yield (pending, "", pending, skip, skip, thread, skip, skip, *rest)
        reply: Reply | None = None
        try:
            for event in self.agent.stream(question, thread=thread, user=user.name, role=user.role):
                if isinstance(event, Reply):
                    reply = event
                    continue
                written += event
                pending = [*messages, {"role": "assistant", "content": written}]
                yield (pending, skip, pending, skip, skip, skip, skip, skip, *rest)
        except EMSError as exc:
            failed = [*messages, {"role": "assistant", "content": f"**Could not answer:** {exc}"}]
            yield (failed, skip, failed, skip, skip, skip, skip, skip, *rest)
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
            *self.decision(reply.pending),
            *show_evidence(shown),
        )

    @staticmethod
    def decision(pending: list[dict[str, Any]]) -> tuple[Any, Any]:
        """The confirmation panel: what a paused write would do, and its buttons."""
        return pending_html(pending), gr.Row(visible=bool(pending))

    def new_conversation(self, request: gr.Request) -> tuple[Any, ...]:
        user = self.user(request)
        return (
            [],
            [],
            {},
            self.thread_list(user, None),
            new_thread_id(),
            *self.decision([]),
            *show_evidence(None),
        )

    def open_thread(self, thread: str | None, request: gr.Request) -> tuple[Any, ...]:
        user = self.user(request)
        if not thread or self.threads.owner(thread) != user.name:
            gr.Warning("That conversation is not one of yours.")
            return (gr.skip(),) * (6 + EVIDENCE_OUTPUTS)
        waiting = self.agent.pending(thread)
        messages, answered = thread_messages(self.agent.history(thread), waiting)
        last = answered[max(answered)] if answered else None
        return (messages, messages, answered, thread, *self.decision(waiting), *show_evidence(last))

    def rename(self, thread: str | None, title: str, request: gr.Request) -> tuple[Any, Any]:
        user = self.user(request)
        if not thread or not self.threads.rename(user.name, thread, title or ""):
            gr.Warning("Pick one of your conversations and give it a title first.")
            return gr.skip(), gr.skip()
        return self.thread_list(user, thread), ""

    def delete(self, thread: str | None, request: gr.Request) -> tuple[Any, ...]:
        user = self.user(request)
        if not thread or not self.threads.delete(user.name, thread):
            gr.Warning("Pick one of your conversations to delete first.")
            return (gr.skip(),) * (7 + EVIDENCE_OUTPUTS)
        self.agent.forget(thread)
        return self.new_conversation(request)

    @staticmethod
    def pick(answered: dict[int, Answered], selected: gr.SelectData) -> tuple[Any, ...]:
        index = selected.index
        position = index if isinstance(index, int) else int(index[0])
        return show_evidence(evidence_for(answered, position))

    def decider(self, answer: str) -> Callable[..., Iterator[tuple[Any, ...]]]:
        """The Confirm or Cancel button: the same decision as typing yes or no, but only while
        the conversation really has a write waiting (a stale button does nothing)."""

        def decide(
            messages: list[Message],
            answered: dict[int, Answered],
            thread: str | None,
            request: gr.Request,
        ) -> Iterator[tuple[Any, ...]]:
            if not thread or not self.agent.pending(thread):
                gr.Warning("Nothing is waiting for a decision in this conversation.")
                yield (*([gr.skip()] * 6), *self.decision([]), *([gr.skip()] * EVIDENCE_OUTPUTS))
                return
            yield from self.submit(answer, messages, answered, thread, request)

        return decide

    # ------------------------------------------------------------------ incidents

    def incident_view(
        self, ctx: ToolContext, filters: triage.Filters, opened: int | None
    ) -> tuple[Any, Any, Any, int]:
        """The triage list, its position ('21-40 of 81'), the picker of its incidents and the
        page shown (the last one when fewer incidents are left than the page asked for)."""
        try:
            found = triage.listing(ctx, filters)
            if not found.incidents and filters.page:
                filters = replace(filters, page=max(0, found.total - 1) // triage.PAGE_SIZE)
                found = triage.listing(ctx, filters) if found.total else found
        except EMSError as exc:
            return triage.listing_html(str(exc)), "", gr.Dropdown(choices=[]), filters.page
        # Resolved ones too: a finding after the fact is added to them as a note.
        choices = [(f"#{i['id']} {i['title']}", int(i["id"])) for i in found.incidents]
        shown = triage.listing_html(found, opened)
        return shown, found.position(), gr.Dropdown(choices=choices), filters.page

    @staticmethod
    def filters(
        state: str, severity: list[str], meter: str, period: str, page: int
    ) -> triage.Filters:
        return triage.Filters(
            state, tuple(severity or ()), meter or None, period or None, max(0, int(page or 0))
        )

    def refresh_incidents(
        self,
        state: str,
        severity: list[str],
        meter: str,
        period: str,
        page: int,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        filters = self.filters(state, severity, meter, period, page)
        return self.incident_view(self.ctx(request), filters, None)

    def pager(self, step: int | None) -> Callable[..., tuple[Any, ...]]:
        """The incident list `step` pages on from the page shown; None: its first page."""

        def turn(
            state: str, severity: list[str], meter: str, period: str, page: int, request: gr.Request
        ) -> tuple[Any, ...]:
            at = 0 if step is None else max(0, int(page or 0) + step)
            return self.refresh_incidents(state, severity, meter, period, at, request)

        return turn

    def acter(self, action: str) -> Callable[..., tuple[Any, ...]]:
        """The click handler of Acknowledge, Add note or Resolve, made once at build time (a
        handler made per render is gone when a click lands during the next render)."""
        done_word = WORDS[action]

        def act(
            picked: Any,
            note: str,
            state: str,
            severity: list[str],
            meter: str,
            period: str,
            page: int,
            request: gr.Request,
        ) -> tuple[Any, ...]:
            user = self.user(request)
            ctx = self.ctx(request)
            filters = self.filters(state, severity, meter, period, page)
            incident_id = incident_id_of(picked)
            if not at_least(user.role, "operator"):
                message = f"**Not {done_word}:** you are a {user.role}; that needs an operator."
            elif incident_id is None:
                message = f"**Not {done_word}:** pick the incident first."
            else:
                try:
                    done = triage.act(ctx, incident_id, action, note)
                except EMSError as exc:
                    message = f"**#{incident_id} not {done_word}:** {exc}"
                else:
                    message = triage.done_markdown(done, action)
                    return (*self.incident_view(ctx, filters, incident_id), message, "")
            return (*self.incident_view(ctx, filters, incident_id), message, gr.skip())

        return act


def incident_id_of(picked: Any) -> int | None:
    """The incident id in the picker's value: an id from its list, or "#12" or "12" typed in."""
    if isinstance(picked, int) and not isinstance(picked, bool):
        return picked
    found = re.match(r"\s*#?(\d+)\b", str(picked or ""))
    return int(found.group(1)) if found else None
