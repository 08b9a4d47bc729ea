"""The review's chart series index: every series of the chart table, sorted by month."""

from __future__ import annotations

import pickle
from datetime import date

import polars as pl
import pytest

from lagesbild.review.chart_series import ChartSeries


def chart_table() -> pl.DataFrame:
    """Three series, rows shuffled, months out of order."""
    rows = [
        ("area", "A1", "offences_total", date(2024, month, 1), float(month)) for month in (3, 1, 2)
    ]
    rows += [("area", "A1", "robbery", date(2024, month, 1), 10.0 + month) for month in (2, 1)]
    rows += [("region", "syd", "offences_total", date(2024, 1, 1), 99.0)]
    order = [5, 0, 3, 1, 4, 2]
    return pl.DataFrame(
        [rows[i] for i in order],
        schema=["geo_level", "geo_code", "indicator_code", "month", "rate"],
        orient="row",
    )


def test_each_series_is_its_rows_sorted_by_month() -> None:
    chart = chart_table()
    series = ChartSeries(chart)

    assert len(series) == 3
    assert set(series) == {
        ("area", "A1", "offences_total"),
        ("area", "A1", "robbery"),
        ("region", "syd", "offences_total"),
    }
    offences = series[("area", "A1", "offences_total")]
    assert offences["month"].to_list() == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert offences["rate"].to_list() == [1.0, 2.0, 3.0]
    assert series[("area", "A1", "robbery")]["rate"].to_list() == [11.0, 12.0]
    assert series.get(("area", "A2", "robbery")) is None
    with pytest.raises(KeyError):
        series[("nation", "SE", "robbery")]
    # the same frames as splitting the table by series
    for key, frame in (
        chart.sort("month")
        .partition_by(["geo_level", "geo_code", "indicator_code"], as_dict=True)
        .items()
    ):
        assert series[key].equals(frame), key


def test_it_survives_pickling_for_the_report_workers() -> None:
    series = ChartSeries(chart_table())
    copy = pickle.loads(pickle.dumps(series))
    assert dict(copy.items()).keys() == dict(series.items()).keys()
    for key in series:
        assert copy[key].equals(series[key])
