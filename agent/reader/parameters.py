"""Parameters a user states in the question, to be used and echoed rather than replaced by the
site's defaults: emission factors, prices and time-of-use windows, demand charges, the demand
window, hours of the day ("22:00-06:00", "overnight") and a forecast's horizon."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import time
from typing import Any

from agent.reader.dates import MONTHS, WEEKDAYS, phrases
from agent.reader.lexicon import Lexicon
from agent.reader.slots import (
    CalorificValue,
    DemandCharge,
    DemandWindow,
    EmissionFactor,
    ExchangeRate,
    HolidaysOff,
    Horizon,
    HourWindow,
    Price,
    TouWindow,
)
from agent.reader.text import MASK, Sheet

NUMBER = r"(?P<v>\d+(?:[.,]\d+)*)"
CUR_BEFORE = r"(?:(?P<c1>€|r\$|\$|£|eur|usd|gbp|chf|brl)\s*)?"
CUR_AFTER = (
    r"(?:\s*(?P<c2>€|r\$|\$|£|eur|euros?|usd|dollars?|gbp|pounds?|chf|brl|reais|ct|cents?|pence|p)"
    r"(?!\w))?"
)
CURRENCIES = {
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "$": "USD",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "dólar": "USD",
    "dólares": "USD",
    "£": "GBP",
    "gbp": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "chf": "CHF",
    "r$": "BRL",
    "brl": "BRL",
    "reais": "BRL",
    "real": "BRL",
}
CENTS = ("ct", "cent", "cents", "pence", "p")
DAY_SETS = {
    "weekday": (0, 1, 2, 3, 4),
    "working": (0, 1, 2, 3, 4),
    "workday": (0, 1, 2, 3, 4),
    "mon": (0, 1, 2, 3, 4),
    "mo": (0, 1, 2, 3, 4),  # "Mo-Fr"
    "seg": (0, 1, 2, 3, 4),  # "seg-sex", "segunda a sexta"
    "weekend": (5, 6),
    "sat": (5,),
    "sun": (6,),
    "dias úteis": (0, 1, 2, 3, 4),
    "dias uteis": (0, 1, 2, 3, 4),
    "dia útil": (0, 1, 2, 3, 4),
    "dia util": (0, 1, 2, 3, 4),
}
ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)
DAY_WORDS = (
    r"weekdays?|working days?|workdays?|mon(?:day)?\s*(?:-|to)\s*fri(?:day)?|mo\s*-\s*fr|"
    r"weekends?|every day|daily|all week|sat(?:urday)?s?|sun(?:day)?s?|dias? [úu]te(?:is|l)|"
    r"seg(?:unda)?(?:-feira)?\s*(?:-|a|à)\s*sex(?:ta)?(?:-feira)?"
)
# the words between the two hours of a window: "18-21", "6 to 8", Portuguese "18h às 21h"
TO = r"(?:-|to|until|till|\b(?:às|as|até|ate|a)\b)"
DAYS = f"(?P<days>{DAY_WORDS})"
# "/kW/month", "/kW/Monat", "por kW por mês": a demand charge is levied per month
PER_MONTH = r"(?:\s*(?:per|a|/|pro|por)\s*(?:month|monat|m[eê]s)\b)?"
HOUR = r"(?:midnight|midday|noon|\d{1,2}(?::\d\d|h\d\d)?\s*(?:am|pm|h|uhr|o'clock)?)"
# Times of day said in words; midnight opens a day and closes one ("10pm to midnight").
CLOCK_WORDS = {"midnight": time(0), "midday": time(12), "noon": time(12)}


@dataclass(frozen=True)
class PeriodNames:
    """Names of tariff periods as patterns: the lexicon's words in each language it holds
    and the site's own periods from its catalogue, longest first ("fora ponta" before
    "ponta")."""

    every: str  # any period's name
    off_peak: str  # the hours outside the priced periods
    other: str = "(?!)"  # those hours said without a name ("otherwise", "sonst")


def period_names(lexicon: Lexicon, site: tuple[str, ...] = ()) -> PeriodNames:
    own = [
        re.sub(r"\\?[\s-]+", r"[\\s-]+", re.escape(n.strip().lower())) for n in site if n.strip()
    ]
    every = sorted({*lexicon.period_names, *lexicon.off_peak_names, *own}, key=len, reverse=True)
    off_peak = sorted(lexicon.off_peak_names, key=len, reverse=True)
    return PeriodNames(
        "|".join(every) or "(?!)",
        "|".join(off_peak) or "(?!)",
        "|".join(lexicon.other_hours) or "(?!)",
    )


def parse_number(text: str) -> float:
    """ "1,200" is a thousands separator, "0,42" and "0,185" a decimal comma (no thousands
    follow a leading zero), "1.200,5" both."""
    if re.fullmatch(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d+", text):
        return float(text.replace(".", "").replace(",", "."))
    if text.count(".") > 1:
        raise ValueError(text)
    return float(text.replace(",", "."))


def _currency(m: re.Match[str]) -> tuple[str | None, float]:
    """The currency written around a price, and the factor to whole units (cents / 100)."""
    words = [m.groupdict().get(g) for g in ("c1", "c2")]
    written = [w for w in words if w]
    if any(w in CENTS for w in written):
        return None, 0.01
    return next((CURRENCIES[w] for w in written if w in CURRENCIES), None), 1.0


def _clock(text: str) -> time | None:
    """ "8", "08:00", "10pm", "22h", "22h30" as a time of day; None when it cannot be one."""
    if text.strip() in CLOCK_WORDS:
        return CLOCK_WORDS[text.strip()]
    m = re.fullmatch(r"(\d{1,2})(?:[:h](\d\d))?\s*(am|pm|h|uhr|o'clock)?", text.strip())
    if m is None:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3) == "pm" and hour < 12:
        hour += 12
    if m.group(3) == "am" and hour == 12:
        hour = 0
    if hour == 24 and minute == 0:
        return time(23, 59, 59)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


WORKDAYS = (0, 1, 2, 3, 4)


def _window_days(m: re.Match[str], names: PeriodNames) -> tuple[tuple[int, ...], bool]:
    """The days a stated time-of-use window holds on, and whether they were written. Unwritten,
    a peak (or any priced) window holds on weekdays, as tariffs' peak periods do; an off-peak
    or night window on every day."""
    said = m.group("days") or m.group("d1")
    if said:
        return _days(said), True
    name = m.groupdict().get("name") or ""
    off_peak = bool(name) and re.fullmatch(names.off_peak, name) is not None
    return (ALL_DAYS if off_peak else WORKDAYS), False


def _days(text: str | None) -> tuple[int, ...]:
    if not text:
        return ALL_DAYS
    key = next((k for k in DAY_SETS if text.startswith(k)), "")
    return DAY_SETS.get(key, ALL_DAYS)


@dataclass
class Stated:
    """What the question states, as found so far."""

    emission_factors: list[EmissionFactor] = field(default_factory=list)
    prices: list[Price] = field(default_factory=list)
    tou: list[TouWindow] = field(default_factory=list)
    holidays_off: list[HolidaysOff] = field(default_factory=list)
    demand_charges: list[DemandCharge] = field(default_factory=list)
    demand_windows: list[DemandWindow] = field(default_factory=list)
    hour_windows: list[HourWindow] = field(default_factory=list)
    horizons: list[Horizon] = field(default_factory=list)
    exchange_rates: list[ExchangeRate] = field(default_factory=list)
    calorific_values: list[CalorificValue] = field(default_factory=list)


def _tou(sheet: Sheet, stated: Stated, names: PeriodNames) -> None:
    pattern = (
        r"\b(?P<name>" + names.every + r")s?(?:\s+(?:rate|tariff|hours|period|price|time))?"
        r"\s*(?:is |of |from |between |=|:)?\s*(?:(?P<d1>" + DAY_WORDS + r")\s+)?"
        r"(?P<h1>" + HOUR + r")\s*(?:-|to|until|till|and)\s*(?P<h2>" + HOUR + r")(?![\d:])"
        r"(?:\s*(?:on |,\s*)?"
        + DAYS
        + r")?(?:\s*(?:at|@|=|:|for|costs?|is|are|was|were|,|a|à|por|zu|für)\s*|\s+)"
        + CUR_BEFORE
        + NUMBER
        + CUR_AFTER
        + r"(?:\s*(?:/|per)\s*kwh)?"
    )
    for m in re.finditer(pattern, sheet.masked()):
        start, end = _clock(m.group("h1")), _clock(m.group("h2"))
        if start is None or end is None or not sheet.free(sheet.covering(m.start(), m.end())):
            continue
        currency, scale = _currency(m)
        days, said = _window_days(m, names)
        words = sheet.claim_span(m.start(), m.end())
        price = parse_number(m.group("v")) * scale
        name = re.sub(r"[\s-]+", "-", m.group("name"))
        stated.tou.append(TouWindow(name, days, start, end, price, words, currency, days_said=said))


# "price it", "priced at", "rate of": the number right after is what a kWh is priced at
PRICED_BEFORE = re.compile(
    r"\b(?:price[ds]?|rate|tariff|pre[cç]o|tarifa|preis|tarif)\s*(?:it|that|this|them|isso)?"
    r"\s*(?:at|@|of|to|=|:|a|à|zu|mit)?\s*$"
)


def _tou_price_first(sheet: Sheet, stated: Stated, names: PeriodNames) -> None:
    """ "0.28 EUR/kWh Mon-Fri 07:00-19:00", "HT 0.24 Mon-Fri 08-20": the price (per kWh, or
    after its period's name), then when it applies."""
    pattern = (
        r"\b(?:(?P<name>" + names.every + r")\s*(?::|=|at|@|a|à|de)?\s*)?" + CUR_BEFORE + NUMBER
        + r"(?!\d)" + CUR_AFTER + r"(?P<per>\s*(?:/|per|a)\s*kwh)?\s*,?\s*(?P<open>\()?\s*"
        r"(?:(?:on|for|during|nos|em)\s+)?(?:(?P<d1>" + DAY_WORDS + r")\s*,?\s*)?"
        r"(?:(?:from|between|das|de|entre)\s+)?"
        r"(?P<h1>" + HOUR + r")\s*(?:" + TO + r"|and|e)\s*(?P<h2>" + HOUR + r")(?![\d:])"
        r"(?:\s*,?\s*(?:(?:on|nos|em)\s+)?" + DAYS + r")?(?(open)\s*\))"
    )  # fmt: skip
    for m in re.finditer(pattern, sheet.masked()):
        start, end = _clock(m.group("h1")), _clock(m.group("h2"))
        if start is None or end is None or not sheet.free(sheet.covering(m.start(), m.end())):
            continue
        name = m.group("name")
        priced = PRICED_BEFORE.search(sheet.masked()[: m.start()]) is not None
        if not (m.group("per") or name or priced) or (name and re.fullmatch(names.off_peak, name)):
            continue  # a number before hours is a price only per kWh, after a period's name
            # or after a word that prices ("price it 0.27 weekdays 07-19")
        if not m.group("per") and not (_currency(m)[0] or re.search(r"[.,]", m.group("v"))):
            continue  # "peak = 07-19": after a name, a whole number is an hour, not a price
        currency, scale = _currency(m)
        days, said = _window_days(m, names)
        words = sheet.claim_span(m.start(), m.end())
        price = parse_number(m.group("v")) * scale
        named = re.sub(r"[\s-]+", "-", name) if name else "peak"
        stated.tou.append(
            TouWindow(named, days, start, end, price, words, currency, days_said=said)
        )


# "peak = 07-19 mon-fri", "ponta 18-21h weekdays", "ponta (18h-21h, mon-fri)": when a named
# period is, without its price


def _window_only(names: PeriodNames) -> str:
    return (
        r"\b(?P<name>" + names.every + r")(?:\s+(?:hours|period|time|window|tariff))?"
        r"\s*(?:=|:|is|are|from|between|\(|,)?\s*(?:(?P<d1>" + DAY_WORDS + r")\s+)?"
        r"(?P<h1>" + HOUR + r")\s*" + TO + r"\s*(?P<h2>" + HOUR + r")(?![\d:])"
        r"(?:\s*,?\s*(?:on\s+)?" + DAYS + r")?\)?"
    )


PER_KWH = r"(?:\s*(?:/|per|a|an|por|pro|je|o)\s*kwh\b)?"


def _named_price(text: str, name: str) -> re.Match[str] | None:
    """A price said with its period's name, before or after it: "0.28 peak", "peak at 0.28",
    "fora ponta R$0.48"; never the number of an hour ("peak 07-19")."""
    before = (
        r"\b(?:" + name + r")\s*(?:at|@|=|:|is|of|costs?)?\s*" + CUR_BEFORE + NUMBER + CUR_AFTER
        + PER_KWH + r"(?![.,]?\d|\s*(?:-\s*\d|to\b|until\b|h\b|:|%))"
    )  # fmt: skip
    after = (
        r"\b" + CUR_BEFORE + NUMBER + CUR_AFTER + PER_KWH
        + r"\s+(?:(?:for|in|at|during|na|no|em)\s+(?:the\s+)?)?(?:" + name + r")\b"
    )  # fmt: skip
    found = [m for p in (after, before) if (m := re.search(p, text))]
    return min(found, key=lambda m: m.start()) if found else None


def _tou_defined_apart(sheet: Sheet, stated: Stated, names: PeriodNames) -> None:
    """ "0.12 offpeak and 0.28 peak (peak = 07-19 mon-fri)": the hours of a period said apart
    from its price; both are needed, else neither is taken."""
    for m in re.finditer(_window_only(names), sheet.masked()):
        start, end = _clock(m.group("h1")), _clock(m.group("h2"))
        said, first_word = m.group("name"), m.start()
        days, days_said = _window_days(m, names)
        if re.fullmatch(names.off_peak, said):
            # "0.31 on-peak and 0.12 off-peak, weekdays 08-20": hours after both prices are
            # the peak period's, whose name came first; the off-peak name keeps its price
            said, first_word = _peak_before(sheet.masked()[: m.start()], names), m.end("name")
            days = days if days_said else WORKDAYS
        if start is None or end is None or not said:
            continue
        name = re.sub(r"[\s-]+", "-", said)
        # the hours taken out, the name kept: "2.60 na ponta (18h-21h)" names it once, and
        # "peak (weekdays 08-20) is 0.27" says the price right after the name
        text, cut, gap = sheet.masked(), m.end("name"), m.end() - m.end("name")
        text = text[:cut] + text[m.end() :]
        # "fora ponta R$ 0,56" is the off-peak price, not the price of "ponta"
        text = re.sub(r"\b(?:" + names.off_peak + r")\b", lambda o: MASK * len(o.group()), text)
        price = _named_price(text, re.escape(said).replace(r"\ ", r"\s+"))
        if price is None or not sheet.free(sheet.covering(first_word, m.end())):
            continue
        currency, scale = _currency(price)
        value = parse_number(price.group("v")) * scale
        first, last = (i + gap if i > cut else i for i in (price.start(), price.end()))
        words = sheet.claim_span(first_word, m.end())
        sheet.claim_span(first, last)
        stated.tou.append(
            TouWindow(name, days, start, end, value, words, currency, days_said=days_said)
        )


def _peak_before(text: str, names: PeriodNames) -> str:
    """The last period name in `text` that is not an off-peak one ("" when none is): the
    priced period whose hours a list of prices states at its end."""
    found = [
        n.group()
        for n in re.finditer(r"\b(?:" + names.every + r")\b", text)
        if not re.fullmatch(names.off_peak, n.group())
    ]
    return found[-1] if found else ""


# "(every day incl weekend)", "7 days a week": a stated window's days said as all of them
EVERY_DAY = (
    r"\b(?:every day|each day|daily|all week|7 days a week|seven days a week)"
    r"(?:\s*,?\s*(?:incl(?:uding|\.)?|with|and)\s+(?:the\s+)?weekends?)?"
    r"|\b(?:incl(?:uding|\.)?|with|and|also|even)\s+(?:on\s+)?(?:the\s+)?weekends?(?:\s+too)?\b"
    r"|\bweekends?\s+(?:included|too)\b"
)


def _cheap_windows(stated: Stated) -> None:
    """A window written without days that runs over midnight, or is priced below the other
    hours ("0.12 22-06, 0.25 otherwise"), is a night tariff: it holds every night."""
    other = [p.per_kwh for p in stated.prices if p.per_kwh is not None]
    stated.tou = [
        replace(w, days=ALL_DAYS)
        if not w.days_said and (w.end <= w.start or any(w.price < o for o in other))
        else w
        for w in stated.tou
    ]


def _every_day(sheet: Sheet, stated: Stated) -> None:
    """Words that say a stated time-of-use window holds on every day of the week are part of
    the statement ("nights 22-06 at 11 ct (every day incl weekend)"), not a weekend split."""
    if not stated.tou or any(w.days != ALL_DAYS and w.days_said for w in stated.tou):
        return
    for m in re.finditer(EVERY_DAY, sheet.masked()):
        if sheet.free(sheet.covering(m.start(), m.end())):
            sheet.claim_span(m.start(), m.end())
            stated.tou = [replace(w, days=ALL_DAYS, days_said=True) for w in stated.tou]


def _off_peak_prices(sheet: Sheet, stated: Stated, names: PeriodNames) -> None:
    """Beside a stated time-of-use period, the price of the other hours by its name alone:
    "fora ponta R$0.48", "0.12 offpeak"."""
    if not stated.tou:
        return
    # beside a stated period, "R$ 0.52 otherwise" is the price of every other hour
    price = _named_price(sheet.masked(), names.off_peak + "|" + names.other)
    if price is None or not sheet.free(sheet.covering(price.start(), price.end())):
        return
    currency, scale = _currency(price)
    end = price.end()
    other = re.compile(r"\s*,?\s*(?:" + names.other + r")\b").match(sheet.masked(), end)
    if other and sheet.free(sheet.covering(other.start(), other.end())):
        end = other.end()  # "NT 0.15 €/kWh otherwise": the name and the words both say it
    words = sheet.claim_span(price.start(), end)
    stated.prices.append(Price(parse_number(price.group("v")) * scale, words, currency, "off-peak"))


def _demand_charges(sheet: Sheet, stated: Stated) -> None:
    charge = (
        r"\b(?:(?:demand|capacity) charges?|demanda)\s*(?:of|at|=|:|is|de)?\s*"
        + CUR_BEFORE + NUMBER + CUR_AFTER
        + r"\s*(?:/|per|a)\s*kw\b" + PER_MONTH
    )  # fmt: skip
    # "12 €/kW demand charge", "R$ 38.90/kW demand": the charge named after its value
    after = (
        r"\b" + CUR_BEFORE + NUMBER + CUR_AFTER + r"\s*(?:/|per|a)\s*kw\b" + PER_MONTH
        + r"\s+(?:(?:as|for)\s+(?:the\s+)?)?(?:demand|capacity)(?: charges?)?\b"
    )  # fmt: skip
    # "12 EUR per kW of the monthly peak", "R$ 40 per kW of monthly demand": the charge named
    # by what it is levied on
    levied = (
        r"\b" + CUR_BEFORE + NUMBER + CUR_AFTER + r"\s*(?:/|per|a)\s*kw\b" + PER_MONTH
        + r"\s+(?:of|on)\s+(?:the\s+|each\s+)?"
        r"(?:(?:monthly|month's|month|billing)\s+)?(?:\d+[\s-]*min(?:ute)?s?\s+)?"
        r"(?:(?:peak|max(?:imum)?)(?:\s+(?:demand|kw|load))?|demand)\b"
    )  # fmt: skip
    # "the demand charge on October's peak at 11.20 EUR/kW": money per kW, in a question about
    # the demand charge, can only be that charge
    apart = r"\b" + CUR_BEFORE + NUMBER + CUR_AFTER + r"\s*(?:/|per|a)\s*kw\b(?!h)"
    found = [m for text in (charge, after, levied) for m in re.finditer(text, sheet.masked())]
    if re.search(r"\b(?:demand|capacity) charges?\b", sheet.masked()):
        # "(41,20/kW)" beside the demand charge is that charge in the site's currency
        found += [
            m
            for m in re.finditer(apart, sheet.masked())
            if _currency(m)[0] or re.match(r"\s*(?:/|per\b)", sheet.masked()[m.end("v") :])
        ]
    for m in found:
        if not sheet.free(sheet.covering(m.start(), m.end())):
            continue
        currency, scale = _currency(m)
        words = sheet.claim_span(m.start(), m.end())
        stated.demand_charges.append(
            DemandCharge(parse_number(m.group("v")) * scale, words, currency)
        )
    # "no demand charge", German "kein Leistungspreis" (written out as "demand charge"),
    # Portuguese "sem demanda" (the bill's demand part left out)
    nothing = (
        r"\b(?:no|without(?: a| any)?|zero|kein(?:e|en)?|ohne) (?:demand|capacity) charges?\b"
        r"|\bsem (?:(?:custo|cobrança|cobranca|tarifa|encargo) de )?demanda?\b"
    )
    for m in re.finditer(nothing, sheet.masked()):
        if sheet.free(sheet.covering(m.start(), m.end())):
            stated.demand_charges.append(DemandCharge(0.0, sheet.claim_span(m.start(), m.end())))
    if stated.demand_charges and not stated.prices:
        _nothing_for_energy(sheet, stated)


def _nothing_for_energy(sheet: Sheet, stated: Stated) -> None:
    """ "only the demand charge, not the energy", "the demand charge only": the energy is priced
    at nothing. Only "only" or "just" is claimed: "the demand charge" stays the measure asked.
    "not the energy" counts alone, not before another noun ("not the energy offer")."""
    only = (
        r"\b(?P<w>only|just) the (?:demand|capacity) charges?\b"
        r"|\b(?:demand|capacity) charges? (?P<w3>only)\b"
        r"|\b(?P<w2>not the energy)\b(?!\s+[^\W\d])"
        # "how much of that is the demand charge?": that part of the cost, not a share of meters
        r"|\b(?P<w4>how much of) (?:that|it|this|the (?:cost|bill|total))"
        r" (?:is|was|are|were|comes? from|came from) (?:the )?(?:demand|capacity) charges?\b"
    )
    for m in re.finditer(only, sheet.text):  # "demand charge" may be claimed by its value
        g = next(k for k in ("w", "w2", "w3", "w4") if m.group(k))
        if sheet.free(sheet.covering(m.start(g), m.end(g))):
            words = sheet.claim_span(m.start(g), m.end(g))
            if not stated.prices:  # said more than once, one price of nothing
                stated.prices.append(Price(0.0, words, part=True))


ENERGY_ONLY = (
    r"\b(?:(?:the )?energy(?: charges?| costs?| part)? only"
    r"|(?:only|just) (?:the )?energy(?: charges?| costs?| part)?(?!\s+[^\W\d]))\b"
)


# "at 16 ct", "@ €0.19": an amount of money something is priced at, with nothing after it
PRICED_AT = (
    r"\b(?:at|@)\s*" + CUR_BEFORE + NUMBER + CUR_AFTER
    + r"(?!\s*(?:/|per\b|an?\b|each\b|every\b|%|[kmg]?wh?\b|[kmg]?va\b))"
)  # fmt: skip


def _priced_at(sheet: Sheet, stated: Stated, lexicon: Lexicon) -> None:
    """ "at 16 ct that's how many euros?": in a question about money, an amount with its
    currency or in cents after "at" is the price of a kWh, the unit an energy manager prices
    by; a bare number after "at" stays unread."""
    if stated.prices or stated.tou:
        return
    hits = lexicon.scan(sheet.masked())
    if not any(h.key == "cost" or h.table == "currency" for h in hits):
        return
    for m in re.finditer(PRICED_AT, sheet.masked()):
        currency, scale = _currency(m)
        if (currency is None and scale == 1.0) or not sheet.free(
            sheet.covering(m.start(), m.end())
        ):
            continue
        words = sheet.claim_span(m.start(), m.end())
        stated.prices.append(Price(parse_number(m.group("v")) * scale, words, currency))
        return


def _energy_only(sheet: Sheet, stated: Stated, lexicon: Lexicon) -> None:
    """ "what did it cost, energy only": the energy part of the bill, no demand charge on it.
    Only in a question about money; "energy only" elsewhere asks for the kWh."""
    if stated.demand_charges:
        return
    if not any(h.key == "cost" for h in lexicon.scan(sheet.masked())):
        return
    for m in re.finditer(ENERGY_ONLY, sheet.masked()):
        if sheet.free(sheet.covering(m.start(), m.end())):
            words = sheet.claim_span(m.start(), m.end())
            stated.demand_charges.append(DemandCharge(0.0, words, part=True))
            return


def _prices(sheet: Sheet, stated: Stated, period: PeriodNames) -> None:
    _demand_charges(sheet, stated)
    names = (
        period.off_peak + r"|otherwise|other times|outside|rest|gas|electricity"
        r"|flat(?:[\s-]?rate)?"
    )
    named = r"(?:(?P<name>" + names + r")\s+)?"
    lead = r"(?:(?:price|rate|tariff|at|@)\s*(?:of|at|=|:|is)?\s*)?"
    # "0.19 €/kWh flat": a single price at all hours
    per_kwh = (
        r"\s*(?:/|per|a|an|por|pro|je|o)\s*(?P<per>kwh|mwh)\b(?P<flat>\s+flat(?:[\s-]?rate)?\b)?"
        # "0.50 €/kWh off-peak": the name written after the price
        r"(?:\s+(?P<after>" + period.off_peak + r")\b)?"
        r"(?:\s*,?\s*(?:at\s+)?(?:all\s+)?(?:the\s+)?(?:other|remaining)\s+(?:times|hours)\b"
        r"|\s+otherwise\b)?"
    )
    stated_price = r"(?:(?:price|rate|tariff)\s*(?:of|at|=|:|is)?\s*)"
    patterns = (
        r"\b" + named + lead + CUR_BEFORE + NUMBER + CUR_AFTER + per_kwh,
        r"\b" + named + stated_price + CUR_BEFORE + NUMBER + CUR_AFTER + r"(?!\s*(?:/|per|%))",
    )
    for pattern in patterns:
        for m in re.finditer(pattern, sheet.masked()):
            if not sheet.free(sheet.covering(m.start(), m.end())):
                continue
            currency, scale = _currency(m)
            value = parse_number(m.group("v")) * scale
            if m.groupdict().get("per") == "mwh":
                value /= 1000
            words = sheet.claim_span(m.start(), m.end())
            name = re.sub(r"[\s-]+", "-", m.group("name") or m.groupdict().get("after") or "")
            if m.groupdict().get("flat"):
                name = "flat"
            stated.prices.append(Price(value, words, currency, name))


MASS = {"kg": 1.0, "g": 0.001, "gram": 0.001, "grams": 0.001, "t": 1000.0, "tonne": 1000.0,
        "tonnes": 1000.0, "ton": 1000.0, "tons": 1000.0}  # fmt: skip


def _emission_factors(sheet: Sheet, stated: Stated) -> None:
    cue = (
        r"(?:(?:an? |the )?(?:emission|emissions|carbon|co2e?|grid|ghg)\s+(?:factor|intensity)"
        r"|factor)"
    )
    lead = r"\b(?:" + cue + r"(?:\s+(?:of|at|=|:|is))?\s*)?"
    unit = (
        r"\s*(?P<mass>kg|g|grams?|t|tonnes?|tons?)\s*(?:co2e?|co₂e?|of co2e?)?"
        r"\s*(?:/|per|a|an|pro|por|je)\s*(?P<en>kwh|mwh)\b"
    )
    bare = r"\b" + cue + r"(?:\s+(?:of|at|=|:|is))?\s*" + NUMBER + r"\b(?!\s*(?:kg|g|t|%)\b)"
    for pattern, has_unit in ((lead + NUMBER + unit, True), (bare, False)):
        for m in re.finditer(pattern, sheet.masked()):
            if not sheet.free(sheet.covering(m.start(), m.end())):
                continue
            value = parse_number(m.group("v"))
            if has_unit:
                value *= MASS[m.group("mass")] / (1000.0 if m.group("en") == "mwh" else 1.0)
            carrier = _carrier_near(sheet.masked(), m.start(), m.end())
            words = sheet.claim_span(m.start(), m.end())
            stated.emission_factors.append(
                EmissionFactor(value, words, carrier, unit_assumed=not has_unit)
            )


# "10,83 kWh per m³", "38 MJ/Nm3": energy per volume, in kWh/m3
PER_M3 = (
    NUMBER
    + r"\s*(?P<unit>kwh|mj)\s*(?:/|per|a|por|pro|each|every)\s*(?:n|s)?(?:m3|m³|m\^3|cubic met\w+|"
    r"metros? c[úu]bicos?)(?!\w)"
)
# what may stand between a label and its amount: "CV: 10.5", "Brennwert von 11,2", "is"
LABEL_LINK = r"(?:\s*[=:]|\s+(?:of|at|is|de|do|da|von|vom))?\s*"
MJ_PER_KWH = 3.6


def _calorific_values(sheet: Sheet, stated: Stated, lexicon: Lexicon) -> None:
    """Amounts per m³ a label of the lexicon calls a calorific value ("a calorific value of
    38 MJ/m3", "Brennwert 11,2 kWh/m³"); unlabelled ones are read after the thresholds."""
    if not lexicon.calorific_labels:
        return
    labels = "|".join(lexicon.calorific_labels)
    _per_m3(sheet, stated, r"(?<!\w)(?:" + labels + r")" + LABEL_LINK + PER_M3, labelled=True)


def unlabelled_calorific_values(sheet: Sheet, stated: Stated) -> None:
    """ "we use 10,83 kWh per m³": an amount per m³ no label names and no comparison made a
    threshold of; a calorific value only where the answer converts a gas volume with it (the
    answer says it did not use it otherwise)."""
    _per_m3(sheet, stated, r"(?<![\w.,])" + PER_M3, labelled=False)


def _per_m3(sheet: Sheet, stated: Stated, pattern: str, *, labelled: bool) -> None:
    for m in re.finditer(pattern, sheet.masked()):
        if not sheet.free(sheet.covering(m.start(), m.end())):
            continue
        value = parse_number(m.group("v"))
        if m.group("unit") == "mj":
            value /= MJ_PER_KWH
        if value <= 0:
            continue
        words = sheet.claim_span(m.start(), m.end())
        stated.calorific_values.append(CalorificValue(value, words, labelled))


def _carrier_near(text: str, start: int, end: int) -> str | None:
    around = text[max(0, start - 25) : end + 25]
    if re.search(r"\b(?:gas|natural gas)\b", around):
        return "gas"
    if re.search(r"\b(?:grid|electricity|electric|power)\b", around):
        return "electricity"
    return None


# minutes as written: "15 min", "30 minutes", "60 minutos", "30 Minuten"
MIN = r"min(?:utes?|utos?|uten|s)?"


# what names a stated window's price right before the words that take its holidays off: "the
# 18-21h price", "the peak rate", "o preço da ponta"
PRICE_WORD = r"(?:price|rate|tariff|window|period|hours|pre[cç]o|tarifa|preis|tarif)"
NAMED_HOURS = (
    r"(?:the |that |o |a |der |die )?(?P<h1>" + HOUR + r")\s*" + TO + r"\s*(?P<h2>" + HOUR
    + r")\s*(?:" + PRICE_WORD + r"\s*)?$"
)  # fmt: skip


def _holidays_off(sheet: Sheet, stated: Stated, lexicon: Lexicon) -> None:
    """ "the 18-21h price doesn't apply on public holidays": the stated window it names (by
    its hours, else every stated window) skips the site's public holidays. Said of this
    question's windows, they are marked; said alone, it is kept for the windows stated earlier
    in the conversation; the hours it names are that window's, not an hour window asked."""
    said = lexicon.calendar.holidays_off
    if not said:
        return
    text = sheet.masked()
    for m in re.finditer(r"(?<!\w)" + phrases(said) + r"(?!\w)", text):
        before = text[max(0, m.start() - 40) : m.start()]
        named = re.search(NAMED_HOURS, before)
        start, hours = m.start(), None
        if named is not None:
            a, b = _clock(named["h1"]), _clock(named["h2"])
            if a is not None and b is not None:
                start, hours = m.start() - len(before) + named.start(), (a, b)
        elif (priced := re.search(PRICE_WORD + r"\s*$", before)) is not None:
            start = m.start() - len(before) + priced.start()
        words = sheet.claim_span(start, m.end())
        found = [w for w in stated.tou if hours is None or (w.start, w.end) == hours]
        if stated.tou and found:
            stated.tou = [replace(w, except_holidays=True) if w in found else w for w in stated.tou]
        else:
            stated.holidays_off.append(HolidaysOff(hours, words))


def _demand_windows(sheet: Sheet, stated: Stated) -> None:
    demand = r"(?=[\s-]+(?:demand|peak|average|window|interval|block|rolling|max))"
    window = r"[\s-]+(?:demand[\s-]+)?(?:window|interval|block)s?\b"
    hours = r"[\s-]*(?P<h>hours?|hrs?|h)\b"  # "1-hour average demand": 60 minutes an hour
    patterns = (
        (r"\b(?P<n>\d+)[\s-]*" + MIN + window, None),
        (r"\b(?P<n>\d+)[\s-]*" + MIN + r"\b" + demand, None),
        (r"\b(?P<n>[1-4])" + hours + demand, None),
        (r"\b(?:demand|peak)\s+(?:window|interval)\s*(?:of|=|:)?\s*(?P<n>\d+)\s*" + MIN + r"\b",
         None),
        # "if the window is 60 minutes", "se a janela for de 60 minutos", "Fenster von 60 Minuten"
        (r"\b(?:window|janela|fenster)\s+(?:is|was|were|of|=|:|at|for|to|de|é|e|seja|for de|"
         r"von|mit|ist)?\s*(?:de\s+)?(?P<n>\d+)\s*" + MIN + r"\b", None),
        (r"\bhalf[\s-]hour(?:ly)?" + demand, 30),
        (r"\bquarter[\s-]hour(?:ly)?" + demand, 15),
    )  # fmt: skip
    for pattern, fixed in patterns:
        for m in re.finditer(pattern, sheet.masked()):
            if not sheet.free(sheet.covering(m.start(), m.end())):
                continue
            minutes = fixed or int(m.group("n")) * (60 if m.groupdict().get("h") else 1)
            words = sheet.claim_span(m.start(), m.end())
            stated.demand_windows.append(DemandWindow(minutes, words))
    # "the highest hourly average kW": the top of hourly means is a 60-minute demand window
    # ("hourly demand" alone may be a series by the hour)
    top = r"\b(?:highest|max(?:imum)?|peak|top|biggest|largest)\s+(?P<w>hourly)"
    for m in re.finditer(top + demand.replace("max", "max|kw|load|mean"), sheet.masked()):
        if sheet.free(sheet.covering(m.start("w"), m.end("w"))):
            words = sheet.claim_span(m.start("w"), m.end("w"))
            stated.demand_windows.append(DemandWindow(60, words))
    # "peak ... on hourly averages", "on 30-minute means": the means the peak is taken of
    on = r"\b(?:on|of|from|over)\s+(?:the\s+)?(?P<w>hourly|(?P<n>\d+)[\s-]*" + MIN + ")"
    on += r"(?=[\s-]+(?:averages?|means?|values|basis)\b)"
    if re.search(r"\b(?:peak|max(?:imum)?|highest)\b", sheet.masked()):
        for m in re.finditer(on, sheet.masked()):
            if sheet.free(sheet.covering(m.start("w"), m.end("w"))):
                words = sheet.claim_span(m.start("w"), m.end("w"))
                minutes = int(m.group("n")) if m.group("n") else 60
                stated.demand_windows.append(DemandWindow(minutes, words))
    # "the highest 15 min kW": the top of 15-minute means is the peak over a 15-minute window
    top_n = r"\b(?:highest|max(?:imum)?|peak|top|biggest|largest)\s+"
    top_n += r"(?P<w>(?P<n>\d+)[\s-]*" + MIN + ")"
    for m in re.finditer(top_n + r"(?=[\s-]+(?:kw|load|mean|average)\b)", sheet.masked()):
        if sheet.free(sheet.covering(m.start("w"), m.end("w"))):
            words = sheet.claim_span(m.start("w"), m.end("w"))
            stated.demand_windows.append(DemandWindow(int(m.group("n")), words))
    _window_again(sheet, stated)
    if stated.demand_windows and WHAT_IF.search(sheet.question.lower()):
        stated.demand_windows = [replace(w, what_if=True) for w in stated.demand_windows]


# words that try a value instead of stating one: "what if the window were 60 minutes?"
WHAT_IF = re.compile(
    r"\b(?:what if|and if|suppose|supposing|hypothetically|instead of|rather than|e se|"
    r"em vez de|ao inv[eé]s de|und wenn|was w[aä]re wenn|statt)\b"
)


def _window_again(sheet: Sheet, stated: Stated) -> None:
    """ "bills on a 30-minute window, what is it with 30 min?": the stated window's minutes
    said again are that window, not a number of their own; so is "not 15" beside it (the
    usual window it is not). Both are the window's words."""
    if not stated.demand_windows:
        return
    said = {w.minutes for w in stated.demand_windows}
    text = sheet.masked()
    again = r"\b(?P<n>\d+)[\s-]*" + MIN + r"\b"
    other = r"\b(?:not|nicht|n[aã]o|instead of|rather than|em vez de|ao inv[eé]s de|statt)\s+"
    other += r"(?P<n>15|30|60)(?:[\s-]*" + MIN + r")?\b"
    for pattern, same in ((again, True), (other, False)):
        for m in re.finditer(pattern, text):
            span = sheet.covering(m.start(), m.end())
            # "above 500 kW for more than 30 minutes": how long a level holds, a threshold's
            if same and LASTING.search(text[: m.start()]):
                continue
            if (int(m.group("n")) in said) is same and sheet.free(span):
                sheet.claim(span)
                w = stated.demand_windows[0]
                both = tuple(sorted({*w.words.tokens, *span}))
                stated.demand_windows[0] = replace(w, words=sheet.words(both))


# words before a duration that make it how long something lasts, not a demand window
LASTING = re.compile(
    r"\b(?:for|lasting|longer than|more than|at least|over|above|under|within|during)"
    r"(?:\s+(?:more than|at least|over|longer than|about|around|the))?\s*$"
)


# words that limit a figure to what follows ("only between 6 and 22", "só das 6 às 22")
ONLY = re.compile(r"\b(?:only|just|nur|s[oó]|apenas|somente)\s*$")
SUB_DAY = re.compile(
    r"\b(?:\d{1,2}\s*-?\s*min(?:ute)?s?|quarter[\s-]hours?|half[\s-]hours?|hourly)\b"
)
AMOUNT_AFTER = re.compile(r"\s*(?:[kmg]?wh?\b|[kmg]?va\b|%|°|degc|eur\b|r\$|m3|m³|units?\b)")


WINDOW_AFTER = re.compile(r"\s*(?:h\s+)?(?:window|time window|slot|janela|zeitfenster|fenster)\b")
# "outside 06:00-22:00", "außerhalb von 6-22 Uhr": the hours of the day not in the window
OUTSIDE_BEFORE = re.compile(
    r"\b(?:outside|out of|au(?:ß|ss)erhalb|fora)\s+"
    r"(?:of\s+|the\s+|von\s+|der\s+|de\s+|d[ao]s?\s+)*$"
)
INSIDE_BEFORE = re.compile(
    r"\b(?:inside|within|in|dentro d[aoe]|na|no|im|innerhalb)\s+(?:the\s+|da\s+|do\s+|des\s+)?$"
)


def _window_words(sheet: Sheet, m: re.Match[str]) -> tuple[int, int] | None:
    """ "inside the 18-21 window": a window word after the numbers makes them hours; where the
    words of the window start and end, with the word before that puts something inside it."""
    text = sheet.masked()
    window = WINDOW_AFTER.match(text, m.end())
    if window is None:
        return None
    first = m.start()
    inside = INSIDE_BEFORE.search(text[:first])
    if inside is not None and sheet.free(sheet.covering(inside.start(), first)):
        first = inside.start()
    return first, window.end()


def _hour_windows(sheet: Sheet, stated: Stated, lexicon: Lexicon, names: PeriodNames) -> None:
    months = "|".join(sorted(MONTHS, key=len, reverse=True))
    cue = (
        r"(?P<cue>overnight|at night|nights?|between|from|during|in the hours?|hours?|window"
        r"|entre|das|zwischen|von)"
    )
    named = r"(?:(?P<name>" + names.every + r")(?:\s+(?:hours|period|tariff|time|rate))?\s+)?"
    pattern = (
        r"\b" + named + r"(?:" + cue + r"\s+)?(?:the hours (?:of )?)?(?P<t1>" + HOUR + r")\s*"
        r"(?:-|to|until|till|and|bis|und|e|às|as|a)\s*(?P<t2>" + HOUR + r")(?![\w:])"
        r"(?!\s*(?:" + months + r")\b)"
    )
    text = sheet.masked()
    for m in re.finditer(pattern, text):
        written = m.group("t1") + m.group("t2")
        marked = bool(re.search(r":|am|pm|h|uhr|o'clock|midnight|midday|noon", written))
        night = (m.group("cue") or "") in ("overnight", "at night", "night", "nights", "hours")
        night = night or bool(m.group("name"))  # "peak hours 8-20", "night 22-6"
        # "only between 6 and 22": hours a figure is limited to, not a range of values
        night = night or bool(ONLY.search(text[: m.start()]))
        # "the 15 min values on 26/05 between 10 and 12": hours, in a question about a day's
        # values finer than an hour (not "between 10 and 12 kW")
        within_day = (
            (m.group("cue") or "") in ("between", "from")
            and bool(SUB_DAY.search(text))
            and not AMOUNT_AFTER.match(text, m.end())
        )
        # "Oct 5-11" is days; "on 14 October between 06:00 and 14:00" is hours
        preceded = not marked and re.search(r"(?:" + months + r")\.?\s*$", text[: m.start()])
        if within_day:  # "October from 5 to 11" stays days; "October between 10 and 12" not
            night = True
            preceded = None if m.group("cue") == "between" else preceded
        first, last = m.start(), m.end()
        if not m.group("cue") and not preceded and (framed := _window_words(sheet, m)):
            night, (first, last) = True, framed
        start, end = _clock(m.group("t1")), _clock(m.group("t2"))
        if not (marked or night) or preceded or start is None or end is None:
            continue
        if not sheet.free(sheet.covering(first, last)):
            continue
        name = re.sub(r"[\s-]+", "-", m.group("name") or "")
        first, (start, end) = _outside(sheet, text, first, (start, end))
        words = sheet.claim_span(first, last)
        stated.hour_windows.append(HourWindow(start, end, words, name=name))
    for m in re.finditer(PARTS_OF_DAY, text):
        if not sheet.free(sheet.covering(m.start(), m.end())):
            continue
        part = m.group("part").replace(" ", "")
        if THOSE.search(text[: m.start()]) and re.match(r"\s+hours\b", text[m.end() :]):
            sheet.claim_span(m.start(), m.end())  # "those night hours": the window said before
            continue
        if stated.hour_windows:
            _window_named(sheet, stated, DAY_PARTS[part], m.start(), m.end())
            continue
        if part in ("morning", "afternoon", "evening") and not (
            m.group("lead") or DAY_BEFORE.search(text[: m.start()])
        ):
            continue  # "good morning" is a greeting
        if _left_out(text[: m.start()], lexicon):
            continue  # "outside the shifts (no saturday morning)": what is left out
        start, end = DAY_PARTS[part]
        words = sheet.claim_span(m.start(), m.end())
        stated.hour_windows.append(HourWindow(start, end, words, assumed=True))


def _outside(
    sheet: Sheet, text: str, first: int, hours: tuple[time, time]
) -> tuple[int, tuple[time, time]]:
    """ "outside 06:00-22:00": the window's words start at 'outside', and its hours are the
    rest of the day (22:00-06:00)."""
    outside = OUTSIDE_BEFORE.search(text[:first])
    if outside is None or not sheet.free(sheet.covering(outside.start(), first)):
        return first, hours
    return outside.start(), (hours[1], hours[0])


def _window_named(
    sheet: Sheet, stated: Stated, part: tuple[time, time], start: int, end: int
) -> None:
    """ "overnight (22:00-06:00)", "night hours": a part of the day that shares hours with a
    stated window is that window's name, its words."""
    hours = _hours_of(*part)
    for i, w in enumerate(stated.hour_windows):
        if hours & _hours_of(w.start, w.end):
            said = sheet.claim_span(start, end).tokens
            both = tuple(sorted({*w.words.tokens, *said}))
            stated.hour_windows[i] = replace(w, words=sheet.words(both))
            return


def _hours_of(start: time, end: time) -> set[int]:
    first, last = start.hour, end.hour + (1 if end.minute else 0)
    return set(range(first, last)) if first < last else set(range(first, 24)) | set(range(last))


THOSE = re.compile(r"\b(?:those|these|the same)\s+$")
# Parts of the day without hours: the reader's reading, which an answer states.
NIGHT = (time(22), time(6))
DAY_PARTS = {
    "overnight": NIGHT,
    "nights": NIGHT,
    "night": NIGHT,
    "nighttime": NIGHT,
    "morning": (time(6), time(12)),
    "afternoon": (time(12), time(18)),
    "evening": (time(18), time(22)),
}
PARTS_OF_DAY = (
    r"\b(?:(?P<lead>at|during the|in the|this|at the) )?"
    r"(?P<part>overnight|nights|night ?time|night|morning|afternoon|evening)\b"
    r"(?![\s-]+(?:shifts?|tariff|rate|load|time))"
    r"(?:[\s-]+(?:part|portion)\b)?"  # "the night part": the part of the day, its words
)


def _left_out(before: str, lexicon: Lexicon) -> bool:
    """ "no saturday morning", "except monday": a part of the day the user leaves out, the
    negation right before it or before a day; "with no production overnight" leaves out the
    production, not the night."""
    # a name read already (masked) is a word of its own: "without the <meter> overnight"
    # leaves out the meter
    words = re.findall(r"[^\W\d_]+|,|" + MASK + "+", before.lower())
    days = {i for i, w in enumerate(words) if w in WEEKDAYS or w.rstrip("s") == "weekend"}
    return lexicon.negation_before(words, days) is not None


# "tomorrow afternoon", "Monday morning": a day before the part of the day is lead enough
DAY_BEFORE = re.compile(
    r"(?:today|tomorrow|yesterday|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d)"
    r"\W*$"
)


def _horizons(sheet: Sheet, stated: Stated, numbers: dict[str, int]) -> None:
    num = r"(?P<n>\d+|" + "|".join(numbers) + r")"
    unit_hours = {"hour": 1, "hr": 1, "h": 1, "day": 24, "week": 168}
    unit_hours |= {"hora": 1, "dia": 24, "semana": 168}  # "os próximos 7 dias"
    pattern = (
        r"\b(?:for |in |over |during |para |nos )?(?:the |os |as )?"
        r"(?:next|coming|following|upcoming|pr[oó]xim[oa]s?) (?:"
        + num + r" ?)?(?P<u>hour|hr|h|day|week|hora|dia|semana)s?\b"
    )  # fmt: skip
    text = sheet.masked()
    for m in re.finditer(pattern, text):
        n = m.group("n")
        count = (int(n) if n.isdigit() else numbers[n]) if n else 1
        hours = count * unit_hours[m.group("u")]
        stated.horizons.append(Horizon(hours, sheet.claim_span(m.start(), m.end())))
    fixed = {"tomorrow": 24, "day ahead": 24, "week ahead": 168, "rest of the day": 24}
    for m in re.finditer(r"\b(?:for |by )?(tomorrow|day ahead|week ahead|rest of the day)\b", text):
        if sheet.free(sheet.covering(m.start(), m.end())):
            words = sheet.claim_span(m.start(), m.end())
            day = {"tomorrow": "tomorrow", "rest of the day": "today"}.get(m.group(1))
            stated.horizons.append(Horizon(fixed[m.group(1)], words, day))


CODE = r"(€|r\$|\$|£|eur|euros?|usd|dollars?|dólar(?:es)?|gbp|pounds?|chf|brl|reais|real)"
RATES = (
    # "5.40 BRL per USD", "5.40 BRL to the dollar", "5.40 BRL/USD", "0,19 USD por real"
    re.compile(
        NUMBER + r"\s*" + CODE.replace("(", "(?P<cur>", 1)
        + r"\s*(?:/|per|por|pro|je|for (?:one|1|a|each)|to (?:the|one|a|1)|= ?1)\s*"
        + CODE.replace("(", "(?P<per>", 1) + r"(?!\w)"
    ),
    # "1 USD = 5.40 BRL", "one dollar is 5.40 BRL"
    re.compile(
        r"(?:1|one|a)\s*" + CODE.replace("(", "(?P<per>", 1) + r"\s*(?:=|is|equals|to)\s*" + NUMBER
        + r"\s*" + CODE.replace("(", "(?P<cur>", 1) + r"(?!\w)"
    ),
    # "in USD at 1.08 per euro": the currency asked, then its rate to the other
    re.compile(
        r"\bin\s+" + CODE.replace("(", "(?P<cur>", 1)
        + r"\s*,?\s*(?:at|@|using|with)\s+(?:a rate of\s+)?" + NUMBER
        + r"\s*(?:/|per|for (?:one|1|a|each)|to (?:the|one|a|1))\s*"
        + CODE.replace("(", "(?P<per>", 1) + r"(?!\w)"
    ),
)  # fmt: skip


def _exchange_rates(sheet: Sheet, stated: Stated) -> None:
    for pattern in RATES:
        for m in pattern.finditer(sheet.masked()):
            cur, per = CURRENCIES[m.group("cur")], CURRENCIES[m.group("per")]
            if cur == per or not sheet.free(sheet.covering(m.start(), m.end())):
                continue
            rate = parse_number(m.group("v"))
            if rate <= 0:
                continue
            words = sheet.claim_span(m.start(), m.end())
            stated.exchange_rates.append(ExchangeRate(rate, cur, per, words))


def find_stated(
    sheet: Sheet, numbers: dict[str, int], lexicon: Lexicon, tariff_periods: tuple[str, ...] = ()
) -> Stated:
    """Every stated parameter, most specific first so that a TOU window's hours are not also
    read as an hour window, nor its price as a plain price."""
    stated = Stated()
    names = period_names(lexicon, tariff_periods)
    _exchange_rates(sheet, stated)
    _calorific_values(sheet, stated, lexicon)
    _tou(sheet, stated, names)
    _tou_price_first(sheet, stated, names)
    _tou_defined_apart(sheet, stated, names)
    _off_peak_prices(sheet, stated, names)
    _cheap_windows(stated)
    _every_day(sheet, stated)
    _prices(sheet, stated, names)
    _holidays_off(sheet, stated, lexicon)
    _priced_at(sheet, stated, lexicon)
    _energy_only(sheet, stated, lexicon)
    _emission_factors(sheet, stated)
    _demand_windows(sheet, stated)
    _hour_windows(sheet, stated, lexicon, names)
    _horizons(sheet, stated, numbers)
    _instructions(sheet, stated)
    return stated


# Verbs that only tell the reader to take a value ("use 5.35 R$ per USD"): part of the
# statement, never "use" as energy used.
INSTRUCTIONS = frozenset({"use", "using", "assume", "assuming", "take", "taking"})


def _instructions(sheet: Sheet, stated: Stated) -> None:
    """The instruction verb right before a stated price, rate or factor is claimed with it."""
    found: list[Any] = [*stated.prices, *stated.tou, *stated.demand_charges]
    found += [*stated.exchange_rates, *stated.emission_factors]
    for item in found:
        tokens = item.words.tokens
        before = tokens[0] - 1 if tokens else -1
        if before >= 0 and sheet.tokens[before].norm in INSTRUCTIONS and sheet.free([before]):
            sheet.claim([before])
