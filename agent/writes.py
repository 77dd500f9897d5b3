"""What a proposed write will change, in the words the person confirms: described by its input
type's describer (agent/render), from the tool's own declaration."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from agent.render import DESCRIBERS


def describe_write(name: str, args: dict[str, Any]) -> str:
    """One line naming the write and every value it sets."""
    from tools.registry import all_tools

    declared = all_tools().get(name)
    describer = DESCRIBERS.get(declared.input_model) if declared is not None else None
    if declared is not None and describer is not None:
        try:
            return describer(declared.input_model.model_validate(args))
        except ValidationError:
            pass  # the tool will refuse these arguments with its own reason
    values = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return f"{name}({values})"


# The answers to "Shall I go ahead?": only the person's own words in the next message count.
AFFIRM = re.compile(
    r"^\s*(?:yes|y|yep|yeah|yup|sure|ok|okay|confirm(?:ed)?|go ahead|do it|please do|approved?|"
    r"correct|that's right|create it|proceed|ja|sim)\b"
)
DECLINE = re.compile(
    r"^\s*(?:no|n|nope|nah|cancel|stop|don't|do not|abort|never ?mind|forget it)\b|"
    r"\b(?:no|cancel|abort|don't|do not|never ?mind|forget (?:it|that)|scrap that|not now)\b"
)
