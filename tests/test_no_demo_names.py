"""No product code knows the demo plant: no demo meter name and no naming convention outside the
demo plant's own file, its loader and its simulator. The names come from the demo plant file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connectors.catalog_file import CARRIERS
from connectors.plant import DEMO_PLANT_FILE, demo_document

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tools", "agent", "connectors", "chat_ui", "store", "knowledge", "ems_agent")

# The demo itself: its plant file is YAML (not scanned), and these are its loader, its
# simulator and what publishes it.
DEMO = {
    "connectors/plant.py",
    "connectors/simulator.py",
    "connectors/demo.py",
    "connectors/live.py",
}
# The upgrade to the site catalogue writes the earlier releases' `<meter>-output` pairing down
# once as explicit links, so stores made by them keep their SEC answers.
HISTORY = {"store/migrations/versions/0004_site_catalogue.py"}
# A production meter found by appending "-output" to a meter's name (not the --output option).
CONVENTIONS = [re.compile(r"(?<!-)-output\b", re.IGNORECASE)]


def demo_names() -> list[str]:
    """Meter names of the demo plant file; a name that is also a carrier ('weather') is a
    word of the schema, not a demo name."""
    names = [m.name for m in demo_document().plant.meters]
    assert names, f"no meters in {DEMO_PLANT_FILE}"
    return [n for n in names if n not in CARRIERS]


def patterns() -> list[re.Pattern[str]]:
    """A demo name as a word, in any case and with '-', '_' or ' ' between its parts."""
    out = list(CONVENTIONS)
    for name in demo_names():
        parts = [re.escape(p) for p in re.split(r"[-_ ]", name)]
        out.append(re.compile(r"(?<![\w-])" + "[-_ ]".join(parts) + r"(?![\w])", re.IGNORECASE))
    return out


def product_files() -> list[str]:
    """Every Python file of the product but the demo's own and the migration's."""
    found = (
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
    )
    return sorted(f for f in found if f not in DEMO | HISTORY)


def hits(relative: str) -> list[str]:
    found = []
    text = (ROOT / relative).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern in patterns():
            match = pattern.search(line)
            if match:
                found.append(f"{relative}:{number}: {match.group(0)!r} in {line.strip()[:90]}")
                break
    return found


def test_the_names_come_from_the_demo_plant_file() -> None:
    names = demo_names()
    assert len(names) >= 10
    assert all(p.search(n) for n, p in zip(names, patterns()[len(CONVENTIONS) :], strict=True))
    # The patterns catch other spellings and leave longer words alone.
    line = patterns()[len(CONVENTIONS) + names.index("line-a")]
    assert line.search("SEC of Line A") and line.search("line_a")
    assert not line.search("line-ab") and not line.search("pipeline-a")


@pytest.mark.parametrize("relative", product_files())
def test_product_code_knows_no_demo_name_or_naming_convention(relative: str) -> None:
    found = hits(relative)
    assert not found, "demo names or naming conventions in product code:\n" + "\n".join(found)


def test_the_exceptions_exist() -> None:
    listed = DEMO | HISTORY
    missing = sorted(p for p in listed if not (ROOT / p).exists())
    assert not missing, f"listed files that do not exist: {missing}"
