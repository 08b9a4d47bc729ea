"""Apply a `SourceContract` to one delivered file and return typed rows, or reject it whole.

Every problem names the file, the line (the header is line 1), the column, the value and the
rule broken. Only a bounded number of examples is kept per rule; the total is always counted.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from lagesbild.ingest.contracts import Column, Kind, SourceContract

MAX_EXAMPLES_PER_RULE = 5
MAX_EXAMPLES_IN_MESSAGE = 12
SEPARATOR = ";"
UTF8_BOM = b"\xef\xbb\xbf"
LINE_NUMBER = "__line"


@dataclass(frozen=True)
class Violation:
    """One broken rule at one place in a delivered file."""

    file: str
    rule: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    position_word: str = "line"

    def describe(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"{self.position_word} {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        value = "" if self.value is None else f" value {self.value[:60]!r}:"
        return f"{', '.join(where)}:{value} {self.rule}"


@dataclass
class ViolationCollector:
    """Keeps a few examples per rule and the total count of problems."""

    file: str
    examples: list[Violation] = field(default_factory=list)
    total: int = 0
    position_word: str = "line"
    _per_rule: dict[str, int] = field(default_factory=dict)

    def add(
        self,
        rule: str,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
        count: int = 1,
    ) -> None:
        self.total += count
        key = f"{column}:{rule}"
        seen = self._per_rule.get(key, 0)
        if seen < MAX_EXAMPLES_PER_RULE:
            self.examples.append(
                Violation(self.file, rule, line, column, value, self.position_word)
            )
            self._per_rule[key] = seen + 1

    def add_frame(self, bad: pl.DataFrame, column: str, rule: str) -> None:
        """Record every row of `bad` (must hold LINE_NUMBER and `column`) as broken."""
        if bad.height == 0:
            return
        sample = bad.head(MAX_EXAMPLES_PER_RULE)
        for line, value in zip(sample[LINE_NUMBER], sample[column], strict=True):
            self.add(
                rule, line=int(line), column=column, value=None if value is None else str(value)
            )
        self.total += bad.height - sample.height


class DeliveryRejected(Exception):
    """A delivery broke its contract; nothing of it may land in `raw`."""

    def __init__(self, source: str, file: str, violations: ViolationCollector) -> None:
        self.source = source
        self.file = file
        self.violations = violations
        self.quarantined_as: Path | None = None
        super().__init__(source, file)

    def __str__(self) -> str:
        text = self.render()
        if self.quarantined_as is not None:
            text += f"\nThe file was moved to quarantine: {self.quarantined_as}"
        return text

    def render(self) -> str:
        shown = self.violations.examples[:MAX_EXAMPLES_IN_MESSAGE]
        lines = [
            f"Delivery rejected: {self.source} file {self.file} breaks its contract "
            f"({self.violations.total} problem(s); first {len(shown)} shown):"
        ]
        lines += [f"  - {violation.describe()}" for violation in shown]
        return "\n".join(lines)


def month_bounds(month: date) -> tuple[date, date]:
    last_day = calendar.monthrange(month.year, month.month)[1]
    return month, date(month.year, month.month, last_day)


def decode_delivery(raw: bytes, collector: ViolationCollector) -> str | None:
    """Bytes → text, refusing anything that is not clean UTF-8."""
    if not raw.strip():
        collector.add("the file is empty; expected a header row and data rows")
        return None
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        line = raw[:offset].count(b"\n") + 1
        collector.add(f"NUL byte at byte offset {offset}; the file is binary or corrupt", line=line)
        return None
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        bad = raw[error.start : error.start + 4]
        collector.add(
            f"not valid UTF-8 (byte {bad!r} at offset {error.start}); the contract requires "
            "UTF-8 — the file looks like Windows-1252/Latin-1: export it again as UTF-8",
            line=line,
        )
        return None


def check_header(header: str, contract: SourceContract, collector: ViolationCollector) -> bool:
    names = [name.strip() for name in header.rstrip("\r").split(SEPARATOR)]
    expected = contract.column_names
    if names == expected:
        return True
    if len(names) == 1 and len(expected) > 1:
        guess = next((sep for sep in (",", "\t", "|") if sep in header), None)
        hint = f" (found {guess!r}: wrong separator, the contract uses ';')" if guess else ""
        collector.add(f"header has one column{hint}; expected {SEPARATOR.join(expected)}", line=1)
        return False
    missing = [name for name in expected if name not in names]
    unexpected = [name for name in names if name not in expected]
    if missing or unexpected:
        collector.add(
            f"header does not match the contract: missing {missing or 'none'}, "
            f"unexpected {unexpected or 'none'}; expected {SEPARATOR.join(expected)}",
            line=1,
        )
    else:
        collector.add(f"columns in the wrong order; expected {SEPARATOR.join(expected)}", line=1)
    return False


def parse_rows(
    text: str, contract: SourceContract, collector: ViolationCollector
) -> pl.DataFrame | None:
    """Split the text into string columns, checking the field count of every line."""
    body_lines = pl.Series("line", text.split("\n")[1:])
    numbered = (
        pl.DataFrame({"text": body_lines})
        .with_columns((pl.int_range(pl.len()) + 2).alias(LINE_NUMBER))
        .filter(pl.col("text").str.strip_chars("\r") != "")
    )
    if numbered.height == 0:
        if contract.allow_empty:
            return pl.DataFrame(
                {LINE_NUMBER: [], **{name: [] for name in contract.column_names}},
                schema={LINE_NUMBER: pl.Int64, **dict.fromkeys(contract.column_names, pl.Utf8)},
            )
        collector.add("the file has a header but no data rows", line=2)
        return None
    expected_fields = len(contract.columns)
    field_counts = numbered.with_columns(
        (pl.col("text").str.count_matches(SEPARATOR, literal=True) + 1).alias("fields")
    )
    ragged = field_counts.filter(pl.col("fields") != expected_fields)
    if ragged.height:
        for line, fields in zip(ragged[LINE_NUMBER].head(5), ragged["fields"].head(5), strict=True):
            hint = " (truncated line?)" if fields < expected_fields else ""
            collector.add(
                f"line has {fields} fields, expected {expected_fields}{hint}", line=int(line)
            )
        collector.total += max(ragged.height - 5, 0)
        return None
    split = numbered.select(
        LINE_NUMBER,
        pl.col("text")
        .str.strip_chars("\r")
        .str.split_exact(SEPARATOR, expected_fields - 1)
        .struct.rename_fields(contract.column_names)
        .alias("fields"),
    ).unnest("fields")
    return split.with_columns(
        [
            pl.when(pl.col(name).str.strip_chars() == "")
            .then(None)
            .otherwise(pl.col(name).str.strip_chars())
            .alias(name)
            for name in contract.column_names
        ]
    )


def typed_expression(column: Column) -> pl.Expr:
    """The expression that parses one string column into its contract type (null if invalid)."""
    source = pl.col(column.name)
    if column.kind is Kind.INTEGER:
        return source.str.to_integer(strict=False)
    if column.kind is Kind.DECIMAL:
        return source.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    if column.kind is Kind.DATE:
        return source.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if column.kind is Kind.DATETIME:
        return source.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    return source


KIND_RULES = {
    Kind.INTEGER: "not a whole number",
    Kind.DECIMAL: "not a number (decimal comma or point allowed)",
    Kind.DATE: "not a date YYYY-MM-DD",
    Kind.DATETIME: "not a timestamp YYYY-MM-DD HH:MM:SS",
}
DECIMAL_PATTERN = r"^-?\d+([.,]\d+)?$"
INTEGER_PATTERN = r"^-?\d+$"


def check_columns(
    rows: pl.DataFrame,
    contract: SourceContract,
    month: date | None,
    code_lists: Mapping[str, frozenset[str]],
    collector: ViolationCollector,
) -> pl.DataFrame:
    """Check every column rule; return the typed frame (meaningful only without violations)."""
    for column in contract.columns:
        values = pl.col(column.name)
        if column.required:
            collector.add_frame(
                rows.filter(values.is_null()), column.name, "required value is empty"
            )
        present = rows.filter(values.is_not_null())
        if column.pattern:
            collector.add_frame(
                present.filter(~values.str.contains(column.pattern)),
                column.name,
                f"does not match the format {column.pattern}",
            )
        if column.allowed:
            collector.add_frame(
                present.filter(~values.is_in(list(column.allowed))),
                column.name,
                f"not one of {', '.join(column.allowed)}",
            )
        if column.kind in (Kind.INTEGER, Kind.DECIMAL):
            pattern = INTEGER_PATTERN if column.kind is Kind.INTEGER else DECIMAL_PATTERN
            collector.add_frame(
                present.filter(~values.str.contains(pattern)), column.name, KIND_RULES[column.kind]
            )
        elif column.kind in (Kind.DATE, Kind.DATETIME):
            collector.add_frame(
                present.filter(typed_expression(column).is_null()),
                column.name,
                KIND_RULES[column.kind],
            )
        if column.code_list and column.code_list in code_lists:
            known = code_lists[column.code_list]
            collector.add_frame(
                present.filter(~values.is_in(list(known))),
                column.name,
                f"unknown {column.code_list.replace('_', ' ')} code (not in the reference list)",
            )
    typed = rows.with_columns(
        [typed_expression(column).alias(column.name) for column in contract.columns]
    )
    for column in contract.columns:
        values = pl.col(column.name)
        if column.non_negative:
            collector.add_frame(typed.filter(values < 0), column.name, "must not be negative")
        if column.inside_month and month is not None:
            first, last = month_bounds(month)
            as_date = values.cast(pl.Date) if column.kind is Kind.DATETIME else values
            collector.add_frame(
                typed.filter((as_date < first) | (as_date > last)),
                column.name,
                f"date outside the delivery month {month:%Y-%m}",
            )
    if contract.unique_key:
        duplicated = typed.filter(pl.struct(list(contract.unique_key)).is_duplicated())
        key = contract.unique_key[0]
        collector.add_frame(
            duplicated.sort(LINE_NUMBER),
            key,
            f"duplicate {'+'.join(contract.unique_key)}: each must occur once in a delivery",
        )
    return typed


def read_delivery(
    path: Path,
    contract: SourceContract,
    month: date | None,
    code_lists: Mapping[str, frozenset[str]],
) -> pl.DataFrame:
    """Validate `path` against `contract`; the typed rows, or `DeliveryRejected`."""
    collector = ViolationCollector(
        file=path.name if month is None else f"{contract.source}/{path.name}"
    )
    if path.suffix == ".parquet":
        rows = _parquet_as_strings(path, contract, collector)
    else:
        rows = _csv_as_strings(path, contract, collector)
    if rows is None:
        raise DeliveryRejected(contract.source, collector.file, collector)
    typed = check_columns(rows, contract, month, code_lists, collector)
    if collector.total:
        raise DeliveryRejected(contract.source, collector.file, collector)
    return typed


def _csv_as_strings(
    path: Path, contract: SourceContract, collector: ViolationCollector
) -> pl.DataFrame | None:
    text = decode_delivery(path.read_bytes(), collector)
    if text is None:
        return None
    header, _, _ = text.partition("\n")
    if not check_header(header, contract, collector):
        return None
    return parse_rows(text, contract, collector)


def _parquet_as_strings(
    path: Path, contract: SourceContract, collector: ViolationCollector
) -> pl.DataFrame | None:
    try:
        frame = pl.read_parquet(path)
    except Exception as error:  # polars raises several error types for corrupt files
        collector.add(f"not a readable Parquet file: {error}")
        return None
    if not check_header(SEPARATOR.join(frame.columns), contract, collector):
        return None
    collector.position_word = "row"
    as_text = frame.select([pl.col(name).cast(pl.Utf8) for name in contract.column_names])
    return as_text.with_columns((pl.int_range(pl.len()) + 1).alias(LINE_NUMBER))
