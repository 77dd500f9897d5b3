"""The energy baselines kept in the store: each meter's current (latest) version, so reports
can compare a month with the baseline people fitted, as it was specified."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from store.schema import BaselineModel, Meter


@dataclass(frozen=True)
class StoredBaseline:
    """A meter's latest baseline version: how it was fitted and how well."""

    meter_id: int
    version: int
    model_type: str
    grain: str
    start_ts: int
    end_ts: int
    drivers: tuple[str, ...]
    metrics: dict[str, Any] = field(default_factory=dict)


def current_baselines(
    conn: Connection, site_id: int, name: str = "default"
) -> dict[int, StoredBaseline]:
    """Meter id -> its latest version of the baseline `name`, for the site's meters."""
    latest = (
        select(BaselineModel.meter_id, func.max(BaselineModel.version).label("version"))
        .join(Meter, Meter.id == BaselineModel.meter_id)
        .where(Meter.site_id == site_id, BaselineModel.name == name)
        .group_by(BaselineModel.meter_id)
        .subquery()
    )
    b = BaselineModel
    rows = conn.execute(
        select(
            b.meter_id, b.version, b.model_type, b.grain, b.start_ts, b.end_ts, b.drivers, b.metrics
        )
        .join(latest, (b.meter_id == latest.c.meter_id) & (b.version == latest.c.version))
        .where(b.name == name)
    ).all()
    return {
        int(row.meter_id): StoredBaseline(
            meter_id=int(row.meter_id),
            version=int(row.version),
            model_type=row.model_type,
            grain=row.grain,
            start_ts=int(row.start_ts),
            end_ts=int(row.end_ts),
            drivers=tuple(row.drivers or ()),
            metrics=dict(row.metrics or {}),
        )
        for row in rows
    }
