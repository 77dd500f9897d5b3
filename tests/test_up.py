"""`ems-agent up` end to end: demo loaded once, live readings flowing in, clean stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
    port = free_port()
    env = os.environ | {"EMS_HOME": str(home), "EMS_MQTT_PORT": str(port)}
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
        wait_for(lambda: readings(db) > history + 24, 90)  # then live quarter-hours arrive
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr[-2000:]
    assert "stopped cleanly" in stderr and "Traceback" not in stderr
    assert "demo-plant" in stdout  # the meter table was shown
    assert not port_open("127.0.0.1", port)  # the embedded broker went down with it
