"""Two sites for the reader's tests: a hand-written catalogue whose names are nothing like the
demo's (German names, umlauts, groups, shifts, a fiscal year from April), and the demo plant's
catalogue built from its description. Plus a fixed clock and a way to check expected slots."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent.reader import Frame, MeterEntry, Reading, Vocabulary, build_vocabulary, follow, read
from agent.reader.dates import bounds
from connectors.plant import demo_document, demo_plant

# Thursday 5 November 2026, mid-morning in the sites' time zone.
NOW = datetime(2026, 11, 5, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def werk() -> Vocabulary:
    """A plant that shares no name with the demo."""
    meters = [
        MeterEntry("Hauptzähler", "electricity", aliases=("main", "Netzanschluss")),
        MeterEntry("Kompressor Nord", "electricity", parent="Hauptzähler", aliases=("KN",),
                   groups=("Druckluft",)),
        MeterEntry("Kompressor Süd", "electricity", parent="Hauptzähler", groups=("Druckluft",)),
        MeterEntry("Linie 2", "electricity", parent="Hauptzähler"),
        MeterEntry("Linie 3", "electricity", parent="Hauptzähler"),
        MeterEntry("Kältemaschine", "electricity", parent="Hauptzähler", aliases=("chiller",),
                   groups=("HVAC",)),
        MeterEntry("AHU-3 east", "electricity", parent="Hauptzähler", groups=("HVAC",)),
        MeterEntry("AHU-4 west", "electricity", parent="Hauptzähler", groups=("HVAC",)),
        MeterEntry("Pumpe 2", "electricity", parent="Hauptzähler"),
        MeterEntry("Gaskessel", "gas", aliases=("Kessel",)),
        MeterEntry("Wetterstation", "weather", unit="degC", metrics=("outdoor_temperature",)),
        MeterEntry("Linie 2 Stückzahl", "production", unit="unit", metrics=("production",)),
    ]  # fmt: skip
    return build_vocabulary(
        "werk-sued",
        meters,
        shifts=["Früh", "Spät", "Nacht"],
        tariff_periods=["HT", "NT"],
        currency="EUR",
        fiscal_year_start=4,
    )


def demo() -> Vocabulary:
    """The demo plant's catalogue, as its plant file declares it (groups, links, series)."""
    plant = demo_plant()
    document = demo_document().plant
    groups = {m.name: tuple(m.groups) for m in document.meters}
    links = {m.name: tuple(m.production) for m in document.meters}
    meters = [
        MeterEntry(
            name=m.name,
            carrier=str(m.kind),
            unit=m.unit,
            aliases=m.aliases,
            parent=m.parent,
            groups=groups.get(m.name, ()),
            metrics=tuple(metric for metric, _ in m.metrics),
            production=links.get(m.name, ()),
        )
        for m in plant.meters
    ]
    return build_vocabulary(plant.site, meters, shifts=[s.name for s in plant.shifts])


PLANTS = {"werk": werk(), "demo": demo()}


def days(first: str, last: str) -> tuple[date, date]:
    return date.fromisoformat(first), date.fromisoformat(last)


def _period_facts(r: Reading) -> list[tuple[str, str, str]]:
    out = []
    for p in r.periods:
        assert p.span is not None, f"unresolved period {p.words.text!r}"
        if re.match(r"since |last \d|year to|month to", p.span.period):
            out.append((p.span.period, "", p.role.value))
        else:
            first, last = bounds(p.span, NOW)
            out.append((first.isoformat(), last.isoformat(), p.role.value))
    return out


CHECKS: dict[str, Any] = {
    "intent": lambda r: r.intent.value,
    "meters": lambda r: list(r.meter_names),
    "ambiguous": lambda r: [list(m.meters) for m in r.ambiguous],
    "unknown": lambda r: [u.words.text for u in r.unknown_names],
    "periods": _period_facts,
    "kpi": lambda r: r.kpi.value if r.kpi else None,
    "metric": lambda r: r.metric,
    "carriers": lambda r: [c.carrier for c in r.carriers],
    "scopes": lambda r: [s.scope.value for s in r.scopes],
    "grains": lambda r: [g.grain.value for g in r.grains],
    "splits": lambda r: [(s.split.value, s.part) for s in r.splits],
    "unsupported": lambda r: [(u.topic, u.reason.value) for u in r.unsupported],
    "unused": lambda r: [u.text for u in r.unused],
    "top": lambda r: [t.n for t in r.top],
    "refs": lambda r: [(x.kind, x.number) for x in r.references],
    "units": lambda r: [u.unit for u in r.units],
    "corrections": lambda r: [w for _, w in r.corrections],
}


def check(r: Reading, expected: dict[str, Any]) -> None:
    """Every expected fact holds; `ops` lists operations that must be among those read and
    `not_ops` those that must not be."""
    for key, want in expected.items():
        if key == "ops":
            assert set(want) <= {o.value for o in r.ops}, (r.question, sorted(r.ops))
        elif key == "not_ops":
            assert not set(want) & {o.value for o in r.ops}, (r.question, sorted(r.ops))
        else:
            got = CHECKS[key](r)
            assert got == want, f"{r.question!r}: {key} is {got!r}, expected {want!r}"


def thread(vocab: Vocabulary, *questions: str) -> Reading:
    """The last reading of a conversation, each turn followed from the one before it."""
    frame: Frame | None = None
    reading: Reading | None = None
    for question in questions:
        reading = follow(read(question, vocab, NOW), frame, NOW, vocab)
        frame = Frame.after(frame, reading)
    assert reading is not None
    return reading
