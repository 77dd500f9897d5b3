"""Page speed on the one-year demo plant: the page served (SQLite, the clock at the end of the
history), logged in with Debian's chromium, timed to the page ready (the header's sign-in line
shown) and to the overview drawn (its first carrier card). Writes the "page" section of
benchmarks/RESULTS.md with --write. Targets: page ready < 3 s, overview < 1 s after login."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.common import stamp, table, write_section
from chat_ui.app import serve
from connectors.demo import load_demo
from ems_agent.app import App, open_app, ui_deps
from ems_agent.context import fixed_clock
from ems_agent.settings import UserSettings, load_settings
from ems_agent.users import hash_password

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
END = date(2026, 11, 5)
PASSWORD = "benchmark-password-1"


def one_login(url: str) -> tuple[float, float, float]:
    """Seconds from submitting the login to the page ready and to the overview drawn, and the
    overview's own time after the page was ready."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.goto(url)
        page.get_by_label("username").fill("olga")
        page.get_by_label("password").fill(PASSWORD)
        start = time.perf_counter()
        page.get_by_role("button", name="Login").click()
        page.locator(".who").wait_for(timeout=60_000)
        ready = time.perf_counter() - start
        page.locator(".ov-carrier").first.wait_for(timeout=60_000)
        drawn = time.perf_counter() - start
        browser.close()
    return ready, drawn, drawn - ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", help="EMS_HOME holding the one-year demo plant")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=7899)
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    args = parser.parse_args()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="ems-page-bench-"))
    users = [UserSettings(name="olga", role="operator", password_hash=hash_password(PASSWORD))]
    settings = load_settings(home=home, users=users)
    app = open_app(settings)
    if not args.home:
        load_demo(app.engine, seed=42, days=365, end=END)
    now = datetime(2026, 11, 4, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    handle = serve(ui_deps(App(settings, fixed_clock(now))), "127.0.0.1", args.port)
    load_before = os.getloadavg()[0]
    try:
        one_login(handle.url)  # warm-up: the first login imports and warms the tools
        runs = [one_login(handle.url) for _ in range(args.runs)]
    finally:
        handle.close()
    # A home made beforehand holds the same plant (seed 42, 365 days to 2026-11-05).
    home = f" --home {args.home}" if args.home else ""
    rows = [
        [
            what,
            f"{statistics.median(r[i] for r in runs):.2f}",
            f"{min(r[i] for r in runs):.2f}",
            f"{max(r[i] for r in runs):.2f}",
            target,
        ]
        for i, (what, target) in enumerate(
            (
                ("page ready after login", "< 3 s"),
                ("overview drawn after login", ""),
                ("overview after the page was ready", "< 1 s"),
            )
        )
    ]
    body = "\n\n".join(
        [
            "## Page: ready and overview after login (one-year demo plant, SQLite)",
            stamp() + f" Command: `python -m benchmarks.page_bench{home} --write`. Seconds over "
            f"{args.runs} logins in Debian's chromium (after one warm-up), clock at "
            "2026-11-04 18:00.",
            table(["measure", "median s", "min s", "max s", "target"], rows),
            f"Load average (1 min): {load_before:.1f} before the logins, {os.getloadavg()[0]:.1f} "
            f"after, on {os.cpu_count()} cores shared with other work; browser, server and "
            "password check (Argon2) all wait for a core, so the wall times grow with the load.",
        ]
    )
    if args.write:
        write_section("page", body)
    print(body)


if __name__ == "__main__":
    main()
