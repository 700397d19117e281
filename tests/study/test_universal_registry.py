"""A universal key's parameters as the gateway keeps them (issue 21): canonical JSON that round-trips,
strict parsing, and every difference from a study's parameters named."""

from __future__ import annotations

import dataclasses
import json

import pytest

from zkgate.study.dataset import Schema
from zkgate.study.errors import SpecError
from zkgate.study.universal import UniversalParams
from zkgate.study.universal_registry import params_from_json, params_json, params_mismatch

SCHEMA = Schema.of(("age", 0, 15), ("dx", 1, 2), ("temp", -8, 7))
PARAMS = UniversalParams.of(SCHEMA, 6, max_terms=6, max_cells=4, max_moments=5, max_bins=2, max_surv_bins=2)


def test_canonical_round_trip():
    text = params_json(PARAMS)
    assert params_from_json(text) == PARAMS
    obj = json.loads(text)
    assert text == json.dumps(obj, sort_keys=True, separators=(",", ":"))  # one text per parameters
    assert params_json(params_from_json(json.dumps(obj, indent=2))) == text  # any spacing parses to it


@pytest.mark.parametrize("bad", [
    "", "[]", "{}", '{"capacity": 6, "schema": [["age", 0, 15]]}',
    '{"capacity": 0, "schema": [["age", 0, 15]], "universal": [[2], 1, 1, 1, 1, 0]}',
    '{"capacity": 6, "schema": [["age", 0, 15]], "universal": [[2, 2], 1, 1, 1, 1, 0]}',  # terms per column
    '{"capacity": 6, "schema": [["age", 0, 15]], "universal": [[2], 1, 1, 1, 1, 0], "extra": 1}',
    '{"capacity": 6, "schema": [["age", 0, 15]], "universal": [[2], 0, 1, 1, 1, 0]}',  # max_cells 0
])
def test_malformed_parameters_refused(bad):
    with pytest.raises(SpecError, match="params_json"):
        params_from_json(bad)


def test_every_difference_named():
    assert params_mismatch(PARAMS, PARAMS) == []
    other = dataclasses.replace(PARAMS, capacity=8, max_bins=3)
    assert params_mismatch(other, PARAMS) == ["capacity 8 (the key's: 6)", "max_bins 3 (the key's: 2)"]
    wider = Schema.of(("age", 0, 31), ("dx", 1, 2), ("temp", -8, 7))
    [difference] = params_mismatch(dataclasses.replace(PARAMS, schema=wider), PARAMS)
    assert difference.startswith("schema [['age', 0, 31]")
