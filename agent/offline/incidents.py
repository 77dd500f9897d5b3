"""What an incident question asks for beyond its slots: the state filter ("still not
resolved"), the severity ("critical incidents"), and the questions asked back before a change."""

from __future__ import annotations

import re

ASK_NOTE = (
    "What was found or done? Resolving incident #{n} needs a short note, e.g. 'replaced the "
    "leaking coupling'; it is kept, so the next similar incident can cite it."
)
ASK_WHICH = (
    "Which incident? Give its number, e.g. '{verb} incident 4'; 'any open incidents?' lists them."
)


def state_of(text: str, has_period: bool) -> str:
    """The state filter a listing asks for: active (open or acknowledged) unless it says."""
    # "all time" is how far back, not which states ("the resolved ones, all time")
    if re.search(r"\b(?:all(?![ -]time)|every|history|ever|any time|whatever state)\b", text):
        return "all"
    if re.search(r"\b(?:resolved|closed|fixed|finished|cleared|solved)\b", text):
        if re.search(r"\b(?:un|not |still )\w*\s*(?:yet )?(?:resolved|closed|fixed)\b", text):
            return "active"
        return "resolved"
    # the negation first: "open incidents not yet acknowledged" are the open ones only
    if re.search(
        r"\b(?:unacknowledged|nobody has)\b|(?:\bnot|n't) (?:yet )?(?:been )?acknowledged\b|"
        r"\byet to be acknowledged\b",
        text,
    ):
        return "open"
    if re.search(r"\b(?:open|active)\b", text) and re.search(r"\backnowledged\b", text):
        return "active"  # "still open or acknowledged": both states are the active ones
    if re.search(r"\bnew\b", text):
        return "open"
    if re.search(r"\backnowledged\b", text):
        return "acknowledged"
    if re.search(r"\b(?:open|active|current|ongoing|outstanding|unresolved|pending|now)\b", text):
        return "active"
    return "all" if has_period else "active"


def lists(text: str) -> bool:
    """ "which incidents did we resolve", "list the incidents we acknowledged": a question
    about several incidents, whose verb is a filter, not a change to make."""
    return bool(
        re.search(r"\bincidents\b", text)
        and re.search(r"\b(?:which|what|any|list|show|how many)\b", text)
    )


def severity_of(text: str) -> str | None:
    """The severity a question narrows incidents to ("any critical incidents?"), if any."""
    m = re.search(r"\b(critical|warning|info)s?\b", text)
    return m.group(1) if m else None
