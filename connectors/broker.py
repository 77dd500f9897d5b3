"""The embedded MQTT broker: amqtt in a child process on 127.0.0.1, so the embedded mode needs
nothing installed. Production points EMS_MQTT_URL at Mosquitto, EMQX or HiveMQ instead."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from store.errors import EMSError

CONFIG = """\
listeners:
  default:
    type: tcp
    bind: {host}:{port}
plugins:
  amqtt.plugins.authentication.AnonymousAuthPlugin:
    allow_anonymous: true
"""


class BrokerError(EMSError):
    """The embedded broker could not start."""


def port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.2).close()
        return True
    except OSError:
        return False


class EmbeddedBroker:
    """Start with start(), stop with stop(); the broker's log goes to EMS_HOME/logs/broker.log."""

    def __init__(self, home: Path, port: int = 1883, host: str = "127.0.0.1") -> None:
        self.home = home
        self.port = port
        self.host = host
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.home / "logs" / "broker.log"

    def start(self, timeout: float = 20.0) -> None:
        if port_open(self.host, self.port):
            raise BrokerError(
                f"port {self.port} on {self.host} is already in use; point EMS_MQTT_URL at the "
                f"broker running there, or set EMS_MQTT_PORT to a free port"
            )
        config = self.home / "broker.yaml"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(CONFIG.format(host=self.host, port=self.port))
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "amqtt.scripts.broker_script", "-c", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not port_open(self.host, self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log_path.read_text(errors="replace").splitlines()[-5:]
                raise BrokerError(
                    f"the embedded MQTT broker did not start on port {self.port}: "
                    + (" | ".join(tail) or "no output")
                )
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None
