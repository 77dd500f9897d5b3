# ruff: noqa: F811  (pytest fixtures imported from the other page tests)
"""The page in Debian's chromium at 1440x900 and 390x844, light and dark: the Overview's
figures against pandas over the raw readings, a range picked and a bar drilled into, writes
confirmed and cancelled by buttons, the question box in the first screen of a phone, and
axe-core (installed from npm into tests/axe by .ci/run) on every tab with no serious or
critical violation. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from chat_ui.app import UIHandle
from tests.conftest import need_server
from tests.test_agent_offline import raw
from tests.test_chat_ui import (  # noqa: F401  (fixtures)
    password_hash,
    settings,
    ui_app,
)
from tests.test_ui_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    ask,
    browser,
    expect,
    log_in,
    server,
)

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
TABS = ("Overview", "Ask", "Meters", "Incidents", "Alert rules")


def page_for(browser: object, size: str, scheme: str) -> object:
    width, height = SIZES[size]
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": width, "height": height}, color_scheme=scheme
    )
    return context.new_page()


def serious(page: object) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.exists():
        need_server(f"{AXE} is missing: run `npm ci --prefix tests/axe` (CI does)")
    page.add_script_tag(path=str(AXE))  # type: ignore[attr-defined]
    found = page.evaluate(  # type: ignore[attr-defined]
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"
    )
    return list(found)


def open_tab(page: object, name: str) -> None:
    tab = page.get_by_role("tab", name=name)  # type: ignore[attr-defined]
    if not tab.is_visible():  # on a phone the last tabs wait behind the overflow menu
        page.locator(".overflow-menu button, button.overflow-menu").first.click()  # type: ignore[attr-defined]
    tab.click()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_tab_is_accessible_in_both_themes_and_sizes(
    server: UIHandle,
    browser: object,
    size: str,
    scheme: str,
) -> None:
    page = page_for(browser, size, scheme)
    log_in(page, server.url, "olga")  # type: ignore[arg-type]
    expect(page.locator(".ov-carrier").first).to_be_visible()  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(exist_ok=True)
    tabs = TABS if size == "desktop" else ("Overview", "Ask")
    problems = {}
    for name in tabs:
        open_tab(page, name)
        page.wait_for_timeout(800)  # type: ignore[attr-defined]
        problems[name] = serious(page)
        page.screenshot(
            path=str(ARTIFACTS / f"page-{size}-{scheme}-{name.lower().replace(' ', '-')}.png")
        )  # type: ignore[attr-defined]
    assert problems == {name: [] for name in tabs}
    if size == "phone":
        box = page.locator("#question textarea").bounding_box()  # type: ignore[attr-defined]
        assert box is not None and box["y"] + box["height"] <= SIZES["phone"][1]


def shown_number(page: object, locator: str) -> float:
    value = page.locator(locator).first.inner_text()  # type: ignore[attr-defined]
    return float(value.split()[0].replace(",", ""))


def test_overview_figures_ranges_and_drill_down(
    server: UIHandle,
    browser: object,
    demo_engine: Engine,
) -> None:
    page = page_for(browser, "desktop", "light")
    log_in(page, server.url, "olga")  # type: ignore[arg-type]
    carrier = page.locator(".ov-carrier").filter(has_text="Electricity")  # type: ignore[attr-defined]
    expect(carrier).to_contain_text("today (4 Nov 00:00 to 18:00)")
    today = raw(demo_engine, "main-incomer", "2026-11-04T00:00", "2026-11-04T18:00").sum()
    month = raw(demo_engine, "main-incomer", "2026-11-01T00:00", "2026-11-04T18:00").sum()
    energy = carrier.locator("table.ov-kpi").nth(0).locator("tbody tr").first.locator("td").first
    assert shown_number(energy, "xpath=.") == pytest.approx(today, abs=0.5)
    mtd = carrier.locator("table.ov-kpi").nth(1).locator("tbody tr").first.locator("td").first
    assert shown_number(mtd, "xpath=.") == pytest.approx(month, abs=0.5)
    co2 = carrier.locator("table.ov-kpi").nth(0).locator("tbody tr").nth(2).locator("td").first
    assert shown_number(co2, "xpath=.") == pytest.approx(today * 0.38, abs=0.5)
    bars = carrier.locator(".ov-bars .bar")
    expect(bars).to_have_count(18)  # hours of today up to 18:00
    # Last week, by day; a day's bar drills into its hours.
    page.locator("#range-overview input").click()  # type: ignore[attr-defined]
    page.get_by_role("option", name="Last week").click()  # type: ignore[attr-defined]
    expect(carrier).to_contain_text("last week")
    week = raw(demo_engine, "main-incomer", "2026-10-26", "2026-11-02").sum()
    first = carrier.locator("table.ov-kpi").nth(0).locator("tbody tr").first.locator("td").first
    assert shown_number(first, "xpath=.") == pytest.approx(week, abs=0.5)
    expect(bars).to_have_count(7)
    bars.nth(2).click()  # Wednesday 28 October
    expect(carrier).to_contain_text("Wed 28 Oct 2026")
    expect(bars).to_have_count(24)
    day = raw(demo_engine, "main-incomer", "2026-10-28", "2026-10-29").sum()
    first = carrier.locator("table.ov-kpi").nth(0).locator("tbody tr").first.locator("td").first
    assert shown_number(first, "xpath=.") == pytest.approx(day, abs=0.5)
    page.screenshot(path=str(ARTIFACTS / "page-overview-drilled.png"), full_page=True)  # type: ignore[attr-defined]


def test_writes_are_confirmed_and_cancelled_by_buttons(
    server: UIHandle,
    browser: object,
    demo_engine: Engine,
) -> None:
    page = page_for(browser, "desktop", "light")
    log_in(page, server.url, "olga")  # type: ignore[arg-type]
    open_tab(page, "Ask")
    proposal = ask(page, "alert me when line-A's SEC passes 0.42 kWh/unit")  # type: ignore[arg-type]
    assert "0.42" in proposal
    pending = page.locator("#pending")  # type: ignore[attr-defined]
    expect(pending).to_contain_text("create an alert rule on line-a")
    expect(pending.locator("table")).to_contain_text("kWh/unit")
    page.locator("#cancel").click()  # type: ignore[attr-defined]
    expect(page.locator("#decide")).to_be_hidden()  # type: ignore[attr-defined]
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alert_rules")).scalar_one() == 0
    ask(page, "alert me when line-A's SEC passes 0.45 kWh/unit")  # type: ignore[arg-type]
    # Reopened, the conversation shows the change still waiting, with its buttons.
    page.reload()  # type: ignore[attr-defined]
    expect(page.locator(".who")).to_contain_text("olga")  # type: ignore[attr-defined]
    open_tab(page, "Ask")
    page.locator(".thread-list label").first.click()  # type: ignore[attr-defined]
    expect(pending).to_contain_text("0.45")
    page.locator("#confirm").click()  # type: ignore[attr-defined]
    expect(page.locator("#decide")).to_be_hidden()  # type: ignore[attr-defined]
    with demo_engine.connect() as conn:
        rules = conn.execute(text("SELECT threshold FROM alert_rules")).scalars().all()
    assert rules == [0.45]
    page.screenshot(path=str(ARTIFACTS / "page-confirmed.png"), full_page=True)  # type: ignore[attr-defined]
