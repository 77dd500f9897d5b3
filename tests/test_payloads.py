"""MQTT payload decoding: every accepted shape, every rejection with its reason, and fuzzing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import payloads
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


def _per_reading(topic: str, payload: bytes, monkeypatch: pytest.MonkeyPatch) -> object:
    """Decode with the numpy path switched off: the result, or the refusal's message."""
    with monkeypatch.context() as patched:
        patched.setattr(payloads, "VECTOR_MIN", 10**9)
        try:
            return decode(topic, payload, NOW)
        except InvalidPayload as exc:
            return str(exc)


def _decoded(topic: str, payload: bytes) -> object:
    try:
        return decode(topic, payload, NOW)
    except InvalidPayload as exc:
        return str(exc)


recent = st.integers(int(NOW) - 390 * 86400, int(NOW) + 290)
reading_ts = st.one_of(recent, recent.map(lambda s: s * 1000 + 999), recent.map(float))
reading_value = st.one_of(st.floats(0, 1e6), st.integers(0, 10**6))
bad_ts = st.sampled_from(
    ["2026-11-24T09:45:00Z", "soon", True, None, 2**60, float("nan"), NOW + 900, NOW - 401 * 86400]
)
bad_value = st.sampled_from([2**60, 10**400, float("inf"), -1.0, 2e10, "1", False, None])


@settings(max_examples=300, deadline=None)
@given(
    metric=st.sampled_from(["energy", "power", "outdoor_temperature", "humidity"]),
    unit=st.sampled_from([None, "Wh", "kWh", "MWh", "W", "kW", "degF", "degC", "%"]),
    items=st.lists(st.tuples(reading_ts, reading_value), min_size=1, max_size=40),
    fault=st.none() | st.tuples(st.integers(0, 39), st.sampled_from(["ts", "value", "shape"])),
    bad=st.tuples(bad_ts, bad_value),
)
def test_batches_checked_with_numpy_equal_the_reading_by_reading_path(
    metric: str,
    unit: str | None,
    items: list[tuple[object, object]],
    fault: tuple[int, str] | None,
    bad: tuple[object, object],
) -> None:
    body: list[dict[str, object]] = [{"ts": t, "value": v, "unit": unit} for t, v in items]
    if fault is not None:
        reading = body[fault[0] % len(body)]
        if fault[1] == "ts":
            reading["ts"] = bad[0]
        elif fault[1] == "value":
            reading["value"] = bad[1]
        else:
            del reading["ts"]
    topic = f"ems/plant/meter/{metric}"
    payload = json.dumps(body).encode()
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _decoded(topic, payload) == _per_reading(topic, payload, monkeypatch)


def test_a_large_valid_batch_takes_the_numpy_path_and_converts_units(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken: list[object] = []
    real = payloads._vector_readings

    def spy(*args: Any) -> object:
        taken.append(real(*args))
        return taken[-1]

    monkeypatch.setattr(payloads, "_vector_readings", spy)
    body = [{"ts": (int(NOW) - 60 * i) * 1000, "value": 1500 + i, "unit": "Wh"} for i in range(50)]
    decoded = decode(TOPIC, json.dumps(body).encode(), NOW)
    assert taken and taken[0] is not None
    assert [t for t, _ in decoded.readings] == [int(NOW) - 60 * i for i in range(50)]
    values = [v for _, v in decoded.readings]
    assert values == pytest.approx([(1500 + i) / 1000 for i in range(50)], rel=1e-15)
    assert all(type(t) is int and type(v) is float for t, v in decoded.readings)


def test_the_first_bad_reading_of_a_large_batch_is_named() -> None:
    body = [{"ts": int(NOW) - 60 * i, "value": 1.0} for i in range(50)]
    body[31] = {"ts": int(NOW) - 60, "value": -3.0}
    body[40] = {"value": 2.0}
    with pytest.raises(InvalidPayload, match="energy -3 is outside the plausible range"):
        decode(TOPIC, json.dumps(body).encode(), NOW)
    body[31] = {"ts": int(NOW) - 60, "value": 3.0}
    with pytest.raises(InvalidPayload, match="reading 40 must be an object"):
        decode(TOPIC, json.dumps(body).encode(), NOW)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"ts": 1795000000, "value": 1' + b"0" * 400 + b"}", "is not finite"),
        (b'{"ts": 1' + b"0" * 400 + b', "value": 1}', "is not a time"),
        (b'{"ts": 1795000000, "value": 1' + b"0" * 5000 + b"}", "not JSON or a number"),
    ],
)
def test_numbers_too_large_for_a_float_are_refused_not_raised(payload: bytes, reason: str) -> None:
    with pytest.raises(InvalidPayload, match=reason):
        decode(TOPIC, payload, NOW)


@settings(max_examples=300, deadline=None)
@given(
    reading=st.dictionaries(
        st.sampled_from(["ts", "value", "unit", "x"]),
        st.one_of(reading_ts, bad_ts, reading_value, bad_value, st.sampled_from(["Wh", "kW", [1]])),
        max_size=4,
    ),
    metric=st.sampled_from(["energy", "power", "humidity"]),
)
def test_one_object_decodes_as_a_list_of_that_one_object(
    reading: dict[str, object], metric: str
) -> None:
    topic = f"ems/plant/meter/{metric}"
    alone = _decoded(topic, json.dumps(reading).encode())
    assert alone == _decoded(topic, json.dumps([reading]).encode())


def _with_stdlib_json(topic: str, payload: bytes) -> object:
    """Decode with orjson taken out: every payload goes through the standard library."""

    def refuse(_: bytes) -> object:
        raise payloads.orjson.JSONDecodeError("switched off", "", 0)

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(payloads.orjson, "loads", refuse)
        return _decoded(topic, payload)


json_number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**63), 2**64 - 1),
    recent,
    recent.map(lambda s: s * 1000 + 7),
)


@settings(max_examples=400, deadline=None)
@given(
    body=st.one_of(
        json_number,
        st.fixed_dictionaries(
            {"ts": st.one_of(reading_ts, bad_ts, json_number), "value": json_number},
            optional={"unit": st.sampled_from(["kWh", "Wh", "kW", "", "\ud800"])},
        ),
        st.lists(st.fixed_dictionaries({"ts": reading_ts, "value": json_number}), max_size=12),
    ),
)
def test_orjson_decodes_exactly_as_the_standard_library(body: object) -> None:
    """The fast parser changes nothing: the same readings, or the same refusal."""
    payload = json.dumps(body).encode()
    assert _decoded(TOPIC, payload) == _with_stdlib_json(TOPIC, payload)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"ts": 1795000000, "value": NaN}', "'value' nan is not finite"),
        (b'{"ts": 1795000000, "value": 1e400}', "'value' inf is not finite"),
        (b'{"ts": 1795000000, "value": 1.5}\xff', "not JSON or a number"),
        (b'{"ts": 1795000000, "value": 1.5', "not JSON or a number"),
    ],
)
def test_what_orjson_refuses_is_refused_for_its_own_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(InvalidPayload, match=reason):
        decode(TOPIC, payload, NOW)
