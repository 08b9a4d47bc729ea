"""The checks step hands GX's memory back: no validated frame stays reachable afterwards."""

import gc
import weakref

import polars as pl

from lagesbild.quality.gx_runner import as_batch, release_validation_memory, validate

SUITE = {
    "name": "raw.memory_probe",
    "expectations": [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "count", "min_value": 0, "max_value": 100},
            "meta": {"batch": "rows", "description": "counts are within 0..100"},
        }
    ],
}


def _validated_frame(counts: list[int]) -> tuple[weakref.ref, list]:
    batch = as_batch(pl.DataFrame({"count": counts}))
    outcomes = validate(SUITE, "rows", batch, {})
    return weakref.ref(batch.frame), outcomes


def test_gx_holds_the_validated_frame_until_released() -> None:
    frame, outcomes = _validated_frame([1, 2, 300])
    gc.collect()
    assert frame() is not None, "GX keeps the last batch of each asset (what is released)"
    assert [(o.success, o.unexpected_count) for o in outcomes] == [(False, 1)]

    release_validation_memory()
    gc.collect()

    assert frame() is None


def test_validation_works_again_after_a_release() -> None:
    release_validation_memory()
    _, first = _validated_frame([5, 6])
    release_validation_memory()
    release_validation_memory()  # idempotent, also without a context
    _, second = _validated_frame([5, 600, 700])

    assert [(o.success, o.unexpected_count) for o in first] == [(True, 0)]
    assert [(o.success, o.unexpected_count) for o in second] == [(False, 2)]
