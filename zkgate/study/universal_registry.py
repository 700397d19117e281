"""A universal key's parameters as the gateway registers them (issue 21): one canonical JSON text.

A universal contribution key is registered with the gateway once (``zkgate requester
register-universal-key``); every later study over its schema and capacity names it by its
verifying-key hash.  The gateway keeps the key's :class:`~zkgate.study.universal.UniversalParams`
as :func:`params_json` (sorted keys, no spaces: the same parameters always give the same bytes) and
refuses a study whose spec carries other parameters, naming every difference
(:func:`params_mismatch`).
"""

from __future__ import annotations

import json

from zkgate import safejson
from zkgate.errors import ZkgateError
from zkgate.study.dataset import Schema
from zkgate.study.errors import SpecError
from zkgate.study.universal import UniversalParams

MAX_PARAMS_JSON = 64 << 10  # characters: 64 columns with long names and the maxima fit many times over


def params_json(params: UniversalParams) -> str:
    """``{"capacity": N, "schema": [[name, min, max], ...], "universal": [[terms], max_cells, ...]}``, canonical."""
    return json.dumps({"capacity": params.capacity, "schema": params.schema.to_obj(), "universal": params.to_obj()},
                      sort_keys=True, separators=(",", ":"))


def params_from_json(text: str, where: str = "params_json") -> UniversalParams:
    """The parameters of :func:`params_json` text (SpecError naming ``where`` when malformed)."""
    if not isinstance(text, str) or not text or len(text) > MAX_PARAMS_JSON:
        raise SpecError(f"{where}: expected the key's parameters as JSON of at most {MAX_PARAMS_JSON} characters")
    try:
        obj = safejson.loads(text, where)
        if not isinstance(obj, dict) or set(obj) != {"capacity", "schema", "universal"}:
            raise SpecError('expected {"capacity": N, "schema": [[name, min, max], ...], "universal": [...]}')
        capacity = obj["capacity"]
        if type(capacity) is not int or not 1 <= capacity <= 1 << 16:
            raise SpecError(f"capacity must be an integer in [1, 65536], got {capacity!r}")
        return UniversalParams.from_obj(Schema.from_obj(obj["schema"]), capacity, obj["universal"])
    except ZkgateError as exc:
        raise SpecError(f"{where}: {exc}") from None


def params_mismatch(study: UniversalParams, key: UniversalParams) -> list[str]:
    """What differs between a study's universal parameters and a registered key's (empty: none)."""
    out = []
    if study.schema != key.schema:
        out.append(f"schema {study.schema.to_obj()} (the key's: {key.schema.to_obj()})")
    if study.capacity != key.capacity:
        out.append(f"capacity {study.capacity} (the key's: {key.capacity})")
    names = ("terms", "max_cells", "max_moments", "max_bins", "max_surv_bins", "max_coordinates")
    for name, mine, theirs in zip(names, study.to_obj(), key.to_obj()):
        if mine != theirs:
            out.append(f"{name} {mine} (the key's: {theirs})")
    return out


__all__ = ["params_from_json", "params_json", "params_mismatch"]
