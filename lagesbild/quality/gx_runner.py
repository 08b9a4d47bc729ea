"""Run Great Expectations Core 1.x suites from `expectations/` on polars frames.

One ephemeral GX context per process (created lazily: importing GX costs seconds), frames
cross from polars to pandas only here. A suite is one JSON file per checked dataset; each
expectation's `meta.batch` names the frame it applies to (`rows` — the table itself — or a
derived frame such as `schema` or `plausibility`, built by
`lagesbild/quality/datasets.py`). Suite parameters (`{"$PARAMETER": name}`) carry code lists,
the month being checked and configurable thresholds. Every validation result is also written
as GX JSON, so a Data Docs site can be built from it for each publication.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from lagesbild.quality import heap
from lagesbild.quality.config import EXPECTATIONS_DIR

ROW_LABEL = "row_label"
"""Column naming a row in failing samples (e.g. `2024-06 region:syd offences_total`)."""
SAMPLE_SIZE = 10

_LOCK = threading.Lock()
_CONTEXT: Any = None
_CONTEXT_LOCK = threading.Lock()
_DEFINITIONS: dict[str, Any] = {}


def load_suite(name: str, directory: Path = EXPECTATIONS_DIR) -> dict[str, Any]:
    return json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))


def suite_batches(suite: dict[str, Any]) -> list[str]:
    """The frames a suite needs, in the order they first appear."""
    batches: list[str] = []
    for expectation in suite["expectations"]:
        batch = expectation.get("meta", {}).get("batch", "rows")
        if batch not in batches:
            batches.append(batch)
    return batches


@dataclass(frozen=True)
class ExpectationOutcome:
    suite: str
    batch: str
    expectation: str
    column: str | None
    description: str
    success: bool
    observed: Any = None
    unexpected_count: int | None = None
    element_count: int | None = None
    samples: list[Any] = field(default_factory=list)
    error: str | None = None
    data_fingerprint: str | None = None

    def summary(self) -> str:
        target = f"{self.batch}.{self.column}" if self.column else self.batch
        detail = ""
        if self.unexpected_count:
            detail = f": {self.unexpected_count} of {self.element_count} rows fail"
        elif self.observed is not None and not self.success:
            detail = f": observed {str(self.observed)[:200]}"
        if self.error:
            detail = f": error {self.error[:200]}"
        if self.samples and not self.success:
            detail += f", e.g. {', '.join(str(s) for s in self.samples[:5])}"
        return f"{self.suite} · {self.expectation}({target}){detail}"

    def as_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=str))


def prewarm_in_background() -> None:
    """Import GX and create the context in a daemon thread (the dbt step calls this).

    Importing GX takes several seconds of pure Python; done while `dbt build` runs in its own
    process, the checks that follow find the context ready. A failure here is not reported:
    the checks create the context again and then report the error themselves.
    """
    threading.Thread(target=_context, name="gx-prewarm", daemon=True).start()


def _context() -> Any:
    """The process's ephemeral GX context (lazy import, analytics and progress bars off)."""
    with _CONTEXT_LOCK:
        return _CONTEXT if _CONTEXT is not None else _create_context()


def _create_context() -> Any:
    global _CONTEXT
    if _CONTEXT is None:
        os.environ["GX_ANALYTICS_ENABLED"] = "false"
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        _skip_gx_batch_hash()
        _CONTEXT = context
    return _CONTEXT


def _skip_gx_batch_hash() -> None:
    """Stop GX hashing every pandas frame it validates; `frame_fingerprint` records one instead.

    GX's pandas engine fingerprints each batch (`pd.util.hash_pandas_object`, then md5) for its
    batch markers whenever the frame is smaller than its `HASH_THRESHOLD` (1 GB): ≈ 1 s of the
    26 suites of a national monthly run, in one thread (benchmarks/profile_notes.md, twelfth
    round). The threshold set to 0 skips only that marker; nothing GX checks depends on it.
    """
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


FINGERPRINT_METHOD = (
    f"sha256 of the frame's schema and of polars {pl.__version__} hash_rows(seed=0) in row order"
)
"""How `frame_fingerprint` is made: equal within one polars version, not across versions."""


def frame_fingerprint(frame: pl.DataFrame) -> str:
    """A fingerprint of the exact rows GX validates (column names, types, values, order)."""
    digest = hashlib.sha256(repr(list(frame.schema.items())).encode())
    if frame.height and frame.width:
        digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    return digest.hexdigest()


def release_validation_memory() -> None:
    """Forget the context and the cached definitions, and give the freed memory back to the OS.

    GX keeps every validated frame reachable from its context (each dataframe asset holds its
    last batch): after the 26 suites of a national run that is ≈ 230 MB of pandas frames, and
    the heap they leave behind is not returned by itself (glibc keeps it; pyarrow's pool keeps
    its share). The checks step calls this when its suites are done, so the publication that
    follows does not build on top of it (benchmarks/profile_notes.md, sixth round). The next
    validation creates a new context (milliseconds; its definitions are built again).
    """
    global _CONTEXT
    with _LOCK, _CONTEXT_LOCK:
        _DEFINITIONS.clear()
        context, _CONTEXT = _CONTEXT, None
        if context is not None:  # it stays registered with GX's project manager: empty it too
            with contextlib.suppress(KeyError, ValueError):
                context.data_sources.delete("lagesbild")
        del context
    gc.collect()
    import pyarrow

    pyarrow.default_memory_pool().release_unused()
    heap.trim()


def _definition(suite: dict[str, Any], batch: str) -> Any:
    """A ValidationDefinition for one batch of one suite, cached per process."""
    import great_expectations as gx

    expectations = [
        expectation
        for expectation in suite["expectations"]
        if expectation.get("meta", {}).get("batch", "rows") == batch
    ]
    body = json.dumps(expectations, sort_keys=True)
    name = f"{suite['name']}__{batch}__{hashlib.sha1(body.encode()).hexdigest()[:10]}"
    if name in _DEFINITIONS:
        return _DEFINITIONS[name]
    context = _context()
    gx_suite = context.suites.add(
        gx.ExpectationSuite(
            name=name,
            expectations=[json.loads(json.dumps(e)) for e in expectations],
            meta={**suite.get("meta", {}), "suite": suite["name"], "batch": batch},
        )
    )
    try:
        source = context.data_sources.get("lagesbild")
    except (KeyError, ValueError):
        source = context.data_sources.add_pandas("lagesbild")
    batch_definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(
        "whole"
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=gx_suite)
    )
    _DEFINITIONS[name] = definition
    return definition


def _samples(result: dict[str, Any]) -> list[Any]:
    """Failing values, named by their row label where the frame has one."""
    indexed = result.get("partial_unexpected_index_list") or []
    labelled = []
    for row in indexed:
        if isinstance(row, dict) and ROW_LABEL in row:
            values = [f"{key}={value}" for key, value in row.items() if key != ROW_LABEL]
            labelled.append(f"{row[ROW_LABEL]} ({', '.join(values)})" if values else row[ROW_LABEL])
    if labelled:
        return labelled[:SAMPLE_SIZE]
    return list(result.get("partial_unexpected_list") or [])[:SAMPLE_SIZE]


@dataclass(frozen=True)
class PandasBatch:
    """A frame as GX validates it (pandas), whether its rows carry a row label, and the
    fingerprint of the polars frame it was copied from (`frame_fingerprint`)."""

    frame: Any
    labelled: bool
    fingerprint: str | None = None


EQUALITY_EXPECTATIONS = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
    }
)
"""Expectations that only test a value for null, membership or equality: a pandas categorical
column gives them the same result as the text column it was made from."""
CATEGORICAL_MIN_ROWS = 10_000
CATEGORICAL_MAX_SHARE = 0.125
"""A text column becomes categorical when at most this share of its rows are distinct."""


def _referenced_columns(expectation: dict[str, Any]) -> set[str]:
    kwargs = expectation.get("kwargs", {})
    named = [kwargs.get(key) for key in ("column", "column_A", "column_B")]
    return {name for name in (*named, *kwargs.get("column_list", [])) if isinstance(name, str)}


def categorical_columns(suite: dict[str, Any], batch: str, frame: pl.DataFrame) -> list[str]:
    """Text columns of a large frame that GX may validate as pandas categoricals.

    GX copies the whole frame for every column expectation (its rows without NULLs) and
    hashes it once per batch; on text columns (pyarrow strings) both cost most of the fact
    table's suite. A column qualifies when it repeats its values (at most 1/8 distinct), is
    not the row label, and every expectation of the batch that names it only tests null,
    membership or equality — so outcomes, counts and samples are the same as for text.
    """
    if frame.height < CATEGORICAL_MIN_ROWS:
        return []
    unsafe: set[str] = {ROW_LABEL}
    for expectation in suite["expectations"]:
        if expectation.get("meta", {}).get("batch", "rows") != batch:
            continue
        if expectation["type"] not in EQUALITY_EXPECTATIONS:
            unsafe |= _referenced_columns(expectation)
    return [
        name
        for name, dtype in frame.schema.items()
        if dtype == pl.String
        and name not in unsafe
        and frame.get_column(name).n_unique() <= frame.height * CATEGORICAL_MAX_SHARE
    ]


def as_batch(
    frame: pl.DataFrame, suite: dict[str, Any] | None = None, batch: str = "rows"
) -> PandasBatch:
    """The pandas copy GX needs. Pass the polars frame only here (`as_batch(frame_for(...))`)
    so it is freed before GX runs: holding both kept ≈ 250 MB more of the process resident
    after the fact table's suite (benchmarks/profile_notes.md, fourth round).

    Given the suite, repetitive text columns become pandas categoricals (`categorical_columns`):
    the fact table's suite 1.5 → 0.8 s on the national data, same outcomes (seventh round).
    """
    categorical = categorical_columns(suite, batch, frame) if suite is not None else []
    labelled = ROW_LABEL in frame.columns
    fingerprint = frame_fingerprint(frame)
    pandas_frame = frame.to_pandas()
    del frame
    for name in categorical:
        pandas_frame[name] = pandas_frame[name].astype("category")
    return PandasBatch(pandas_frame, labelled, fingerprint)


def validate(
    suite: dict[str, Any],
    batch: str,
    data: PandasBatch,
    parameters: dict[str, Any],
    results_dir: Path | None = None,
) -> list[ExpectationOutcome]:
    """Validate one frame against the expectations of `suite` for `batch`."""
    with _LOCK:
        definition = _definition(suite, batch)
        result_format: dict[str, Any] = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": SAMPLE_SIZE,
        }
        if data.labelled:
            result_format["unexpected_index_column_names"] = [ROW_LABEL]
        validation = definition.run(
            batch_parameters={"dataframe": data.frame},
            expectation_parameters=parameters,
            result_format=result_format,
        )
    payload = validation.to_json_dict()
    if data.fingerprint is not None:
        payload.setdefault("meta", {})["lagesbild_batch"] = {
            "rows": len(data.frame),
            "data_fingerprint": data.fingerprint,
            "fingerprint_method": FINGERPRINT_METHOD,
        }
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        target = results_dir / f"{suite['name']}__{batch}.json"
        target.write_text(json.dumps(payload, default=str), encoding="utf-8")
    outcomes: list[ExpectationOutcome] = []
    for item in payload["results"]:
        config = item["expectation_config"]
        result = item.get("result") or {}
        exception = item.get("exception_info") or {}
        error = exception.get("exception_message") if exception.get("raised_exception") else None
        outcomes.append(
            ExpectationOutcome(
                suite=suite["name"],
                batch=batch,
                expectation=config["type"],
                column=config["kwargs"].get("column"),
                description=(config.get("meta") or {}).get("description", ""),
                success=bool(item["success"]),
                observed=result.get("observed_value"),
                unexpected_count=result.get("unexpected_count"),
                element_count=result.get("element_count"),
                samples=_samples(result),
                error=error,
                data_fingerprint=data.fingerprint,
            )
        )
    return outcomes
