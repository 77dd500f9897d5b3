"""Question reader latency: milliseconds to read one question, on the demo plant's catalogue
and on a generated catalogue of 600 meters (names, aliases, groups), and to build each
vocabulary.

Run: `python -m benchmarks.reader_bench`. Writes the "reader" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from agent.reader import MeterEntry, Vocabulary, build_vocabulary, default_lexicon, read
from benchmarks.common import median_ms, stamp, table, write_section
from connectors.plant import demo_plant

NOW = datetime(2026, 11, 5, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
QUESTIONS = [
    "How much energy did compressor-2 use last week?",
    "how much did compresor 1 use in septmber",
    "which used more, line a or line b, and by how much",
    "what share of the site's energy fell in peak tariff hours last week?",
    "alert me when the main incomer goes above 500 kW for more than 30 minutes",
    "what would the chiller have cost last month with peak 8-20 weekdays at 0.30?",
    "carbon of the boiler in the first half of 2026 at 0.201 kg/kWh",
    "November vs November last year for the offices",
    "how do I respond to a compressed air leak alarm?",
    "what was the power factor of line a last week?",
    "overnight 22:00-06:00 consumption of both compressors since Monday",
    "resolve incident 4: replaced the leaking coupling",
]


def _demo() -> Vocabulary:
    plant = demo_plant()
    meters = [
        MeterEntry(m.name, m.kind.value, m.unit, m.aliases, m.parent,
                   metrics=tuple(x for x, _ in m.metrics))
        for m in plant.meters
    ]  # fmt: skip
    return build_vocabulary(plant.site, meters)


def _large(n: int = 600) -> Vocabulary:
    """Sixty kinds of equipment, ten of each, with an alias each and a group per kind."""
    kinds = [f"unit{k:02d}" for k in range(n // 10)]
    meters = [MeterEntry("site-main", "electricity")]
    for kind in kinds:
        for i in range(1, 11):
            meters.append(
                MeterEntry(f"{kind}-{i}", "electricity", aliases=(f"{kind[:4]}x{i}",),
                           parent="site-main", groups=(f"{kind} group",))
            )  # fmt: skip
    return build_vocabulary("large", meters)


def _per_question(vocab: Vocabulary) -> tuple[float, float]:
    """Median and worst milliseconds per question (each the median of repeated reads)."""
    times = [median_ms(partial(read, q, vocab, NOW), repeat=7) for q in QUESTIONS]
    return statistics.median(times), max(times)


def main() -> None:
    start = time.perf_counter()
    default_lexicon()
    lexicon_ms = (time.perf_counter() - start) * 1000
    rows = []
    for name, build in (("demo plant (13 meters)", _demo), ("generated (601 meters)", _large)):
        build_ms = median_ms(build, repeat=3)
        vocab = build()
        median, worst = _per_question(vocab)
        rows.append([name, f"{len(vocab.keys):,}", f"{build_ms:.1f}", f"{median:.2f}",
                     f"{worst:.2f}"])  # fmt: skip
    body = "\n".join(
        [
            "## Question reader: latency",
            "",
            f"{stamp()} Command: `python -m benchmarks.reader_bench`.",
            "",
            f"Loading and compiling the lexicon once per process: {lexicon_ms:.0f} ms. Reading "
            f"{len(QUESTIONS)} questions of every kind (typos, stated tariffs, thresholds, "
            "follow-up words); milliseconds per question, the median of 7 reads each:",
            "",
            table(
                ["catalogue", "name keys", "build ms", "median ms", "slowest ms"],
                rows,
            ),
        ]
    )
    write_section("reader", body)
    print(body)


if __name__ == "__main__":
    main()
