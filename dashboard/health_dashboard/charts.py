"""Altair charts shared by the pages (band colours and orders fixed in one place)."""

from __future__ import annotations

import altair as alt
import pandas as pd

BANDS = ["good", "average", "poor", "insufficient_data"]
BAND_LABELS = {
    "good": "Good",
    "average": "Average",
    "poor": "Poor",
    "insufficient_data": "Insufficient data",
}
BAND_COLORS = {
    "good": "#2e7d32",
    "average": "#f9a825",
    "poor": "#c62828",
    "insufficient_data": "#9e9e9e",
}
METHOD_LABELS = {"account_count": "By account count", "contract_value": "By contract value (ARR)"}
METHOD_COLORS = {"account_count": "#1565c0", "contract_value": "#6a1b9a"}


def band_scale() -> alt.Scale:
    return alt.Scale(domain=[BAND_LABELS[b] for b in BANDS], range=[BAND_COLORS[b] for b in BANDS])


def band_bars(frame: pd.DataFrame, value: str, title: str, value_title: str, fmt: str) -> alt.Chart:
    """Horizontal bars, one per band (frame: band, <value>)."""
    data = frame.assign(band_label=frame["band"].map(BAND_LABELS))
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y(
                "band_label:N",
                sort=[BAND_LABELS[b] for b in BANDS],
                title=None,
                axis=alt.Axis(labelOverlap=False, labelLimit=160),
            ),
            x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt)),
            color=alt.Color("band_label:N", scale=band_scale(), legend=None),
            tooltip=[
                alt.Tooltip("band_label:N", title="Band"),
                alt.Tooltip(f"{value}:Q", title=value_title, format=fmt),
            ],
        )
        .properties(height=alt.Step(34))
    )


def band_trend(frame: pd.DataFrame, value: str, title: str, value_title: str, fmt: str) -> alt.Chart:
    """Stacked areas over days (frame: as_of_date, band, <value>)."""
    data = frame.assign(band_label=frame["band"].map(BAND_LABELS))
    order = {BAND_LABELS[b]: i for i, b in enumerate(BANDS)}
    data = data.assign(band_order=data["band_label"].map(order))
    return (
        alt.Chart(data, title=title)
        .mark_area()
        .encode(
            x=alt.X("as_of_date:T", title=None, axis=alt.Axis(format="%b %d")),
            y=alt.Y(f"{value}:Q", stack="zero", title=value_title, axis=alt.Axis(format=fmt)),
            color=alt.Color(
                "band_label:N",
                scale=band_scale(),
                sort=[BAND_LABELS[b] for b in BANDS],
                legend=alt.Legend(title="Band", orient="bottom"),
            ),
            order=alt.Order("band_order:Q", sort="descending"),
            tooltip=[
                alt.Tooltip("as_of_date:T", title="Day"),
                alt.Tooltip("band_label:N", title="Band"),
                alt.Tooltip(f"{value}:Q", title=value_title, format=fmt),
            ],
        )
        .properties(height=260)
    )


def line(
    frame: pd.DataFrame,
    value: str,
    title: str,
    value_title: str,
    fmt: str,
    color: str | None = None,
    color_title: str | None = None,
    zero: bool = True,
    color_scale: alt.Scale | None = None,
) -> alt.Chart:
    """A line over days (frame: as_of_date, <value>[, <color>])."""
    encoding: dict[str, object] = {
        "x": alt.X("as_of_date:T", title=None, axis=alt.Axis(format="%b %d")),
        "y": alt.Y(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=zero)),
        "tooltip": [
            alt.Tooltip("as_of_date:T", title="Day"),
            alt.Tooltip(f"{value}:Q", title=value_title, format=fmt),
        ],
    }
    if color:
        encoding["color"] = alt.Color(
            f"{color}:N",
            title=color_title,
            legend=alt.Legend(orient="bottom"),
            scale=color_scale or alt.Undefined,
        )
        encoding["tooltip"] = [alt.Tooltip(f"{color}:N", title=color_title), *encoding["tooltip"]]  # type: ignore[misc]
    return alt.Chart(frame, title=title).mark_line(point=False).encode(**encoding).properties(height=260)


def share_bar(frame: pd.DataFrame, title: str) -> alt.Chart:
    """One 100% bar of band shares (frame: band, share)."""
    data = frame.assign(band_label=frame["band"].map(BAND_LABELS))
    order = {BAND_LABELS[b]: i for i, b in enumerate(BANDS)}
    data = data.assign(band_order=data["band_label"].map(order))
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            x=alt.X("share:Q", stack="normalize", title=None, axis=alt.Axis(format=".0%")),
            color=alt.Color("band_label:N", scale=band_scale(), legend=None),
            order=alt.Order("band_order:Q"),
            tooltip=[
                alt.Tooltip("band_label:N", title="Band"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
        .properties(height=110)
    )


def method_scale() -> alt.Scale:
    return alt.Scale(
        domain=[METHOD_LABELS[m] for m in METHOD_LABELS], range=[METHOD_COLORS[m] for m in METHOD_LABELS]
    )


# A scatter draws every point in the browser: the relationship x impact map of 57,714
# accounts (100,000 in the book) took 3.8 s to load in Chromium, 1.7 s of it drawing
# (docs/benchmarks.md). Above this many, the map draws the largest by ARR as bubbles and all
# of them as density cells.
MAX_BUBBLES = 5_000
DENSITY_CELL = 2.5


def density_cells(frame: pd.DataFrame, x: str, y: str, cell: float = DENSITY_CELL) -> pd.DataFrame:
    """Points counted per square cell of `cell` score points on a 0-100 x 0-100 plane
    (frame: <x>, <y>): x, x2, y, y2 (the cell's edges) and points (how many fall in it)."""

    def edge(values: pd.Series) -> pd.Series:
        return (values.clip(0, 100) // cell * cell).clip(upper=100 - cell)

    cells = (
        pd.DataFrame({"x": edge(frame[x]), "y": edge(frame[y])})
        .groupby(["x", "y"], as_index=False)
        .size()
        .rename(columns={"size": "points"})
    )
    return cells.assign(x2=cells["x"] + cell, y2=cells["y"] + cell)
