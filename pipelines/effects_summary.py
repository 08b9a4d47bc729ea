"""What `lagesbild evaluate` prints: each evaluated zone's verdict, from the published file."""

from __future__ import annotations

import duckdb

from lagesbild.effects.report import report_path
from lagesbild.settings import DataPaths

SYNTHETIC_NOTE = "NOTE: the default data is SYNTHETIC — planted effects, not police statistics."


def _ratio(value: float | None) -> str:
    return "   –  " if value is None else f"{value:6.2f}"


def print_evaluation(paths: DataPaths, measure_ids: list[str]) -> None:
    """One line per measure × indicator × zone: the concluding method's estimate and verdict."""
    conn = duckdb.connect(str(paths.publish_db), read_only=True)
    try:
        rows = conn.execute(
            "select measure_id, indicator_code, zone, method, effect_ratio, ci_low, ci_high, "
            "p_value, mde_ratio, verdict, is_post_hoc from marts.fct_measure_effect "
            "where is_primary and measure_id in (select unnest(?::varchar[])) "
            "order by measure_id, indicator_code, zone",
            [measure_ids],
        ).fetchall()
    finally:
        conn.close()
    print(
        f"{'measure':<10} {'indicator':<24} {'zone':<12} {'ratio':>6} {'95 % interval':>15} "
        f"{'p':>6} {'MDE':>6}  verdict"
    )
    for measure, indicator, zone, method, ratio, low, high, p, mde, verdict, post_hoc in rows:
        interval = f"{_ratio(low)}–{_ratio(high).strip()}" if ratio is not None else "–"
        flags = " (synthetic control)" if method == "synthetic_control" else ""
        flags += " [post hoc]" if post_hoc else ""
        p_text = "–" if p is None else f"{p:.3f}"
        print(
            f"{measure:<10} {indicator:<24} {zone:<12} {_ratio(ratio)} {interval:>15} "
            f"{p_text:>6} {_ratio(mde)}  {verdict}{flags}"
        )
    print("Published in marts.fct_measure_effect and marts.fct_measure_event_study; reports:")
    for measure in measure_ids:
        print(f"  {report_path(paths.root, measure)}")
    if (paths.landing / "GENERATED.txt").exists():
        print(SYNTHETIC_NOTE)
