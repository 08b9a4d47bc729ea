"""A Parquet file's key-value metadata replaced without re-encoding its rows.

A Parquet file is `PAR1`, the column chunks (with their page indexes and Bloom filters), the
footer — the Thrift-encoded (compact protocol) `FileMetaData` — its length (4 bytes, little
endian) and `PAR1` again. Every offset in the footer counts from the start of the file, so the
bytes before the footer can be kept as they are while the footer is written anew. Only the
footer's field 5, `key_value_metadata` (a list of `KeyValue{1: key, 2: value}`), is replaced;
every other field is carried over byte for byte. Used when a publication keeps a region's table
unchanged: its Parquet file then names the new publication without compressing its rows again.

Thrift compact protocol: https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md
Parquet footer: https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

MAGIC = b"PAR1"
KEY_VALUE_METADATA = 5
"""`FileMetaData.key_value_metadata`'s field id."""

BOOL_TRUE, BOOL_FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(1, 13)


class ParquetFooterError(ValueError):
    """The file is not a plain (unencrypted) Parquet file whose footer this module can read."""


Field = tuple[int, int, bytes]
"""A struct field: its id, its compact type and the bytes of its value (none for a bool)."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ParquetFooterError("footer ends inside a number")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _byte(data: bytes, pos: int) -> int:
    if pos >= len(data):
        raise ParquetFooterError("footer ends inside a list or map")
    return data[pos]


def _skip(data: bytes, pos: int, kind: int) -> int:
    """The position after a value of compact type `kind` starting at `pos`."""
    if kind in (BOOL_TRUE, BOOL_FALSE, BYTE):
        return pos + 1
    if kind in (I16, I32, I64):
        return _varint(data, pos)[1]
    if kind == DOUBLE:
        return pos + 8
    if kind == BINARY:
        length, pos = _varint(data, pos)
        return pos + length
    if kind in (LIST, SET):
        header = _byte(data, pos)
        pos += 1
        size, element = header >> 4, header & 0x0F
        if size == 15:
            size, pos = _varint(data, pos)
        for _ in range(size):
            pos = _skip(data, pos, element)
        return pos
    if kind == MAP:
        size, pos = _varint(data, pos)
        if size:
            types = _byte(data, pos)
            pos += 1
            for _ in range(size):
                pos = _skip(data, pos, types >> 4)
                pos = _skip(data, pos, types & 0x0F)
        return pos
    if kind == STRUCT:
        return _struct_fields(data, pos)[1]
    raise ParquetFooterError(f"unknown Thrift compact type {kind}")


def _struct_fields(data: bytes, pos: int) -> tuple[list[Field], int]:
    """A struct's fields in their order, and the position after its stop byte."""
    fields: list[Field] = []
    last_id = 0
    while True:
        if pos >= len(data):
            raise ParquetFooterError("footer ends inside a struct")
        header = data[pos]
        pos += 1
        if header == 0:
            return fields, pos
        delta, kind = header >> 4, header & 0x0F
        if delta:
            field_id = last_id + delta
        else:
            raw_id, pos = _varint(data, pos)
            field_id = _zigzag(raw_id)
        end = pos if kind in (BOOL_TRUE, BOOL_FALSE) else _skip(data, pos, kind)
        fields.append((field_id, kind, data[pos:end]))
        pos = end
        last_id = field_id


def _encode_struct(fields: list[Field]) -> bytes:
    out = bytearray()
    last_id = 0
    for field_id, kind, value in fields:
        delta = field_id - last_id
        if 0 < delta <= 15:
            out.append(delta << 4 | kind)
        else:
            out.append(kind)
            out += _encode_varint((field_id << 1) ^ (field_id >> 15))  # zigzag i16
        out += value
        last_id = field_id
    out.append(0)
    return bytes(out)


def _binary(value: str) -> bytes:
    encoded = value.encode()
    return _encode_varint(len(encoded)) + encoded


def _key_values(metadata: Mapping[str, str]) -> bytes:
    items = [
        _encode_struct([(1, BINARY, _binary(key)), (2, BINARY, _binary(value))])
        for key, value in metadata.items()
    ]
    header = (
        bytes([len(items) << 4 | STRUCT])
        if len(items) < 15
        else bytes([0xF0 | STRUCT]) + _encode_varint(len(items))
    )
    return header + b"".join(items)


def footer_span(data: bytes) -> tuple[int, int]:
    """Where the footer starts and how long it is."""
    if len(data) < 12 or data[:4] != MAGIC or data[-4:] != MAGIC:
        raise ParquetFooterError("not a Parquet file (no PAR1 at both ends; an encrypted one?)")
    length = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - length
    if start < 4:
        raise ParquetFooterError(f"footer length {length} does not fit the file")
    return start, length


def with_key_value_metadata(data: bytes, metadata: Mapping[str, str]) -> bytes:
    """The Parquet file `data` with its key-value metadata replaced by `metadata`."""
    start, length = footer_span(data)
    fields, end = _struct_fields(data[start : start + length], 0)
    if end != length:
        raise ParquetFooterError(f"footer holds {end} bytes, its length says {length}")
    kept = [field for field in fields if field[0] != KEY_VALUE_METADATA]
    fields = sorted([*kept, (KEY_VALUE_METADATA, LIST, _key_values(metadata))], key=lambda f: f[0])
    footer = _encode_struct(fields)
    return data[:start] + footer + len(footer).to_bytes(4, "little") + MAGIC


def restamp(source: Path, target: Path, metadata: Mapping[str, str]) -> None:
    """Write `source` to `target` with `metadata` as its key-value metadata (source unchanged)."""
    target.write_bytes(with_key_value_metadata(source.read_bytes(), metadata))
