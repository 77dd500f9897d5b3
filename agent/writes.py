"""What a proposed write will change, in the words the person confirms."""

from __future__ import annotations

from typing import Any


def describe_write(name: str, args: dict[str, Any]) -> str:
    """One line naming the write and every value it sets."""
    if name == "create_alert_rule":
        window = args.get("window", "15min")
        what = args.get("metric") if args.get("target") == "metric" else args.get("target")
        line = (
            f"create an alert rule on {args.get('meter')}: {what} {args.get('condition')} "
            f"{args.get('threshold')} {args.get('unit')} over each {window} window, "
            f"severity {args.get('severity', 'warning')}"
        )
        if args.get("channel"):
            line += f", alerts to {args['channel']}"
        return line
    if name == "update_alert_rule":
        rule = f"alert rule #{args.get('rule_id')}"
        if args.get("delete"):
            return f"delete {rule} and its alerts"
        changes = [
            f"{key} to {value}"
            for key, value in args.items()
            if key not in ("rule_id", "delete") and value is not None
        ]
        return f"change {rule}: " + (", ".join(changes) or "nothing")
    if name == "update_alert":
        note = f" with the note {args['note']!r}" if args.get("note") else ""
        return f"{args.get('action')} alert #{args.get('alert_id')}{note}"
    if name == "update_incident" and args.get("action") == "note":
        return f"add the note {args.get('note')!r} to incident #{args.get('incident_id')}"
    if name == "update_incident":
        note = f" with the note {args['note']!r}" if args.get("note") else ""
        return f"{args.get('action')} incident #{args.get('incident_id')}{note}"
    values = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return f"{name}({values})"
