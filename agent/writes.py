"""What a proposed write will change, in the words the person confirms: described by its input
type's describer (agent/render), from the tool's own declaration."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from agent.render import DESCRIBERS
from agent.render.base import renderer_for
from common.errors import EMSError

if TYPE_CHECKING:
    from tools.base import Tool, ToolContext


def describe_write(name: str, args: dict[str, Any], ctx: ToolContext | None = None) -> str:
    """One line naming the write and every value it sets; with the store at hand, what the
    person should know before confirming it (the tool's preview: how far the value a rule
    watches has gone lately)."""
    from tools.registry import all_tools

    declared = all_tools().get(name)
    describer = DESCRIBERS.get(declared.input_model) if declared is not None else None
    if declared is not None and describer is not None:
        try:
            parsed = declared.input_model.model_validate(args)
        except ValidationError:
            parsed = None  # the tool will refuse these arguments with its own reason
        if parsed is not None:
            line, notes = describer(parsed), _preview(declared, parsed, ctx)
            return " ".join([f"{line}.", *notes]) if notes else line
    values = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return f"{name}({values})"


def _preview(declared: Tool[Any, Any], parsed: Any, ctx: ToolContext | None) -> list[str]:
    if ctx is None or declared.preview is None:
        return []
    try:
        found = declared.preview(ctx, parsed)
    except EMSError:
        return []  # the tool refuses the write itself, with its reason, once confirmed
    return renderer_for(type(found)).answer(found) if found is not None else []


# The answers to "Shall I go ahead?": only the person's own words in the next message count,
# and only a message that is a yes and nothing more: "ok, but post it to #energy" changes what
# was proposed, so the proposal is not made and the message is read as a new request.
YES_WORDS = (
    r"(?:yes|y|yep|yeah|yup|sure|ok|okay|confirm(?:ed)?|go ahead|do it|please do|approved?|"
    r"correct|that's right|create it|set it up|set that (?:one )?up|proceed|go for it|ja|sim|"
    r"pode|claro|genau)"
)
# words that may follow a yes and add nothing to it: thanks, and the proposed action named
# again ("yep, ack it", "sim, pode criar", "ja, passt")
AGREE_WORDS = (
    r"(?:please|pls|plz|thanks|thank you|thx|ta|cheers|great|perfect|fine|good|looks good|"
    r"sounds good|bitte|danke|passt|in ordnung|mach das|por favor|obrigad[oa]|pode ser|"
    r"(?:ack|acknowledge|resolve|close|create|add|save|enable|disable|pause|delete|update|"
    r"change|set up|criar|crie|cria|fazer|anlegen|erstellen)(?: it| that| them| the rule)?|"
    r"go|it|that|do that)"
)
AFFIRM = re.compile(rf"^\s*{YES_WORDS}\b\W*(?:(?:{YES_WORDS}|{AGREE_WORDS})\b\W*)*$")
DECLINE = re.compile(
    r"^\s*(?:no|n|nope|nah|cancel|stop|don't|do not|abort|never ?mind|forget it)\b|"
    r"\b(?:no|cancel|abort|don't|do not|never ?mind|forget (?:it|that)|scrap that|not now)\b"
)
# A "no" that goes on to say what to do instead ("hmm no, make it 230 kW, rest the same")
# changes the proposal: it is not made, and the message is read as the new request.
CHANGED = re.compile(
    r"\b(?:make it|change it|set it to|instead|rather|but with|but at|use)\b.*\d|\d.*\binstead\b"
)


def declined(answer: str) -> bool:
    """The answer to "Shall I go ahead?" is a no, and not a changed request."""
    return bool(DECLINE.search(answer)) and not CHANGED.search(answer)
