"""The monthly lägesbild's comparisons against a year earlier, on hand-made rows."""

from __future__ import annotations

import polars as pl
import pytest

from lagesbild.reports.monthly import change_text, excludes_one, month_label, with_comparisons
from lagesbild.review.statistics import rate_ratio_exact


def row(**values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "kind": "count",
        "numerator": 20.0,
        "denominator": 10_000.0,
        "numerator_prev_year": 10.0,
        "denominator_prev_year": 10_000.0,
        "numerator_rolling_12m": 240.0,
        "months_current": 12,
        "population_current": 10_000.0,
        "count_previous": 120.0,
        "months_previous": 12,
        "population_previous": 20_000.0,
    }
    return {**base, **values}


def test_month_and_rolling_ratios_use_the_exact_interval() -> None:
    frame = with_comparisons(pl.DataFrame([row()]))
    (result,) = frame.iter_rows(named=True)
    month = rate_ratio_exact(20, 10, 10_000, 10_000)
    assert result["rr_month"] == pytest.approx(2.0)
    assert result["rr_month_low"] == pytest.approx(month.ci_low[0])
    assert result["rr_month_high"] == pytest.approx(month.ci_high[0])
    # 240 in 10 000 against 120 in 20 000: the rate quadrupled
    rolling = rate_ratio_exact(240, 120, 10_000, 20_000)
    assert result["rr_12m"] == pytest.approx(4.0)
    assert result["rr_12m_low"] == pytest.approx(rolling.ci_low[0])
    assert result["rr_12m_low"] > 1


def test_a_window_with_an_undelivered_month_has_no_ratio() -> None:
    frame = with_comparisons(
        pl.DataFrame(
            [
                row(months_previous=11),  # one month of the year before missing
                row(numerator_rolling_12m=None, months_current=11),
                row(numerator_prev_year=None),  # same month last year not delivered
                row(numerator_prev_year=0.0),  # none last year: undefined, not infinite
                row(kind="ratio"),
            ]
        )
    )
    rows = list(frame.iter_rows(named=True))
    assert rows[0]["rr_12m"] is None and rows[0]["rr_month"] == pytest.approx(2.0)
    assert rows[1]["rr_12m"] is None
    assert rows[2]["rr_month"] is None and rows[2]["rr_month_low"] is None
    assert rows[3]["rr_month"] is None and rows[3]["rr_month_low"] is not None
    assert rows[4]["rr_month"] is None and rows[4]["rr_12m"] is None


def test_change_texts() -> None:
    assert change_text(1.12, 0.95, 1.31) == "+12 % (−5 % till +31 %)"
    assert change_text(None, 0.2, None) == "–"
    assert change_text(2.0, 1.5, None) == "+100 % (+50 % till –)"
    assert change_text(0.98, 0.97, 0.998) == "−2 % (−3 % till −0,2 %)"  # never '−0 %'
    assert excludes_one(1.5, None) and excludes_one(0.2, 0.9) and not excludes_one(0.8, 1.2)
    assert excludes_one(None, None) is False


def test_swedish_month_labels() -> None:
    from datetime import date

    assert month_label(date(2024, 6, 1)) == "juni 2024"
    assert month_label(date(2023, 12, 1)) == "december 2023"
