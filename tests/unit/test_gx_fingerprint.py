"""GX validates without hashing each frame; Lägesbild records the validated rows' fingerprint."""

import json
from pathlib import Path

import polars as pl

from lagesbild.quality.gx_runner import FINGERPRINT_METHOD, as_batch, frame_fingerprint, validate

SUITE = {
    "name": "raw.fingerprint_probe",
    "expectations": [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "count", "min_value": 0, "max_value": 100},
            "meta": {"batch": "rows", "description": "counts are within 0..100"},
        }
    ],
}
FRAME = pl.DataFrame({"code": ["a", "b", "c"], "count": [1, 2, 300]})


def test_the_fingerprint_names_schema_values_and_order() -> None:
    same = frame_fingerprint(FRAME.clone())
    assert frame_fingerprint(FRAME) == same
    assert len(same) == 64
    changed_value = FRAME.with_columns(pl.Series("count", [1, 2, 301]))
    reordered = FRAME.reverse()
    renamed = FRAME.rename({"count": "n"})
    retyped = FRAME.with_columns(pl.col("count").cast(pl.Int32))
    fewer_rows = FRAME.head(2)
    others = [changed_value, reordered, renamed, retyped, fewer_rows]
    fingerprints = {frame_fingerprint(frame) for frame in others}
    assert len(fingerprints) == len(others) and same not in fingerprints
    empty_renamed = FRAME.head(0).rename({"code": "x"})
    assert frame_fingerprint(FRAME.clear()) != frame_fingerprint(empty_renamed)


def test_results_carry_lagesbild_s_fingerprint_instead_of_gx_s_hash(tmp_path: Path) -> None:
    outcomes = validate(SUITE, "rows", as_batch(FRAME), {}, tmp_path)

    payload = json.loads((tmp_path / "raw.fingerprint_probe__rows.json").read_text())
    assert "pandas_data_fingerprint" not in payload["meta"]["batch_markers"]
    assert payload["meta"]["lagesbild_batch"] == {
        "rows": 3,
        "data_fingerprint": frame_fingerprint(FRAME),
        "fingerprint_method": FINGERPRINT_METHOD,
    }
    assert [(o.success, o.unexpected_count, o.data_fingerprint) for o in outcomes] == [
        (False, 1, frame_fingerprint(FRAME))
    ]
