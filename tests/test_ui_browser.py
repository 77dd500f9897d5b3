"""The chat page in a real browser (Debian's chromium through Playwright): log in, ask, see the
answer with its chart, pick up a conversation again, acknowledge an incident, and a viewer
refused a write. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from chat_ui.app import UIHandle, serve
from ems_agent.app import App, ui_deps
from tests.conftest import need_server
from tests.test_agent_offline import assert_mentions_number, raw
from tests.test_chat_ui import (  # noqa: F401  (fixtures)
    NOW,
    PASSWORD,
    add_incident,
    password_hash,
    settings,
    ui_app,
)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ANSWER_TIMEOUT_MS = 60_000  # the first turn imports and warms the agent on a shared machine

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
Page = playwright_api.Page
expect.set_options(timeout=20_000)  # a shared two-core machine: panels can take seconds

# Records every text the first answer bubble shows while it is being written.
WATCH_ANSWER = """() => {
  window.answerTexts = [];
  const chat = document.querySelector('#chat');
  new MutationObserver(() => {
    const bot = chat.querySelector('[data-testid="bot"]');
    if (bot) window.answerTexts.push(bot.innerText);
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(ui_app: App, demo_engine: Engine) -> Iterator[UIHandle]:  # noqa: F811
    add_incident(demo_engine)
    handle = serve(ui_deps(ui_app), "127.0.0.1", free_port())
    yield handle
    handle.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        need_server(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1480, "height": 1000})  # type: ignore[attr-defined]
    yield context.new_page
    context.close()


def shot(page: Page, name: str) -> None:
    """A full-page screenshot once no update is in progress (Gradio dims pending outputs)."""
    expect(page.locator(".wrap.pending, .progress-text")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ui-{name}.png"), full_page=True)


def log_in(page: Page, url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(url)
    page.get_by_label("username").fill(name)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()
    expect(page.locator(".who")).to_contain_text(f"signed in as {name}")


def ask(page: Page, question: str) -> str:
    """Send a question and return the text of the answer once it is complete."""
    if not page.locator("#question textarea").is_visible():
        page.get_by_role("tab", name="Ask").click()  # the page lands on the Overview
    answers = page.locator('#chat [data-testid="bot"]')
    before = answers.count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    # the evidence panel names the question once the whole reply has arrived
    caption = page.locator("#evidence-caption")
    expect(caption).to_contain_text(question, timeout=ANSWER_TIMEOUT_MS)
    return str(answers.nth(before).inner_text())


def pick_incident(page: Page, title: str) -> None:
    """Choose the incident in the picker above the cards."""
    page.locator("#incident-pick input").click()
    page.get_by_role("option").filter(has_text=title).click()
    expect(page.locator("#incident-pick input")).to_have_value(re.compile(re.escape(title)))


def test_wrong_password_stays_on_the_login_page(server: UIHandle, new_page: object) -> None:
    page = new_page()  # type: ignore[operator]
    page.goto(server.url)
    page.get_by_label("username").fill("olga")
    page.get_by_label("password").fill("not-the-password")
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_text("Incorrect Credentials")).to_be_visible()
    expect(page.locator("#question")).to_have_count(0)


def test_operator_asks_sees_evidence_and_acknowledges(
    server: UIHandle, new_page: object, demo_engine: Engine
) -> None:
    page = new_page()  # type: ignore[operator]
    log_in(page, server.url, "olga")
    page.get_by_role("tab", name="Ask").click()  # the page lands on the Overview
    page.evaluate(WATCH_ANSWER)
    answer = ask(page, "What was compressor-2's peak demand last week?")
    seen = [t for t in dict.fromkeys(page.evaluate("window.answerTexts")) if t.strip("… \n")]
    assert len(seen) > 3, seen  # streamed: the answer grew in steps
    assert all(answer.startswith(t.strip()[:20]) for t in seen)
    kwh = raw(demo_engine, "compressor-2", "2026-10-26", "2026-11-02")
    assert_mentions_number(answer, kwh.max() * 4)
    assert "compressor-2" in answer and "kW" in answer
    expect(page.locator("#evidence-chart .js-plotly-plot")).to_be_visible()
    expect(page.locator("#evidence-chart .plot-container")).to_contain_text("compressor-2")
    table = page.locator("#evidence-tables table").first
    expect(table).to_contain_text(f"{kwh.max() * 4:,.2f}")
    shot(page, "answer")

    # the conversation is listed and comes back after a reload, with its evidence
    page.reload()
    expect(page.locator(".who")).to_contain_text("olga")
    page.get_by_role("tab", name="Ask").click()
    expect(page.locator(".thread-list label")).to_have_count(1)
    page.locator(".thread-list label").filter(has_text="compressor-2's peak demand").click()
    expect(page.locator('#chat [data-testid="bot"]').first).to_contain_text("kW")
    expect(page.locator("#evidence-chart .js-plotly-plot")).to_be_visible()

    # a follow-up in the same thread; clicking the first answer brings its evidence back
    follow = ask(page, "and the week before?")
    before = raw(demo_engine, "compressor-2", "2026-10-19", "2026-10-26")
    assert_mentions_number(follow, before.max() * 4)
    expect(page.locator("#evidence-chart")).to_contain_text("19 Oct 2026")
    page.locator('#chat [data-testid="bot"]').first.click()
    expect(page.locator("#evidence-chart")).to_contain_text("26 Oct 2026")
    expect(page.locator(".thread-list label")).to_have_count(1)  # still one conversation

    page.get_by_role("button", name="New conversation").click()
    expect(page.locator('#chat [data-testid="bot"]')).to_have_count(0)
    expect(page.locator("#evidence-chart")).to_be_hidden()

    page.get_by_role("tab", name="Meters").click()
    expect(page.locator(".meter-card")).to_have_count(9)
    expect(page.locator('.meter-card[data-meter="compressor-2"]')).to_contain_text("Wednesday")
    shot(page, "meters")

    # The click lands while the tab's list is being redrawn (the filter changed twice just
    # before): the controls are made once, so nothing the redraw does can lose it.
    page.get_by_role("tab", name="Incidents").click()
    card = page.locator(".incident").filter(has_text="Compressed-air leak")
    expect(card).to_contain_text("open")
    page.locator("#incident-filter").get_by_text("All").click()
    page.locator("#incident-filter").get_by_text("Open and acknowledged").click()
    pick_incident(page, "Compressed-air leak")
    page.locator("#incident-acknowledge").click()
    result = page.locator("#incident-result")
    expect(result).to_contain_text("now acknowledged by olga")
    expect(card).to_contain_text("acknowledged by olga")
    expect(page.locator("#incidents .html-container")).to_have_css("opacity", "1")  # faded in
    shot(page, "incidents")
    with demo_engine.connect() as conn:
        state = conn.execute(text("SELECT state, acknowledged_by FROM incidents")).one()
    assert tuple(state) == ("acknowledged", "olga")

    # resolving needs a note; with one, the incident leaves the open list and the picker
    page.locator("#incident-resolve").click()
    expect(result).to_contain_text("before resolving")
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM incidents")).scalar_one() == "acknowledged"
    page.locator("#incident-note textarea").fill("drain valve replaced")
    page.locator("#incident-resolve").click()
    expect(result).to_contain_text("now resolved by olga: drain valve replaced")
    expect(page.locator("#incidents")).to_contain_text("No incidents match these filters.")
    expect(page.locator("#incident-note textarea")).to_have_value("")
    with demo_engine.connect() as conn:
        done = conn.execute(text("SELECT state, resolution FROM incidents")).one()
    assert tuple(done) == ("resolved", "drain valve replaced")
    page.locator("#incident-pick input").click()
    expect(page.get_by_role("option")).to_have_count(0)
    page.locator("#incident-filter").get_by_text("Resolved").click()
    expect(card).to_contain_text("drain valve replaced")


def test_a_viewer_is_refused_a_rule_and_gets_no_buttons(
    server: UIHandle, new_page: object, demo_engine: Engine
) -> None:
    page = new_page()  # type: ignore[operator]
    log_in(page, server.url, "vic")
    expect(page.locator(".role-viewer")).to_be_visible()
    page.get_by_role("tab", name="Ask").click()
    page.locator("#ask").click()  # an empty question sends nothing
    expect(page.locator('#chat [data-testid="user"]')).to_have_count(0)
    answer = ask(page, "alert me when the chiller demand exceeds 200 kW")
    assert re.search(r"operator", answer), answer
    expect(page.locator('#chat [data-testid="user"]')).to_have_count(1)
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alert_rules")).scalar_one() == 0
    shot(page, "viewer-refused")
    page.get_by_role("tab", name="Incidents").click()
    expect(page.locator(".incident")).to_contain_text("Compressed-air leak")
    expect(page.get_by_text("You can read incidents")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    expect(page.locator("#incident-pick input")).to_be_hidden()
    page.locator(".logout").click()
    expect(page.get_by_role("button", name="Login")).to_be_visible()


def test_an_operator_creates_a_rule_after_saying_yes(
    server: UIHandle, new_page: object, demo_engine: Engine
) -> None:
    page = new_page()  # type: ignore[operator]
    log_in(page, server.url, "olga")
    proposal = ask(page, "alert me when line-A's SEC passes 0.42 kWh/unit")
    assert "0.42" in proposal and "yes or no" in proposal
    with demo_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alert_rules")).scalar_one() == 0
    done = ask(page, "yes")
    with demo_engine.connect() as conn:
        rule = conn.execute(text("SELECT id, target, threshold, unit FROM alert_rules")).one()
    assert tuple(rule)[1:] == ("sec", 0.42, "kWh/unit") and f"#{rule.id}" in done
    page.get_by_role("tab", name="Alert rules").click()
    rules = page.locator("#rules")
    expect(rules).to_contain_text("line-a")
    expect(rules).to_contain_text("kWh/unit")
    shot(page, "rules")
