"""`ems-agent up` end to end: demo loaded once, the knowledge library indexed, live readings
flowing in, the watcher run on the history, the chat page and the API served, clean stop on
Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import func, select

from connectors.broker import port_open
from store.engine import make_engine
from store.schema import Reading
from tests.test_mqtt_broker import free_port, wait_for


def readings(db: Path) -> int:
    if not db.exists():
        return 0
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Reading)).scalar_one())
    except Exception:  # the schema is still being created
        return 0
    finally:
        engine.dispose()


def test_up_streams_the_demo_plant_and_stops_cleanly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port, ui_port, api_port = free_port(), free_port(), free_port()
    env = os.environ | {
        "EMS_HOME": str(home),
        "EMS_MQTT_PORT": str(port),
        "EMS_UI_PORT": str(ui_port),
        "EMS_API_PORT": str(api_port),
    }
    script = Path(sys.executable).parent / "ems-agent"
    proc = subprocess.Popen(
        [str(script), "up", "--days", "1", "--speed", "100000", "--status-every", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    db = home / "ems.db"
    try:
        wait_for(lambda: readings(db) >= 1000, 90)  # the day of history
        history = readings(db)
        # the starter library is indexed before the services start (tens of seconds)
        wait_for(lambda: readings(db) > history + 24, 240)  # then live quarter-hours arrive
        wait_for(lambda: port_open("127.0.0.1", ui_port), 60)
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/", timeout=10) as page:
            assert page.status == 200 and "<html" in page.read().decode().lower()
        wait_for(lambda: port_open("127.0.0.1", api_port), 60)
        with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/api/openapi.json") as schema:
            assert "/api/v1/ask" in schema.read().decode()
        try:  # the API beside the page refuses a request without a token
            urllib.request.urlopen(f"http://127.0.0.1:{api_port}/api/v1/sites", timeout=10)
            raise AssertionError("the API answered without a token")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr[-2000:]
    assert "stopped cleanly" in stderr and "Traceback" not in stderr
    assert "demo-plant" in stdout  # the meter table was shown
    assert f"chat page: http://127.0.0.1:{ui_port}" in stderr
    assert "log in as 'admin' with password" in stderr  # the first start's account
    assert "watcher: history checked" in stderr
    assert (home / "knowledge").is_dir() and (home / "users.toml").exists()
    assert not port_open("127.0.0.1", port)  # the embedded broker went down with it
    assert not port_open("127.0.0.1", ui_port)  # and the page
    assert not port_open("127.0.0.1", api_port)  # and the API
