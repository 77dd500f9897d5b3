"""The suite's guard rails hold: no model endpoint, Slack token or mail server of the developer's
reaches a test, no OpenAI client is built for anything but a test's own local server, and no
socket connects beyond this machine."""

from __future__ import annotations

import os
import socket

import openai
import pytest
from pytest_socket import SocketConnectBlockedError

from tests.conftest import RealModelCall, clear_outside_world
from tests.openai_server import ScriptedOpenAIServer

SECRETS = {
    "EMS_LLM_MODEL": "gpt-4o-mini",
    "EMS_LLM_BASE_URL": "https://api.openai.com/v1",
    "OPENAI_API_KEY": "sk-real-looking",
    "SLACK_BOT_TOKEN": "xoxb-real-looking",
    "EMS_SLACK_INCIDENT_CHANNEL": "#energy",
    "EMS_SMTP_HOST": "mail.example.com",
    "EMS_SMTP_PASSWORD": "pw",
    "EMS_WEBHOOK_URL": "https://hooks.example.com/ems",
    "LANGSMITH_API_KEY": "ls-real-looking",
}


def test_no_endpoint_or_secret_of_the_developer_reaches_a_test() -> None:
    assert not [name for name in SECRETS if name in os.environ]


def test_the_outside_world_is_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("EMS_SITE", "kept")
    clear_outside_world(monkeypatch)
    assert [name for name in SECRETS if name in os.environ] == []
    assert os.environ["EMS_SITE"] == "kept"


def test_a_client_for_a_real_endpoint_raises() -> None:
    with pytest.raises(RealModelCall, match=r"api\.openai\.com"):
        openai.OpenAI(api_key="sk-test")
    with pytest.raises(RealModelCall, match=r"example\.com"):
        openai.AsyncOpenAI(api_key="sk-test", base_url="https://llm.example.com/v1")


def test_a_client_for_a_loopback_port_without_a_server_raises() -> None:
    with pytest.raises(RealModelCall):
        openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")


def test_a_client_for_the_tests_own_server_is_allowed() -> None:
    with ScriptedOpenAIServer(models=("test-model",)) as server:
        client = openai.OpenAI(api_key="sk-test", base_url=server.base_url)
        assert [m.id for m in client.models.list()] == ["test-model"]
        client.close()
    with pytest.raises(RealModelCall):  # closed: the port is no longer the test's server
        openai.OpenAI(api_key="sk-test", base_url=server.base_url)


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_sockets_reach_only_this_machine() -> None:
    # 203.0.113.0/24 is reserved for documentation: nothing answers there, and the guard refuses
    # before a packet is sent.
    with socket.socket() as s, pytest.raises(SocketConnectBlockedError):
        s.connect(("203.0.113.7", 443))
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
