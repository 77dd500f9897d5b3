"""The plant file's schema and cross-checks: one clear message per problem, naming the YAML line
(from the node marks) or the TOML key path it is about."""

from __future__ import annotations

import textwrap

import pytest

from connectors.catalog_checks import KnownMeter, StoreView, check_plant
from connectors.catalog_file import InvalidPlantFile, PlantDocument, parse_plant

PLANT = textwrap.dedent(
    """\
    version: 1
    site:
      name: north
      timezone: Europe/Berlin
      country: DE
      region: BY
      currency: EUR
      shifts:
        - {name: early, days: [mon-fri], start: "06:00", end: "14:00"}
        - {name: night, days: [mon, tue, wed, thu], start: 22:00, end: 06:00}
      closures:
        - {name: winter shutdown, from: "12-24", to: "01-01"}
      tariffs:
        - carrier: electricity
          name: Grid 2026
          valid_from: 2026-01-01
          default_price: 0.16
          demand_charge_per_kw: 9.5
          periods: [{name: peak, days: [mon-fri], start: "08:00", end: "20:00", price: 0.24}]
      emission_factors:
        - {carrier: electricity, kg_co2e_per_kwh: 0.38, source: grid mix, year: 2024}
    meters:
      - name: supply
        carrier: electricity
        aliases: [incoming]
      - name: press-7
        carrier: electricity
        parent: supply
        production: [press-7-count]
      - name: press-7-count
        carrier: production
      - name: hall-2
        carrier: electricity
        parent: supply
        series: [{metric: energy, unit: kWh, interval: 15min}, {metric: production, interval: 1h}]
    """
)


def document(text: str, fmt: str = "yaml") -> PlantDocument:
    return parse_plant(text, f"plant.{fmt}", fmt)  # type: ignore[arg-type]


def problems(text: str, view: StoreView | None = None, fmt: str = "yaml") -> list[str]:
    """Every problem of a file, as the user reads them."""
    try:
        doc = document(text, fmt)
    except InvalidPlantFile as exc:
        return exc.problems
    found = check_plant(doc.plant, view or StoreView())
    return doc.source.fail(found).problems if found else []


def line(text: str, fragment: str, nth: int = 1) -> int:
    """The 1-based line of the nth line holding `fragment`."""
    matches = [i + 1 for i, row in enumerate(text.splitlines()) if fragment in row]
    return matches[nth - 1]


def edit(old: str, new: str, text: str = PLANT) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_a_valid_file_has_no_problems_and_keeps_yaml_12_scalars() -> None:
    assert problems(PLANT) == []
    plant = document(PLANT).plant
    night = plant.site.shifts[1]  # type: ignore[index]
    assert (night.start, night.end, night.days) == ("22:00", "06:00", [0, 1, 2, 3])
    assert plant.site.shifts[0].days == [0, 1, 2, 3, 4]  # type: ignore[index]
    norway = document(edit("country: DE\n  region: BY", "country: NO")).plant.site
    assert norway.country == "NO"
    assert [s.interval for s in plant.meters[3].series or []] == ["15min", "1h"]


@pytest.mark.parametrize(
    ("old", "new", "fragment", "key", "message"),
    [
        (
            "    parent: supply\n    production",
            "    parnet: supply\n    production",
            "parnet",
            "meters[1].parnet",
            "unknown key 'parnet'",
        ),
        (
            "carrier: production",
            "carrier: steel",
            "carrier: steel",
            "meters[2].carrier",
            "unknown carrier 'steel'; carriers are: electricity, gas, water, compressed_air, "
            "steam, heat, production, weather, driver",
        ),
        (
            "days: [mon, tue, wed, thu]",
            "days: [mon, tuesday, wed, thr]",
            "thr",
            "site.shifts[1].days",
            "'thr' is not a day; days are mon..sun or 0..6 (0 = Monday)",
        ),
        (
            'end: "14:00"',
            'end: "25:00"',
            "25:00",
            "site.shifts[0].end",
            "'25:00' is not a time of day such as '06:00' (HH:MM; '24:00' as an end)",
        ),
        (
            "price: 0.24",
            "price: -0.24",
            "-0.24",
            "site.tariffs[0].periods[0].price",
            "Input should be greater than or equal to 0",
        ),
        (
            "interval: 1h",
            "interval: hourly",
            "hourly",
            "meters[3].series[1].interval",
            "'hourly' is not an interval; use 1min, 5min, 15min, 30min, 1h, 1d, another "
            "duration such as '10min' or '2h', or 'billing'",
        ),
        (
            "currency: EUR",
            "currency: Euro",
            "currency: Euro",
            "site.currency",
            "'Euro' is not a currency code such as 'EUR'",
        ),
        (
            "{metric: energy, unit: kWh,",
            "{metric: energy, unit: kWatt,",
            "kWatt",
            "meters[3].series[0].unit",
            "unknown unit 'kWatt'",
        ),
        (
            'to: "01-01"',
            'to: "02-30"',
            "02-30",
            "site.closures[0].to",
            "'02-30' is no day of the year (MM-DD)",
        ),
    ],
)
def test_schema_problems_name_their_line_and_key(
    old: str, new: str, fragment: str, key: str, message: str
) -> None:
    text = edit(old, new)
    found = problems(text)
    assert len(found) == 1, found
    assert found[0].startswith(f"plant.yaml line {line(text, fragment)} ({key}): ")
    assert message in found[0]


def test_a_missing_key_and_every_problem_at_once() -> None:
    text = edit("version: 1\n", "", edit("    carrier: production", "    carrier: pv"))
    found = problems(text)
    assert found == [
        "plant.yaml line 1 (version): missing key 'version'",
        f"plant.yaml line {line(text, 'carrier: pv')} (meters[2].carrier): unknown carrier 'pv'; "
        "carriers are: electricity, gas, water, compressed_air, steam, heat, production, "
        "weather, driver",
    ]


def test_unreadable_yaml_duplicate_keys_and_an_empty_file() -> None:
    broken = edit("aliases: [incoming]", "aliases: [incoming")
    (message,) = problems(broken)
    assert message.startswith("plant.yaml line ") and "not valid YAML" in message
    twice = edit(
        "    parent: supply\n    production", "    parent: supply\n    parent: x\n    production"
    )
    assert problems(twice) == [
        f"plant.yaml line {line(twice, 'parent: x')} (meters[1].parent): key 'parent' is given "
        "twice"
    ]
    assert problems("") == ["plant.yaml: the file is empty; a plant file starts with version: 1"]
    assert problems("- a\n- b\n") == [
        "plant.yaml: a plant file is a mapping with version, site and meters"
    ]
    assert problems("version: 2\nsite: {name: x, timezone: UTC}\n") == [
        "plant.yaml line 1 (version): this product reads plant files of version 1 "
        "(write version: 1)"
    ]


CROSS_CHECKS = [
    (
        "  - name: hall-2\n",
        "  - name: Press 7\n",
        "name: Press 7",
        "meters[3].name",
        "'Press 7' is already meters[1] ('press-7'); names are matched ignoring case, spaces "
        "and dashes",
    ),
    (
        "aliases: [incoming]",
        "aliases: [incoming, Hall 2]",
        "Hall 2",
        "meters[0].aliases[1]",
        "alias 'Hall 2' is the name of meter 'hall-2'",
    ),
    (
        "    parent: supply\n    production",
        "    parent: supply\n    aliases: [INCOMING]\n    production",
        "INCOMING",
        "meters[1].aliases[0]",
        "alias 'INCOMING' is also an alias of meter 'supply'",
    ),
    (
        "    parent: supply\n    production",
        "    parent: suply\n    production",
        "parent: suply",
        "meters[1].parent",
        "no meter named 'suply' in this file or the store; did you mean 'supply'?",
    ),
    (
        "    parent: supply\n    production",
        "    parent: press-7\n    production",
        "parent: press-7",
        "meters[1].parent",
        "a meter cannot be its own parent",
    ),
    (
        "production: [press-7-count]",
        "production: [supply]",
        "production: [supply]",
        "meters[1].production[0]",
        "meter 'supply' has no production series (it has energy); link a meter that counts "
        "what is produced",
    ),
    (
        "production: [press-7-count]",
        "production: [press-7]",
        "production: [press-7]",
        "meters[1].production[0]",
        "a meter's own production series counts without a link; remove this one",
    ),
    (
        "{metric: production, interval: 1h}",
        "{metric: production, unit: kWh, interval: 1h}",
        "metric: production, unit: kWh",
        "meters[3].series[1].unit",
        "unit 'kWh' measures energy, but metric 'production' needs a unit of count such as 'unit'",
    ),
    (
        "  - name: press-7-count\n    carrier: production",
        "  - name: press-7-count\n    carrier: production\n    unit: kW",
        "unit: kW",
        "meters[2].unit",
        "press-7-count: unit 'kW' measures power, but the main series of a production meter "
        "is production such as 'unit'; give another unit or declare its series",
    ),
    (
        "  - name: press-7-count\n    carrier: production",
        "  - name: press-7-count",
        "name: press-7-count",
        "meters[2].carrier",
        "a new meter needs a carrier: electricity, gas, water, compressed_air, steam, heat, "
        "production, weather, driver",
    ),
    (
        "timezone: Europe/Berlin",
        "timezone: Europe/Munich",
        "Europe/Munich",
        "site.timezone",
        "unknown time zone 'Europe/Munich'; use an IANA name such as 'Europe/Berlin' or "
        "'America/Chicago'",
    ),
    (
        "country: DE",
        "country: XX",
        "country: XX",
        "site.country",
        "'XX' is not a country the public-holiday calendar knows (ISO 3166 alpha-2, such as "
        "DE, US, GB)",
    ),
    (
        "region: BY",
        "region: Bavaria",
        "Bavaria",
        "site.region",
        "'Bavaria' is not a region of DE; regions: BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, "
        "RP, SH, SL, SN, ST, TH, Augsburg",
    ),
    (
        "  country: DE\n",
        "",
        "region: BY",
        "site.region",
        "a region needs the site's country",
    ),
    (
        "valid_from: 2026-01-01",
        "valid_from: 2026-01-01\n      valid_to: 2025-12-31",
        "valid_to: 2025-12-31",
        "site.tariffs[0].valid_to",
        "ends (2025-12-31) before it is valid from 2026-01-01",
    ),
    (
        "emission_factors:",
        "  - {carrier: electricity, name: Old grid, valid_to: 2026-03-31, default_price: 0.1}\n"
        "  emission_factors:",
        "Old grid",
        "site.tariffs[1].valid_from",
        "electricity tariff 'Old grid' is valid always..2026-03-31, which overlaps tariffs[0] "
        "('Grid 2026', 2026-01-01..open); one tariff prices each day",
    ),
    (
        "price: 0.24}]",
        'price: 0.24}, {name: shoulder, days: [fri, sat], start: "19:00", end: "22:00", '
        "price: 0.2}]",
        "shoulder",
        "site.tariffs[0].periods[1]",
        "'shoulder' overlaps periods[0] ('peak') from fri 19:00; each quarter-hour belongs to "
        "one of them",
    ),
    (
        "start: 22:00, end: 06:00}",
        "start: 13:00, end: 06:00}",
        "start: 13:00",
        "site.shifts[1]",
        "'night' overlaps shifts[0] ('early') from mon 13:00; each quarter-hour belongs to one "
        "of them",
    ),
    (
        'start: "06:00", end: "14:00"',
        'start: "24:00", end: "14:00"',
        "24:00",
        "site.shifts[0].start",
        "nothing starts at 24:00; write 00:00",
    ),
    (
        'start: "06:00", end: "14:00"',
        'start: "06:00", end: "06:00"',
        'end: "06:00"}',
        "site.shifts[0].end",
        "'early' starts and ends at 06:00",
    ),
    (
        'to: "01-01"',
        "to: 2027-01-01",
        "to: 2027-01-01",
        "site.closures[0].to",
        "both ends of a closure are dates (one-off) or both are MM-DD (every year)",
    ),
    (
        'from: "12-24", to: "01-01"',
        "from: 2026-07-31, to: 2026-07-30",
        "2026-07-31",
        "site.closures[0].to",
        "ends (2026-07-30) before it starts (2026-07-31)",
    ),
    (
        "meters:",
        "    - {carrier: electricity, kg_co2e_per_kwh: 0.4, source: other}\nmeters:",
        "source: other",
        "site.emission_factors[1]",
        "a factor for electricity is already given as emission_factors[0]",
    ),
    (
        "meters:",
        "  budgets: [{carrier: gas, month: 2026-11, year: 2026, kwh: 100}]\nmeters:",
        "budgets",
        "site.budgets[0]",
        "a budget is for one month (month: 2026-11) or one year",
    ),
    (
        "  currency: EUR\n",
        "",
        "- carrier: electricity",
        "site.tariffs[0].currency",
        "prices need a currency: set site.currency (e.g. EUR) or this tariff's",
    ),
]


@pytest.mark.parametrize(("old", "new", "fragment", "key", "message"), CROSS_CHECKS)
def test_every_cross_check_names_its_line_and_key(
    old: str, new: str, fragment: str, key: str, message: str
) -> None:
    text = edit(old, new)
    found = problems(text)
    expected = f"plant.yaml line {line(text, fragment)} ({key}): {message}"
    assert expected in found, found
    assert len(found) == 1, found


def test_a_cycle_through_the_store_is_found() -> None:
    """The file makes supply a child of hall-3, whose stored parent is hall-2, whose parent
    the file makes supply."""
    text = edit("    aliases: [incoming]", "    aliases: [incoming]\n    parent: hall-3")
    view = StoreView(meters={"hall-3": KnownMeter("hall-3", "electricity", "kWh", "hall-2")})
    assert problems(text, view) == [
        f"plant.yaml line {line(text, 'parent: hall-3')} (meters[0].parent): the tree goes "
        "round in a circle: supply -> hall-3 -> hall-2 -> supply",
        f"plant.yaml line {line(text, 'parent: supply', 2)} (meters[3].parent): the tree goes "
        "round in a circle: hall-2 -> supply -> hall-3 -> hall-2",
    ]


def test_checks_that_look_at_the_store() -> None:
    stored = StoreView(
        timezone="Europe/London",
        country="GB",
        currency="GBP",
        has_data=True,
        meters={
            "Supply": KnownMeter("Supply", "electricity", "kWh"),
            "hall-2": KnownMeter("hall-2", "electricity", "kWh", series={"energy": "kWh"}),
            "old-press": KnownMeter("old-press", "electricity", "kWh", None, ("incoming",)),
        },
    )
    text = edit("unit: kWh, interval: 15min", "unit: m3, interval: 15min")
    found = problems(text, stored)
    assert found == [
        f"plant.yaml line {line(text, 'timezone')} (site.timezone): site 'north' has data, "
        "whose days and hours are kept in Europe/London; its time zone cannot change to "
        "Europe/Berlin",
        f"plant.yaml line {line(text, '- name: supply')} (meters[0].name): the store has this "
        "meter as 'Supply'; use that spelling (names are matched ignoring case, spaces and "
        "dashes)",
        f"plant.yaml line {line(text, 'incoming')} (meters[0].aliases[0]): alias 'incoming' is "
        "also an alias of meter 'old-press'",
        f"plant.yaml line {line(text, 'unit: m3')} (meters[3].series[0].unit): unit 'm3' "
        "measures volume, but metric 'energy' needs a unit of energy such as 'kWh'",
    ]
    # A parent only the store has is a parent.
    child = edit("    parent: supply\n    production", "    parent: old-press\n    production")
    assert problems(child, StoreView(meters=stored.meters)) == [
        f"plant.yaml line {line(child, '- name: supply')} (meters[0].name): the store has this "
        "meter as 'Supply'; use that spelling (names are matched ignoring case, spaces and "
        "dashes)",
        f"plant.yaml line {line(child, 'incoming')} (meters[0].aliases[0]): alias 'incoming' "
        "is also an alias of meter 'old-press'",
    ]


TOML = textwrap.dedent(
    """\
    version = 1

    [site]
    name = "north"
    timezone = "Europe/Berlin"
    currency = "EUR"

    [[site.tariffs]]
    carrier = "electricity"
    name = "Grid"
    default_price = 0.16
    periods = [{name = "peak", days = ["mon-fri"], start = 08:00:00, end = "20:00", price = 0.2}]

    [[meters]]
    name = "supply"
    carrier = "electricity"

    [[meters]]
    name = "press-7"
    carrier = "electricity"
    parent = "supply"
    production = ["supply"]
    """
)


def test_toml_files_name_the_key_path() -> None:
    assert problems(TOML, fmt="toml") == [
        "plant.toml (meters[1].production[0]): meter 'supply' has no production series (it "
        "has energy); link a meter that counts what is produced"
    ]
    period = document(TOML, "toml").plant.site.tariffs[0].periods[0]
    assert (period.start, period.days) == ("08:00", [0, 1, 2, 3, 4])
    typo = TOML.replace('parent = "supply"', 'parent = "suply"').replace("0.16", '"cheap"')
    assert problems(typo, fmt="toml") == [
        "plant.toml (site.tariffs[0].default_price): Input should be a valid number, unable to "
        "parse string as a number"
    ]
    assert problems("version = 1\n[site\n", fmt="toml")[0].startswith(
        "plant.toml: not valid TOML: "
    )


def test_plant_file_problems_are_an_error_of_the_product() -> None:
    with pytest.raises(InvalidPlantFile) as caught:
        document(edit("carrier: production", "carrier: steel"))
    assert str(caught.value).startswith("1 problem, nothing changed:\n  plant.yaml line ")
