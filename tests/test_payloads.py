"""MQTT payload decoding: every accepted shape, every rejection with its reason, and fuzzing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.payloads import Decoded, InvalidPayload, TopicScheme, decode

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp()
TOPIC = "ems/demo-plant/compressor-2/energy"


def test_single_reading_with_iso_time_and_unit_conversion() -> None:
    decoded = decode(TOPIC, b'{"ts": "2026-11-24T09:45:00Z", "value": 2500, "unit": "Wh"}', NOW)
    assert (decoded.site, decoded.meter, decoded.metric) == ("demo-plant", "compressor-2", "energy")
    assert decoded.readings == [(int(NOW) - 900, 2.5)] and decoded.unit == "kWh"
    assert not decoded.stamped_on_receipt


def test_batch_with_epoch_seconds_and_milliseconds() -> None:
    payload = json.dumps(
        [{"ts": NOW - 1800, "value": 1.0}, {"ts": (NOW - 900) * 1000, "value": 2.0, "unit": None}]
    ).encode()
    decoded = decode(TOPIC, payload, NOW)
    assert decoded.readings == [(int(NOW) - 1800, 1.0), (int(NOW) - 900, 2.0)]


def test_bare_number_is_stamped_on_receipt() -> None:
    decoded = decode("ems/site/weather/outdoor_temperature", b"21.5", NOW)
    assert decoded.stamped_on_receipt and decoded.readings == [(int(NOW), 21.5)]
    assert decoded.unit == "degC"


def test_custom_topic_scheme() -> None:
    scheme = TopicScheme("plants/{site}/meters/{meter}/{metric}")
    assert scheme.subscription == "plants/+/meters/+/+"
    decoded = decode("plants/north/meters/chiller/Energy", b"3", NOW, scheme)
    assert (decoded.site, decoded.meter, decoded.metric) == ("north", "chiller", "energy")


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("ems/a/b", b"1", "does not match"),
        ("ems/a//energy", b"1", "empty {meter}"),
        ("other/a/b/energy", b"1", "does not match"),
        (TOPIC, b"\xff\xfe", "not JSON"),
        (TOPIC, b"{nope", "not JSON"),
        (TOPIC, b"[]", "empty list"),
        (TOPIC, b'"12"', "must be an object"),
        (TOPIC, b'{"value": 1}', "with 'ts' and 'value'"),
        (TOPIC, b'{"ts": "yesterday", "value": 1}', "not ISO 8601"),
        (TOPIC, b'{"ts": "2026-11-24T09:00:00", "value": 1}', "no time zone"),
        (TOPIC, b'{"ts": true, "value": 1}', "must be ISO 8601 or Unix time"),
        (TOPIC, b'{"ts": "2026-11-24T11:00:00Z", "value": 1}', "in the future"),
        (TOPIC, b'{"ts": "2020-01-01T00:00:00Z", "value": 1}', "days old"),
        (TOPIC, b'{"ts": 1795000000, "value": "high"}', "must be a number"),
        (TOPIC, b'{"ts": 1795000000, "value": NaN}', "not finite"),
        (TOPIC, b'{"ts": 1795000000, "value": Infinity}', "not finite"),
        (TOPIC, b'{"ts": 1795000000, "value": -4}', "outside the plausible range"),
        (TOPIC, b'{"ts": 1795000000, "value": 4, "unit": "parsec"}', "unknown unit 'parsec'"),
        (TOPIC, b'{"ts": 1795000000, "value": 4, "unit": "kW"}', "needs a unit of energy"),
        (
            TOPIC,
            b'[{"ts": 1795000000, "value": 4, "unit": "kWh"}, '
            b'{"ts": 1795000900, "value": 4, "unit": "Wh"}]',
            "different units",
        ),
        ("ems/s/weather/outdoor_temperature", b"99", "outside the plausible range"),
    ],
)
def test_bad_messages_say_what_is_wrong(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(InvalidPayload, match=reason):
        decode(topic, payload, NOW)


@settings(max_examples=300, deadline=None)
@given(
    topic=st.one_of(st.just(TOPIC), st.text(max_size=40)),
    payload=st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.sampled_from(["ts", "value", "unit", "x"]), inner, max_size=4)
            ),
            max_leaves=10,
        ).map(lambda v: json.dumps(v).encode()),
    ),
)
def test_any_message_is_decoded_or_refused_with_a_reason(topic: str, payload: bytes) -> None:
    try:
        decoded = decode(topic, payload, NOW)
    except InvalidPayload as exc:
        assert str(exc)
    else:
        assert isinstance(decoded, Decoded) and decoded.readings
