"""Synthetic meters with known CalTRACK parameters, for checking baselines against the truth.

Run: `python -m evals.caltrack_synth` writes evals/data/caltrack/synthetic/ (committed, so the
product's eval and the reference implementation read the very same files). Each seed is one
site in Europe/Berlin: two years and two weeks of hourly outdoor temperature (a seasonal and a
daily cycle, day-to-day weather persistence, missing hours and outages), daily usage from a
degree-day model on the day's true mean temperature with a weekend effect and autocorrelated
noise, missing days, a reporting year with a known saving, and monthly bills of uneven length.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "data" / "caltrack" / "synthetic"
TZ = "Europe/Berlin"
BASELINE = ("2023-01-01", "2024-01-01")
REPORTING = ("2024-01-15", "2025-01-15")
KINDS = ["hdd_cdd", "hdd_only", "hdd_cdd", "cdd_only", "hdd_only", "hdd_cdd"]


def temperature(rng: np.random.Generator) -> tuple[pd.Series, pd.Series]:
    """Hourly °C, complete and as recorded: with single missing hours, short outages (up to
    six hours, which the method interpolates) and long ones."""
    hours = pd.date_range(BASELINE[0], REPORTING[1], freq="h", tz=TZ, inclusive="left")
    n_days = (pd.Timestamp(REPORTING[1]) - pd.Timestamp(BASELINE[0])).days
    weather = np.zeros(n_days)
    for d in range(1, n_days):
        weather[d] = 0.75 * weather[d - 1] + rng.normal(0, 2.2)
    day = np.asarray((hours.tz_localize(None).normalize() - pd.Timestamp(BASELINE[0])).days)
    hour = np.asarray(hours.hour, dtype=float)
    mean, amplitude = rng.uniform(8, 12), rng.uniform(8, 11)
    season = mean - amplitude * np.cos(2 * np.pi * (day - 18) / 365.25)
    diurnal = rng.uniform(3, 5) * np.sin(2 * np.pi * (hour - 9) / 24)
    values = season + diurnal + weather[day] + rng.normal(0, 0.6, len(hours))
    series = pd.Series(values.round(2), index=hours, name="temperature")
    missing = rng.random(len(series)) < 0.005
    for length in [*rng.integers(3, 7, 6), *rng.integers(10, 20, 2)]:
        start = int(rng.integers(0, len(series) - length))
        missing[start : start + length] = True
    return series, series.mask(missing)


def parameters(rng: np.random.Generator, kind: str) -> dict[str, float | str]:
    base = float(rng.uniform(150, 600))
    heating = float(rng.uniform(12, 17))
    return {
        "kind": kind,
        "fuel": "gas" if kind == "hdd_only" else "electricity",
        "intercept": base,
        "beta_hdd": float(rng.uniform(0.04, 0.10) * base) if kind != "cdd_only" else 0.0,
        "beta_cdd": float(rng.uniform(0.05, 0.15) * base) if kind != "hdd_only" else 0.0,
        "heating_balance_point": heating if kind != "cdd_only" else float("nan"),
        "cooling_balance_point": float(rng.uniform(max(heating + 2, 18), 23))
        if kind != "hdd_only"
        else float("nan"),
        "savings_fraction": float(rng.uniform(0.05, 0.20)),
        "noise_fraction": 0.08,
    }


def expected_usage(p: dict[str, float | str], daily_mean: np.ndarray) -> np.ndarray:
    """The true model: usage per day at the day's true mean temperature (§3.3.2)."""
    usage = np.full(len(daily_mean), float(p["intercept"]))
    if float(p["beta_hdd"]):
        usage += float(p["beta_hdd"]) * np.clip(
            float(p["heating_balance_point"]) - daily_mean, 0, None
        )
    if float(p["beta_cdd"]):
        usage += float(p["beta_cdd"]) * np.clip(
            daily_mean - float(p["cooling_balance_point"]), 0, None
        )
    return usage


def site(
    seed: int, kind: str
) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame, dict[str, float | str]]:
    rng = np.random.default_rng(1000 + seed)
    complete, temps = temperature(rng)
    p = parameters(rng, kind)
    local = pd.DatetimeIndex(complete.index).tz_localize(None).normalize()
    full = complete.groupby(local).mean()
    days = pd.DatetimeIndex(full.index)
    truth = expected_usage(p, full.to_numpy())
    noise = np.zeros(len(days))
    for i in range(1, len(days)):
        noise[i] = 0.4 * noise[i - 1] + rng.normal(0, float(p["noise_fraction"]) * truth.mean())
    weekend = np.where(days.day_of_week >= 5, 0.03, -0.012) * float(p["intercept"])
    actual = truth + weekend + noise
    reporting = days >= pd.Timestamp(REPORTING[0])
    actual[reporting] = actual[reporting] - float(p["savings_fraction"]) * truth[reporting]
    actual = np.clip(actual, 1.0, None).round(2)
    daily = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "energy": actual})
    observed = daily["energy"].mask(rng.random(len(days)) < 0.03)
    outage = int(rng.integers(30, 300))
    observed.iloc[outage : outage + 7] = np.nan
    daily["energy"] = observed
    bills = billing(rng, days, actual)
    truth_days = pd.DataFrame({"date": daily["date"], "expected": truth.round(4)})
    return temps, daily.assign(expected=truth_days["expected"]), bills, p


def billing(rng: np.random.Generator, days: pd.DatetimeIndex, actual: np.ndarray) -> pd.DataFrame:
    """Monthly bills of 28 to about 34 days: twelve in the baseline year, twelve in the
    reporting year, and one over the installation weeks."""
    reads: list[pd.Timestamp] = []
    for lo, hi in (BASELINE, REPORTING):
        span = (pd.Timestamp(hi) - pd.Timestamp(lo)).days
        lengths = 28 + rng.multinomial(span - 12 * 28, [1 / 12] * 12)
        while lengths.max() > 34:  # stay within the monthly limit of 35 days (§2.2.3.5)
            lengths = 28 + rng.multinomial(span - 12 * 28, [1 / 12] * 12)
        reads += list(pd.Timestamp(lo) + pd.to_timedelta(np.cumsum([0, *lengths[:-1]]), "D"))
        reads.append(pd.Timestamp(hi))
    reads = sorted(set(reads))
    rows = []
    series = pd.Series(actual, index=days)
    for a, b in itertools.pairwise(reads):
        rows.append(
            {
                "start": f"{a:%Y-%m-%d}",
                "end": f"{b:%Y-%m-%d}",
                "energy": round(float(series[(series.index >= a) & (series.index < b)].sum()), 2),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    truth: dict[str, object] = {
        "timezone": TZ,
        "unit": "C",
        "baseline": list(BASELINE),
        "reporting": list(REPORTING),
        "sites": {},
    }
    for seed, kind in enumerate(KINDS, start=1):
        temps, daily, bills, p = site(seed, kind)
        name = f"site-{seed}"
        frame = pd.DataFrame(
            {
                "time": pd.DatetimeIndex(temps.index).strftime("%Y-%m-%dT%H:%M%z"),
                "temperature": temps,
            }
        )
        frame.to_csv(
            OUT / f"{name}-temperature.csv.gz",
            index=False,
            compression={"method": "gzip", "mtime": 0},
        )
        daily.to_csv(OUT / f"{name}-daily.csv", index=False)
        bills.to_csv(OUT / f"{name}-bills.csv", index=False)
        truth["sites"][name] = p  # type: ignore[index]
    (OUT / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    print(f"wrote {len(KINDS)} sites to {OUT}")


if __name__ == "__main__":
    main()
