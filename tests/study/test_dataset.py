"""Data sets: CSV loading, declared ranges, negative-range offsets, refusals naming row and column."""

from __future__ import annotations

import io

import numpy as np
import pytest

from zkgate.errors import InvalidInputError
from zkgate.study import Column, Dataset, RecordOutOfRangeError, Schema
from zkgate.study.errors import MessageFormatError, SchemaError

SCHEMA = Schema.of(("age", 0, 120), ("temp", -40, 50), ("flag", 0, 1))


def test_csv_load_offsets_negative_ranges():
    ds = Dataset.from_csv(SCHEMA, io.StringIO("age,temp,flag,extra\n30,-40,1,x\n 7 ,50,0,y\n"))
    assert ds.stored.tolist() == [[30, 0, 1], [7, 90, 0]]
    assert ds.raw().tolist() == [[30, -40, 1], [7, 50, 0]]
    assert [c.bits for c in SCHEMA.columns] == [7, 7, 1]
    assert SCHEMA.column("temp").offset == -40 and SCHEMA.column("age").offset == 0


def test_csv_file(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("flag,temp,age\n1,0,1\n")
    assert Dataset.from_csv(SCHEMA, p).raw().tolist() == [[1, 0, 1]]


@pytest.mark.parametrize("text,row,col", [
    ("age,temp,flag\n30,0,1\n121,0,1\n", 2, "age"),
    ("age,temp,flag\n30,-41,1\n", 1, "temp"),
    ("age,temp,flag\n30,0,2\n", 1, "flag"),
    ("age,temp,flag\n30,0,1\n30,1.5,1\n", 2, "temp"),
    ("age,temp,flag\n30,,1\n", 1, "temp"),
])
def test_out_of_range_names_row_and_column(text, row, col):
    with pytest.raises(RecordOutOfRangeError) as exc:
        Dataset.from_csv(SCHEMA, io.StringIO(text))
    assert exc.value.row == row and exc.value.column == col
    assert f"row {row}" in str(exc.value) and repr(col) in str(exc.value)
    assert isinstance(exc.value, InvalidInputError)


def test_array_and_rows_refusals():
    with pytest.raises(RecordOutOfRangeError, match="row 2, column 'temp'"):
        Dataset.from_array(SCHEMA, np.array([[1, 0, 0], [1, 60, 0]]))
    with pytest.raises(RecordOutOfRangeError, match="row 1, column 'age'"):
        Dataset.from_rows(SCHEMA, [[-1, 0, 0]])
    assert Dataset.from_rows(SCHEMA, [[1, -3, 1]]).stored.tolist() == [[1, 37, 1]]


def test_header_problems():
    with pytest.raises(SchemaError, match="'flag'"):
        Dataset.from_csv(SCHEMA, io.StringIO("age,temp\n1,2\n"))
    with pytest.raises(SchemaError, match="empty"):
        Dataset.from_csv(SCHEMA, io.StringIO(""))
    with pytest.raises(SchemaError, match="row 1 has 2 fields"):
        Dataset.from_csv(SCHEMA, io.StringIO("age,temp,flag\n1,2\n"))


def test_schema_validation_and_encoding():
    with pytest.raises(SchemaError):
        Column("a b", 0, 1)
    with pytest.raises(SchemaError):
        Column("a", 3, 2)
    with pytest.raises(SchemaError, match="duplicate"):
        Schema.of(("a", 0, 1), ("a", 0, 1))
    with pytest.raises(SchemaError, match="bits"):
        Schema.of(*[(f"c{i}", 0, 2**62 - 1) for i in range(5)])
    data = SCHEMA.to_bytes()
    assert Schema.from_bytes(data) == SCHEMA
    with pytest.raises(MessageFormatError):
        Schema.from_bytes(data + b"\x00")
    with pytest.raises(MessageFormatError):
        Schema.from_bytes(data[:-1])


def test_parquet_if_available(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"age": [1, 2], "temp": [-40, 3], "flag": [0, 1]}), tmp_path / "t.parquet")
    assert Dataset.from_parquet(SCHEMA, tmp_path / "t.parquet").raw().tolist() == [[1, -40, 0], [2, 3, 1]]
