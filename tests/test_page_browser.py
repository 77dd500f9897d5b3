# ruff: noqa: F811  (pytest fixtures imported from the other page tests)
"""The page in Debian's chromium at 1440x900 and 390x844, light and dark: the Overview's
figures against pandas over the raw readings, a range picked and a bar drilled into, writes
confirmed and cancelled by buttons, the question box in the first screen of a phone, and
axe-core (installed from npm into tests/axe by .ci/run) on every tab with no serious or
critical violation. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from chat_ui.app import UIHandle
from store import catalog
from tests.conftest import need_server
from tests.test_agent_offline import TZ, raw
from tests.test_chat_ui import (  # noqa: F401  (fixtures)
    NOW,
    add_incident,
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
    pick_incident,
    server,
)
from tests.test_watcher import make_watcher
from tools.alert_backtest import backtest_alert_rule
from tools.base import ToolContext

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
    more = page.get_by_role("button", name="More tabs")  # type: ignore[attr-defined]
    # Wait until the tab bar is drawn (a busy machine can take seconds) before choosing a way.
    tab.or_(more).first.wait_for(timeout=60_000)
    if tab.count():
        tab.click()
        return
    # On a phone the last tabs wait behind the "More tabs" menu, as plain buttons.
    more.click()
    page.locator(".overflow-dropdown button").filter(has_text=name).click()  # type: ignore[attr-defined]


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
    problems = {}
    for name in TABS:
        open_tab(page, name)
        page.wait_for_timeout(800)  # type: ignore[attr-defined]
        problems[name] = serious(page)
        page.screenshot(
            path=str(ARTIFACTS / f"page-{size}-{scheme}-{name.lower().replace(' ', '-')}.png")
        )  # type: ignore[attr-defined]
    assert problems == {name: [] for name in TABS}
    if size == "phone":
        open_tab(page, "Ask")
        box = page.locator("#question textarea").bounding_box()  # type: ignore[attr-defined]
        assert box is not None and box["y"] + box["height"] <= SIZES["phone"][1]
        # The header is one short line (it once took 200 px of the first screen).
        top = page.locator(".topbar").bounding_box()  # type: ignore[attr-defined]
        assert top is not None and top["height"] <= 64, top
    if size == "phone" and scheme == "light":
        # A chart's title fits the phone's width (it was once cut off at the right).
        question = "compare compressor-2's energy last month with the same month last year"
        ask(page, question)  # type: ignore[arg-type]
        titles = page.locator("#evidence-chart .annotation-text")  # type: ignore[attr-defined]
        expect(titles.first).to_contain_text("last month")
        boxes = [titles.nth(i).bounding_box() for i in range(titles.count())]
        assert boxes and all(b and b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes)
        page.screenshot(path=str(ARTIFACTS / "page-phone-answer.png"), full_page=True)  # type: ignore[attr-defined]


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
    # The rule watches from now on: the watcher catching up on the weeks before opens nothing,
    # though a back-test of the same rule finds episodes there.
    make_watcher(demo_engine).catch_up(datetime(2026, 9, 1, tzinfo=TZ), NOW)
    assert count(demo_engine, "kind = 'alert_rule'") == 0
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alerts")).scalar_one() == 0
        site = catalog.get_site(conn, "demo-plant")
    rule = {"meter": "line-a", "target": "sec", "condition": ">", "threshold": 0.45}
    tested = backtest_alert_rule(
        ToolContext(demo_engine, site, NOW, user="olga"),
        {**rule, "unit": "kWh/unit", "period": "2026-09-01..2026-11-04"},
    )
    assert tested.episodes
    page.screenshot(path=str(ARTIFACTS / "page-confirmed.png"), full_page=True)  # type: ignore[attr-defined]


def count(engine: Engine, where: str = "1 = 1", **params: object) -> int:
    with engine.connect() as conn:
        found = conn.execute(text(f"SELECT count(*) FROM incidents WHERE {where}"), params)
        return int(found.scalar_one())


SEPTEMBER = "start_ts < :hi AND (end_ts IS NULL OR end_ts >= :lo)"
SEP = {
    "lo": int(datetime(2026, 9, 1, tzinfo=TZ).timestamp()),
    "hi": int(datetime(2026, 10, 1, tzinfo=TZ).timestamp()),
}
WATCHED = [datetime(2026, 9, 20, tzinfo=TZ) + timedelta(days=d) for d in range(0, 11, 2)]


def watch_september(engine: Engine) -> None:
    """The watcher over late September, as a live site would have run it."""
    for day in WATCHED:
        make_watcher(engine).run_once(day)


def show_state(page: object, label: str) -> None:
    page.locator("#incident-filter").get_by_text(label, exact=True).click()  # type: ignore[attr-defined]


def test_incidents_are_filtered_paged_and_keep_what_a_person_did(
    server: UIHandle,
    browser: object,
    demo_engine: Engine,
) -> None:
    watch_september(demo_engine)
    with demo_engine.connect() as conn:
        acked, resolved = conn.execute(
            text(
                "SELECT id, title FROM incidents WHERE state = 'open' AND start_ts < :hi "
                "ORDER BY start_ts LIMIT 2"
            ),
            SEP,
        ).all()
    for n in range(22):  # with the fixture's own incident: a second page in November alone
        add_incident(demo_engine, f"Spike {n}")
    page = page_for(browser, "desktop", "light")
    log_in(page, server.url, "olga")  # type: ignore[arg-type]
    open_tab(page, "Incidents")
    position = page.locator("#incident-position")  # type: ignore[attr-defined]
    show_state(page, "All")
    total = count(demo_engine)
    expect(position).to_contain_text(f"Showing 1 to 20 of {total} incidents")
    rows = page.locator("#incidents details.incident")  # type: ignore[attr-defined]
    expect(rows).to_have_count(20)
    expect(page.locator("#incidents details[open]")).to_have_count(0)  # type: ignore[attr-defined]
    page.locator("#incident-next").click()  # type: ignore[attr-defined]
    expect(position).to_contain_text(f"Showing 21 to {min(40, total)} of {total} incidents")
    # One month of them, then only the warnings.
    page.locator("#incident-period textarea, #incident-period input").first.fill("2026-09")  # type: ignore[attr-defined]
    page.locator("#incident-period textarea, #incident-period input").first.press("Enter")  # type: ignore[attr-defined]
    september = count(demo_engine, SEPTEMBER, **SEP)
    expect(position).to_contain_text(f"Showing 1 to {min(20, september)} of {september} incidents")
    page.locator("#incident-severity").get_by_text("warning").click()  # type: ignore[attr-defined]
    warnings = count(demo_engine, SEPTEMBER + " AND severity = 'warning'", **SEP)
    said = f"of {warnings} incidents" if warnings else "No incidents match these filters."
    expect(position).to_contain_text(said)
    page.locator("#incident-severity").get_by_text("warning").click()  # type: ignore[attr-defined]
    expect(position).to_contain_text(f"of {september} incidents")

    # A row opens on click; a person acknowledges one with a note and resolves another.
    row = rows.filter(has_text=f"#{acked.id} ")
    row.locator("summary").click()
    expect(row.locator(".incident-body")).to_be_visible()
    expect(row.locator(".timeline")).to_contain_text("the watcher")
    pick_incident(page, acked.title)  # type: ignore[arg-type]
    page.locator("#incident-note textarea").fill("checking the valves")  # type: ignore[attr-defined]
    page.locator("#incident-acknowledge").click()  # type: ignore[attr-defined]
    result = page.locator("#incident-result")  # type: ignore[attr-defined]
    expect(result).to_contain_text("now acknowledged by olga")
    pick_incident(page, resolved.title)  # type: ignore[arg-type]
    page.locator("#incident-note textarea").fill("sensor replaced")  # type: ignore[attr-defined]
    page.locator("#incident-resolve").click()  # type: ignore[attr-defined]
    expect(result).to_contain_text("now resolved by olga: sensor replaced")

    # The watcher loses its place and runs over the same days again, then three weeks on.
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM service_state"))
    for day in [*WATCHED, WATCHED[-1] + timedelta(days=21)]:
        make_watcher(demo_engine).run_once(day)
    with demo_engine.connect() as conn:
        kept = conn.execute(
            text(
                "SELECT id, state, acknowledged_by, resolved_by, resolution FROM incidents "
                "WHERE id IN (:a, :r) ORDER BY id"
            ),
            {"a": acked.id, "r": resolved.id},
        ).all()
    found = {k.id: (k.state, k.acknowledged_by, k.resolved_by, k.resolution) for k in kept}
    assert found[acked.id] == ("acknowledged", "olga", None, None)
    assert (found[resolved.id][0], *found[resolved.id][2:]) == (
        "resolved",
        "olga",
        "sensor replaced",
    )
    page.reload()  # type: ignore[attr-defined]
    open_tab(page, "Incidents")
    show_state(page, "All")
    page.locator("#incident-period textarea, #incident-period input").first.fill("2026-09")  # type: ignore[attr-defined]
    page.locator("#incident-period textarea, #incident-period input").first.press("Enter")  # type: ignore[attr-defined]
    card = page.locator(f'#incidents details[data-incident="{acked.id}"]')  # type: ignore[attr-defined]
    expect(card).to_contain_text("acknowledged by olga")
    card.locator("summary").click()
    expect(card.locator(".timeline")).to_contain_text("checking the valves")
    done = page.locator(f'#incidents details[data-incident="{resolved.id}"]')  # type: ignore[attr-defined]
    done.locator("summary").click()
    expect(done).to_contain_text("Resolved by olga: sensor replaced")
    page.screenshot(path=str(ARTIFACTS / "page-incidents-kept.png"), full_page=True)  # type: ignore[attr-defined]
