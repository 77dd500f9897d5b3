"""Charts of an answer drawn as PNG: real PNG files of the expected size for line and bar charts,
with gaps, categories, many bars and no data at all, from threads at once."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from matplotlib.image import imread
from PIL import Image

from agent.evidence import ChartSpec
from slack_bot.chart_image import DPI, HEIGHT_IN, WIDTH_IN, render_png

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SIZE = (round(WIDTH_IN * DPI), round(HEIGHT_IN * DPI))

LINE = ChartSpec(
    title="energy by day, last week (26 Oct 2026 to 1 Nov 2026)",
    unit="kWh",
    kind="line",
    # across the end of summer time: the offsets change within the series
    x=[f"2026-10-{d}T00:00:00+0{2 if d < 26 else 1}:00" for d in range(22, 30)],
    series={
        "compressor-1": [1201.5, 1190.0, None, 1210.2, 1199.9, 1187.3, 1205.0, 1193.4],
        "compressor-2": [1582.7, 1584.7, 1586.8, 1594.0, 1571.0, 160.9, 0.0, 1580.0],
    },
)
BAR = ChartSpec(
    title="largest energy consumers, last month",
    unit="kWh",
    kind="bar",
    x=["line-a", "line-b", "compressor-1", "boiler"],
    series={"this month": [87536.4, 74679.1, 45421.1, None], "last month": [80000, 70000, 1, 2]},
)


def image_of(png: bytes) -> Image.Image:
    assert png.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(png))
    image.verify()  # a truncated or corrupt file fails here
    return Image.open(io.BytesIO(png))


def ink(png: bytes) -> float:
    """Share of pixels that are not white: how much was drawn."""
    pixels = imread(io.BytesIO(png), format="png")[..., :3]
    return float(np.mean(np.any(pixels < 0.95, axis=-1)))


@pytest.mark.parametrize("chart", [LINE, BAR], ids=["line", "bar"])
def test_a_chart_is_a_real_png_of_the_expected_size(chart: ChartSpec) -> None:
    png = render_png(chart)
    image = image_of(png)
    assert image.format == "PNG"
    assert image.size == SIZE
    assert imread(io.BytesIO(png), format="png").shape[:2] == (SIZE[1], SIZE[0])
    assert ink(png) > 0.02  # axes, labels and the data, not a blank canvas


def test_more_data_draws_more_ink() -> None:
    one = ChartSpec(LINE.title, LINE.unit, "line", LINE.x, {"a": LINE.series["compressor-2"]})
    assert ink(render_png(LINE)) > ink(render_png(one))


@pytest.mark.parametrize(
    "chart",
    [
        ChartSpec("nothing", "kWh", "line", [], {}),
        ChartSpec("no meters", "kWh", "bar", ["line-a", "line-b"], {}),
        ChartSpec("all gaps", "kW", "line", LINE.x[:3], {"chiller": [None, None, None]}),
        ChartSpec("short series", "kWh", "bar", ["a", "b", "c"], {"x": [1.0]}),
    ],
    ids=["empty", "no-series", "all-none", "short-values"],
)
def test_charts_without_data_are_drawn_not_raised(chart: ChartSpec) -> None:
    image = image_of(render_png(chart))
    assert image.size == SIZE


def test_labels_that_are_not_times_are_drawn_as_categories() -> None:
    chart = ChartSpec(
        "profile by shift", "kWh", "line", ["early", "late", "night"], {"m": [1, 2, 3]}
    )
    assert image_of(render_png(chart)).size == SIZE


def test_many_bars_are_cut_and_still_drawn() -> None:
    names = [f"meter-{i}" for i in range(100)]
    chart = ChartSpec("all meters", "kWh", "bar", names, {"energy": [float(i) for i in range(100)]})
    assert image_of(render_png(chart)).size == SIZE


def test_threads_can_draw_at_once() -> None:
    results: list[bytes] = []
    lock = threading.Lock()

    def draw() -> None:
        png = render_png(BAR)
        with lock:
            results.append(png)

    workers = [threading.Thread(target=draw) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert len(results) == 4
    assert all(image_of(png).size == SIZE for png in results)
