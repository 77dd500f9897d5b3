"""Figures of the reference CalTRACK implementation, eemeter 2.10 (the CalTRACK 2.0 daily and
billing methods), on the data evals/caltrack_eval.py uses; written to caltrack_eemeter.json so
the product's eval reads them without eemeter installed.

Runs in a virtualenv of its own, never the product's (eemeter 2.10 needs pandas 1.x):

    python3.11 -m venv /work/venvs/eemeter
    /work/venvs/eemeter/bin/pip install eemeter==2.10.11 pandas==1.5.3 numpy==1.24.4 \\
        statsmodels==0.13.5 scipy==1.10.1 pytz
    /work/venvs/eemeter/bin/python evals/reference/caltrack_eemeter.py

eemeter's own flow is used throughout: its CSV loaders for its sample data, get_baseline_data /
get_reporting_data, clean_caltrack_billing_data for bills, the CalTRACK design matrices
(balance points 30 to 90 °F every 1 °F), fit_caltrack_usage_per_day_model (billing presets and
period-day weights for bills), caltrack_sufficiency_criteria and metered_savings (90 %).
The synthetic sites are in °C: they are given to eemeter in °F and its balance points and
slopes converted back (°C = (°F - 32) * 5/9; slope per °C-day = slope per °F-day * 9/5).
"""

from __future__ import annotations

import json
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import eemeter
import numpy as np
import pandas as pd
from eemeter.transform import clean_caltrack_billing_data

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "caltrack"
OUT = HERE / "caltrack_eemeter.json"
SAMPLE_FREQS = ("daily", "billing_monthly", "billing_bimonthly")


def fit(
    meter: pd.DataFrame, temps: pd.Series, billing: bool, fit_cdd: bool
) -> tuple[Any, pd.DataFrame]:
    """The CalTRACK design matrix and model of a baseline in eemeter's format."""
    if billing:
        design = eemeter.create_caltrack_billing_design_matrix(meter, temps)
        model = eemeter.fit_caltrack_usage_per_day_model(
            design, fit_cdd=fit_cdd, use_billing_presets=True, weights_col="n_days_kept"
        )
    else:
        design = eemeter.create_caltrack_daily_design_matrix(meter, temps)
        model = eemeter.fit_caltrack_usage_per_day_model(design, fit_cdd=fit_cdd)
    return model, design


def describe(
    model: Any, design: pd.DataFrame, meter: pd.DataFrame, celsius: bool
) -> dict[str, Any]:
    """Model type, parameters (converted to °C when asked), fit statistics, sufficiency."""
    params = dict(model.model.model_params) if model.model is not None else {}
    out: dict[str, Any] = {
        "status": model.status,
        "model_type": model.model.model_type if model.model is not None else None,
        "intercept": params.get("intercept"),
        "beta_hdd": params.get("beta_hdd"),
        "beta_cdd": params.get("beta_cdd"),
        "heating_balance_point": params.get("heating_balance_point"),
        "cooling_balance_point": params.get("cooling_balance_point"),
        "adj_r2": model.r_squared_adj,
        "candidates_qualified": sum(c.status == "QUALIFIED" for c in model.candidates),
    }
    if celsius:
        for key in ("heating_balance_point", "cooling_balance_point"):
            if out[key] is not None:
                out[key] = (float(out[key]) - 32) * 5 / 9
        for key in ("beta_hdd", "beta_cdd"):
            if out[key] is not None:
                out[key] = float(out[key]) * 9 / 5
    totals = model.totals_metrics
    if totals is not None:
        out.update(
            cv_rmse_adj=totals.cvrmse_adj,
            nmbe=totals.nmbe,
            n_periods=totals.observed_length,
            autocorrelation=totals.autocorr_resid,
        )
    sufficiency = eemeter.caltrack_sufficiency_criteria(
        design, requested_start=meter.index[0], requested_end=meter.index[-1]
    )
    out["sufficiency"] = sufficiency.status
    out["sufficiency_warnings"] = [w.qualified_name.split(".")[-1] for w in sufficiency.warnings]
    return out


def savings(model: Any, reporting: pd.DataFrame, temps: pd.Series) -> dict[str, Any]:
    """Counterfactual, actual and avoided energy over the reporting periods with both values,
    eemeter's FSU error band at 90 %, and each period's counterfactual."""
    results, bands = eemeter.metered_savings(
        model, reporting, temps, with_disaggregated=True, confidence_level=0.90
    )
    used = results.dropna(subset=["counterfactual_usage", "reporting_observed"])
    return {
        "counterfactual": float(used["counterfactual_usage"].sum()),
        "actual": float(used["reporting_observed"].sum()),
        "avoided": float(used["metered_savings"].sum()),
        "periods_used": len(used),
        "fsu_error_band": None if bands is None else float(bands["FSU Error Band"]),
        "per_period": {f"{t:%Y-%m-%d}": float(v) for t, v in used["counterfactual_usage"].items()},
    }


def sample_case(name: str, meta: dict[str, Any]) -> dict[str, Any]:
    freq = meta["freq"]
    billing = freq.startswith("billing")
    meter = eemeter.meter_data_from_csv(
        DATA / "eemeter-samples" / meta["meter_data_filename"],
        gzipped=True,
        freq="daily" if freq == "daily" else None,
    )
    temps = eemeter.temperature_data_from_csv(
        DATA / "eemeter-samples" / meta["temperature_filename"], gzipped=True, freq="hourly"
    )
    if billing:
        meter = clean_caltrack_billing_data(meter, freq)
    start = pd.Timestamp(meta["blackout_start_date"], tz="UTC")
    end = pd.Timestamp(meta["blackout_end_date"], tz="UTC")
    baseline, _ = eemeter.get_baseline_data(meter, end=start, max_days=365)
    model, design = fit(baseline, temps, billing, meta["interpretation"] == "electricity")
    reporting, _ = eemeter.get_reporting_data(meter, start=end, max_days=365)
    return {
        "baseline": [f"{baseline.index[0]:%Y-%m-%d}", f"{baseline.index[-1]:%Y-%m-%d}"],
        "reporting": [f"{reporting.index[0]:%Y-%m-%d}", f"{reporting.index[-1]:%Y-%m-%d}"],
        **describe(model, design, baseline, celsius=False),
        **savings(model, reporting, temps),
    }


def synthetic_temperature(site: str, tz: str) -> pd.Series:
    frame = pd.read_csv(DATA / "synthetic" / f"{site}-temperature.csv.gz")
    index = pd.to_datetime(frame["time"], utc=True).dt.tz_convert(tz)
    fahrenheit = pd.Series(frame["temperature"].to_numpy() * 9 / 5 + 32, index=index)
    return fahrenheit.asfreq("H")


def synthetic_meter(site: str, tz: str, billing: bool) -> pd.DataFrame:
    if billing:
        bills = pd.read_csv(DATA / "synthetic" / f"{site}-bills.csv")
        starts = [*bills["start"], bills["end"].iloc[-1]]
        values = [*bills["energy"], np.nan]
    else:
        daily = pd.read_csv(DATA / "synthetic" / f"{site}-daily.csv")
        starts, values = list(daily["date"]), list(daily["energy"])
    index = pd.DatetimeIndex(pd.to_datetime(starts)).tz_localize(tz)
    return pd.DataFrame({"value": values}, index=index)


def synthetic_case(site: str, truth: dict[str, Any], billing: bool) -> dict[str, Any]:
    tz = truth["timezone"]
    temps = synthetic_temperature(site, tz)
    meter = synthetic_meter(site, tz, billing)
    if billing:
        meter = clean_caltrack_billing_data(meter, "billing_monthly")
    lo, hi = (pd.Timestamp(d, tz=tz) for d in truth["baseline"])
    baseline, _ = eemeter.get_baseline_data(meter, start=lo, end=hi, max_days=None)
    electricity = truth["sites"][site]["fuel"] == "electricity"
    model, design = fit(baseline, temps, billing, electricity)
    lo, hi = (pd.Timestamp(d, tz=tz) for d in truth["reporting"])
    reporting, _ = eemeter.get_reporting_data(meter, start=lo, end=hi, max_days=None)
    return {
        **describe(model, design, baseline, celsius=True),
        **savings(model, reporting, temps),
    }


def main() -> None:
    metadata = json.loads((DATA / "eemeter-samples" / "metadata.json").read_text())
    cases: dict[str, Any] = {}
    for name, meta in sorted(metadata.items()):
        if meta["freq"] in SAMPLE_FREQS:
            cases[name] = sample_case(name, meta)
    truth = json.loads((DATA / "synthetic" / "truth.json").read_text())
    for site in sorted(truth["sites"]):
        for billing in (False, True):
            cases[f"{site}-{'billing' if billing else 'daily'}"] = synthetic_case(
                site, truth, billing
            )
    report = {
        "implementation": f"eemeter {eemeter.__version__}",
        "command": "/work/venvs/eemeter/bin/python evals/reference/caltrack_eemeter.py",
        "date": f"{datetime.now(timezone.utc):%Y-%m-%d}",  # noqa: UP017 - runs on any Python 3
        "python": platform.python_version(),
        "packages": {"pandas": pd.__version__, "numpy": np.__version__},
        "argv": sys.argv[1:],
        "cases": cases,
    }
    OUT.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
