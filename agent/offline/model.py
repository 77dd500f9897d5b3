"""The built-in offline model: a LangChain chat model of our own that reads the conversation
with the question reader, answers with tool calls (or one question back, or an honest refusal),
and writes the answer from the typed tool results.

It runs in the same agent loop as a language model, so the tools, the confirmation of writes and
the conversation memory are the same whichever model answers. It needs the site, the clock, the
site's economics and the store, which the agent binds per turn with `for_turn`. What each answer
was about (its meters, a question it asked back, the incident it showed) travels in the
answer's metadata, so the next question can point back at it."""

from __future__ import annotations

import json
import re
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from threading import Lock
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict
from sqlalchemy import Engine

from agent.offline import incidents, kinds, refusals
from agent.offline.compose import REJECTED, Answer, Done, compose
from agent.offline.plan import Plan, Question, plan
from agent.offline.site import Site, load_site
from agent.reader import Frame, Intent, Pending, Reading, follow, read
from agent.reader.lexicon import default_lexicon
from agent.reader.others import the_other
from agent.reader.slots import NO_WORDS, Reference, TimeSpan
from agent.render import typed
from common.errors import UnknownSite
from store.catalog import SiteRef
from store.sites import missing_site, site_in_text
from tools.base import AnalyticsConfig

MODEL_NAME = "offline-planner"
# Tools that answer without a site: a turn without one may still call them.
SITE_FREE = frozenset({"search_knowledge", "rank_sites"})
FRAMES = 512  # conversation frames kept between turns (each turn re-reads only the new question)


@dataclass(frozen=True)
class Turn:
    """What the offline model needs to know about the turn it answers."""

    engine: Engine
    site: SiteRef | None  # None: the store holds no site, or several and none was chosen
    now: datetime
    config: AnalyticsConfig = field(default_factory=AnalyticsConfig)
    role: str = "operator"
    writes: frozenset[str] = frozenset()  # tools that change stored state


@dataclass(frozen=True)
class Said:
    """An earlier answer as the next question sees it."""

    text: str = ""
    subjects: tuple[str, ...] = ()
    pending: Pending | None = None
    options: tuple[str, ...] = ()
    refs: tuple[tuple[str, int], ...] = ()
    ranked: tuple[str, ...] = ()
    # the incidents the conversation listed last (number, meter, kind): "the burner one"
    listed: tuple[tuple[int, str, str], ...] = ()
    # the incidents the answers showed one at a time, the latest first: "which was worse?"
    shown: tuple[int, ...] = ()


_FRAMES: OrderedDict[tuple[Any, ...], Frame] = OrderedDict()
_READINGS: OrderedDict[tuple[Any, ...], Reading] = OrderedDict()
_LOCK = Lock()


class OfflinePlanner(BaseChatModel):
    """Turns questions into tool calls and tool results into answers, without a network."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    # A Turn; kept untyped here because pydantic would inspect the site's economics in it.
    turn: Any = None
    tool_names: frozenset[str] = frozenset()

    @property
    def _llm_type(self) -> str:
        return MODEL_NAME

    def for_turn(self, turn: Turn) -> OfflinePlanner:
        return self.model_copy(update={"turn": turn})

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflinePlanner:
        names = {getattr(t, "name", None) or t.get("name", "") for t in tools}
        return self.model_copy(update={"tool_names": frozenset(n for n in names if n)})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self.respond(messages)
        if message.tool_calls:
            chunks = [
                {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i}
                for i, c in enumerate(message.tool_calls)
            ]
            said = AIMessageChunk(content=str(message.content), tool_call_chunks=chunks)
            yield ChatGenerationChunk(message=said)
            return
        words = re.findall(r"\S+\s*|\s+", str(message.content))
        for i, word in enumerate(words):
            last = i == len(words) - 1
            chunk = AIMessageChunk(
                content=word, response_metadata=message.response_metadata if last else {}
            )
            if run_manager:
                run_manager.on_llm_new_token(word, chunk=ChatGenerationChunk(message=chunk))
            yield ChatGenerationChunk(message=chunk)

    # ------------------------------------------------------------------ the two steps

    def respond(self, messages: list[BaseMessage]) -> AIMessage:
        if not isinstance(self.turn, Turn):
            raise RuntimeError("the offline planner answers only inside the agent loop")
        turn = self.turn
        last_human = max(
            (i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1
        )
        if last_human < 0:
            return _message("What would you like to know?", "clarify", Answer("", "clarify"))
        try:
            named = _named_site(turn.engine, messages[: last_human + 1])
        except UnknownSite as exc:
            return _said_only(f"I could not answer that: {exc}.", "clarify")
        site = load_site(turn.engine, named or turn.site, turn.config)
        frames: list[Frame] = []
        before, said, key = _frame_before(messages[:last_human], site, turn.now, frames)
        reading = _current(key, messages[last_human], site, turn.now, before, said)
        q = Question(
            reading,
            site,
            turn.now,
            self.tool_names,
            previous_meters=before.meters if before else (),
            previous_answer=said.text,
            recent_periods=_recent_periods(frames),
            # "which was worse?" right after an answer that showed one incident
            shown_incidents=said.shown if any(k == "incident" for k, _ in said.refs) else (),
        )
        if (
            before is not None
            and before.pending is Pending.NOTE
            and reading.intent is Intent.DECLINE
        ):
            ref = next(iter(before.reading.references), None)
            text = f"All right: incident #{ref.number} is left as it was." if ref else "All right."
            return _message(text, "answer", Answer(text, "answer"))
        decided = refusals.writes_allowed(plan(q), q, turn.role, turn.writes)
        if named is not None and named != turn.site:
            decided = _at_site(decided, named)
        elif not site.present and _needs_site(decided):
            with turn.engine.connect() as conn:
                reason = missing_site(conn)
            return _said_only(f"I could not answer that: {reason}.", "refuse")
        turn_messages = messages[last_human + 1 :]
        results = [m for m in turn_messages if isinstance(m, ToolMessage)]
        if results:
            then = _then(decided, turn_messages, results)
            if then is not None:
                return then
            return _answer(q, decided, turn_messages, results)
        if decided.calls:
            calls = [
                {
                    "name": c.name,
                    "args": c.args,
                    "id": f"call_{uuid.uuid4().hex[:12]}",
                    "type": "tool_call",
                }
                for c in decided.calls
            ]
            # what a proposed change leaves out is said with it, before the yes is asked
            writes = turn.writes & {c.name for c in decided.calls}
            with_change = "\n\n".join(decided.notes) if writes else ""
            return AIMessage(content=with_change, tool_calls=calls)
        answer = Answer(decided.message or "", decided.outcome)
        return _message(answer.text, answer.outcome, answer, decided)


# ------------------------------------------------------------------ the site


def _named_site(engine: Engine, history: list[BaseMessage]) -> SiteRef | None:
    """The site the conversation's latest question naming one is about (a follow-up stays
    there); UnknownSite, listing the sites, when the last question names none held."""
    questions = [str(m.content) for m in history if isinstance(m, HumanMessage)]
    with engine.connect() as conn:
        for i, text in enumerate(reversed(questions)):
            try:
                site = site_in_text(conn, text, _lexicon_word)
            except UnknownSite:
                if i == 0:
                    raise
                continue  # answered at the time
            if site is not None:
                return site
    return None


def _lexicon_word(word: str) -> bool:
    """A word of the reader's phrases ("kwh", "base"): after "site" it says what of the site
    is asked ("site kWh today", "site base load"), it names no site."""
    return word in default_lexicon().phrase_words


def _needs_site(decided: Plan) -> bool:
    """A plan a turn without a site cannot follow: calls of tools that read a site's meters,
    or a question back about them."""
    if decided.calls:
        return not all(c.name in SITE_FREE for c in decided.calls)
    return decided.outcome == "clarify"


def _at_site(decided: Plan, site: SiteRef) -> Plan:
    """The calls of a question about another site than the turn's, each told that site."""
    from tools.registry import all_tools

    tools = all_tools()
    calls = tuple(
        replace(c, args=c.args | {"site": site.name})
        if c.name in tools and "site" in tools[c.name].input_model.model_fields
        else c
        for c in decided.calls
    )
    return replace(decided, calls=calls)


def _said_only(text: str, outcome: str) -> AIMessage:
    return _message(text, outcome, Answer(text, outcome))


# ------------------------------------------------------------------ the conversation


def _said(message: AIMessage) -> Said:
    meta = message.response_metadata or {}
    pending = meta.get("pending")
    return Said(
        text=str(message.content),
        subjects=tuple(meta.get("subjects") or ()),
        pending=Pending(pending) if pending in {p.value for p in Pending} else None,
        options=tuple(meta.get("options") or ()),
        refs=tuple((str(k), int(n)) for k, n in meta.get("refs") or ()),
        ranked=tuple(meta.get("ranked") or ()),
        listed=tuple((int(n), str(m), str(k)) for n, m, k in meta.get("listed") or ()),
    )


def _reading(question: str, site: Site, now: datetime, before: Frame | None, said: Said) -> Reading:
    current = the_other(read(question, site.vocab, now), before, site.vocab)
    if before is not None and before.pending is Pending.NOTE and question.rstrip().endswith("?"):
        before = replace(before, pending=None)  # a new question instead of the note
    followed = follow(current, before, now, site.vocab)
    followed = kinds.same_step(followed, before.reading if before else None)
    followed = incidents.one_of_listed(followed, said.listed)
    return incidents.one_named(followed, before.reading if before else None)


def _recent_periods(frames: list[Frame]) -> tuple[TimeSpan, ...]:
    """The periods the conversation was about, the latest first, each once."""
    spans = [p.span for f in reversed(frames) for p in f.reading.subject_periods if p.span]
    return tuple(dict.fromkeys(spans))


def _frame_before(
    history: list[BaseMessage], site: Site, now: datetime, frames: list[Frame] | None = None
) -> tuple[Frame | None, Said, tuple[Any, ...]]:
    """The frame of the last question before this one, each earlier question re-read as a
    follow-up of the one before it (kept, so each is read once), and the key of that history."""
    frame: Frame | None = None
    said = Said()
    listed: tuple[tuple[int, str, str], ...] = ()  # the incidents listed last, before each turn
    shown: tuple[int, ...] = ()  # the incidents shown one at a time, the latest first
    key: tuple[Any, ...] = (site.ref.id, site.vocab.meters, now)
    humans = [i for i, m in enumerate(history) if isinstance(m, HumanMessage)]
    for n, i in enumerate(humans):
        end = humans[n + 1] if n + 1 < len(humans) else len(history)
        final = next(
            (m for m in reversed(history[i:end]) if isinstance(m, AIMessage) and not m.tool_calls),
            None,
        )
        said = _said(final) if final is not None else Said()
        key = (*key, history[i].id or str(history[i].content), final.id if final else None)
        before_listed, listed = listed, said.listed or listed
        for kind, number in said.refs:
            if kind == "incident":
                shown = (number, *(x for x in shown if x != number))
        with _LOCK:
            cached = _FRAMES.get(key)
        if cached is not None:
            frame = cached
            if frames is not None:
                frames.append(frame)
            continue
        reading = _reading(
            str(history[i].content), site, now, frame, replace(said, listed=before_listed)
        )
        if said.refs and not reading.references:
            refs = tuple(Reference(k, n_, NO_WORDS) for k, n_ in said.refs)
            reading = replace(reading, references=refs)
        elif frame is not None and not reading.references and frame.reading.references:
            # the incident under discussion stays so through a question about its runbook
            reading = replace(reading, references=frame.reading.references)
        frame = Frame.after(
            frame, reading, said.subjects, said.pending, said.options, ranked=said.ranked
        )
        if frames is not None:
            frames.append(frame)
        with _LOCK:
            _FRAMES[key] = frame
            while len(_FRAMES) > FRAMES:
                _FRAMES.popitem(last=False)
    return frame, replace(said, listed=listed, shown=shown), key


def _current(
    key: tuple[Any, ...],
    message: BaseMessage,
    site: Site,
    now: datetime,
    before: Frame | None,
    said: Said,
) -> Reading:
    """The question of this turn, read once: the model is asked twice in a turn (for the
    calls, then for the answer)."""
    mine = (*key, "current", message.id or str(message.content))
    with _LOCK:
        found = _READINGS.get(mine)
    if found is None:
        found = _reading(str(message.content), site, now, before, said)
        with _LOCK:
            _READINGS[mine] = found
            while len(_READINGS) > FRAMES:
                _READINGS.popitem(last=False)
    return found


# ------------------------------------------------------------------ the answer


def _answer(
    q: Question, decided: Plan, turn_messages: list[BaseMessage], results: list[ToolMessage]
) -> AIMessage:
    from tools.registry import all_tools

    registry = all_tools()
    calls = {c["id"]: c for m in turn_messages if isinstance(m, AIMessage) for c in m.tool_calls}
    done = []
    for r in results:
        call = calls.get(r.tool_call_id)
        name = call["name"] if call else r.name or ""
        args = dict(call["args"]) if call else {}
        content = str(r.content)
        if content.startswith(REJECTED):
            done.append(Done(name, args, rejected=True))
        elif r.status == "error" or not isinstance(r.artifact, dict) or name not in registry:
            kind, _, text = content.partition(": ")
            done.append(Done(name, args, error=text or content, error_kind=kind))
        else:
            value = _stated_earlier(typed(registry[name], r.artifact), q.reading)
            if value is None:
                done.append(Done(name, args, error="the result could not be read", error_kind=""))
            else:
                done.append(Done(name, args, result=value))
    answer = compose(q, decided, done)
    return _message(answer.text, answer.outcome, answer, decided)


# the values a KPI names with its source, by the reading's slot they were stated in
STATED_SLOTS = {
    "tariff": ("prices", "tou_windows"),
    "prices": ("prices", "tou_windows"),
    "demand charge": ("demand_charges",),
    "demand window": ("demand_windows",),
    "emission factor": ("emission_factors",),
}
STATED_HERE = "stated in the question"
STATED_BEFORE = "stated earlier in this conversation"


def _stated_earlier(value: Any, reading: Reading) -> Any:
    """A result whose values the tool took as stated in the question, said of the values this
    turn carried from an earlier one ("and the load factor?" after a 60-minute window was
    stated) as stated earlier in this conversation, so the answer says where they came from."""
    parameters = getattr(value, "parameters", None)
    if not parameters or not reading.inherited:
        return value
    changed = []
    for p in parameters:
        slots = STATED_SLOTS.get(p.name, ())
        carried = p.source == STATED_HERE and any(
            n in reading.inherited and getattr(reading, n) for n in slots
        )
        if carried:
            text = p.value.replace(STATED_HERE, STATED_BEFORE)
            p = p.model_copy(update={"source": STATED_BEFORE, "value": text})
        changed.append(p)
    return value.model_copy(update={"parameters": changed})


def _then(
    decided: Plan, turn_messages: list[BaseMessage], results: list[ToolMessage]
) -> AIMessage | None:
    """The change a plan makes once what it looked up is in ("ack the Pump 2 spike": the
    incident found), as the next call; None when there is none, or it was made already."""
    if not decided.detail.get("then") or any(r.name == "update_incident" for r in results):
        return None
    from tools.registry import all_tools

    listing = next((r for r in results if r.name == "list_incidents"), None)
    if listing is None or not isinstance(listing.artifact, dict):
        return None
    args = incidents.then_call(
        decided.detail, typed(all_tools()["list_incidents"], listing.artifact)
    )
    if args is None:
        return None
    call = {"name": "update_incident", "args": args, "id": f"call_{uuid.uuid4().hex[:12]}"}
    return AIMessage(content="", tool_calls=[call | {"type": "tool_call"}])


def _message(text: str, outcome: str, answer: Answer, decided: Plan | None = None) -> AIMessage:
    meta: dict[str, Any] = {"outcome": outcome, "model_name": MODEL_NAME}
    if answer.subjects:
        meta["subjects"] = answer.subjects
    if answer.refs:
        meta["refs"] = [list(r) for r in answer.refs]
    if answer.listed:
        meta["listed"] = [list(i) for i in answer.listed]
    if answer.ranked:
        meta["ranked"] = answer.ranked
    if decided is not None and decided.pending is not None:
        meta["pending"] = decided.pending.value
        meta["options"] = list(decided.options)
    return AIMessage(content=text, response_metadata=meta)
