"""``zkgate study ...`` commands."""

from __future__ import annotations

import json
import sys

import click

from zkgate.he.presets import PRESETS
from zkgate.study.simulate import STUDY_FILTER, STUDY_STATISTICS, simulate


@click.group()
def study() -> None:
    """Verifiable joint statistics (catalog, study, contribution, release)."""


@study.command("simulate")
@click.option("--holders", default=3, show_default=True, type=click.IntRange(1, 64), help="Data holders (hospitals).")
@click.option("--records", default=100, show_default=True, type=click.IntRange(0, 10_000_000), help="Records per holder.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the synthetic tables.")
@click.option("--chunk", default=64, show_default=True, type=click.IntRange(1, 1 << 16), help="Chunk capacity (records per proof).")
@click.option("--tamper", type=click.Choice(["participant", "aggregator", "keyholder", "share"]), default=None,
              help="Inject one party's misbehaviour; the run must end unverified, with the reason (share: a key "
                   "committee member posts wrong decryption shares and is named; needs --key-holders).")
@click.option("--key-holders", "key_holders", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Key holders: 1 = one key holder with the whole BFV secret key; N > 1 = a key committee of N "
                   "members with a joint key that nobody holds (docs/he.md); needs bfv-8192 or bfv-16384 "
                   "(bfv-8192 unless --preset says otherwise).")
@click.option("--threshold", "threshold", default=None, type=click.IntRange(2, 16),
              help="Members of the key committee needed to decrypt (2 <= T <= --key-holders).  [default: all]")
@click.option("--he", "scheme", type=click.Choice(["bfv", "ckks"]), default=None,
              help="HE scheme: bfv (exact, verified release; preset bfv-4096) or ckks (approximate, "
                   "unverified release; preset ckks-8192).  [default: bfv]")
@click.option("--preset", default=None,
              help="HE preset of the study: bfv-4096, bfv-8192, bfv-16384 (exact) or ckks-8192, ckks-16384 "
                   "(approximate); must fit --he when both are given.  [default: bfv-4096, or ckks-8192 with --he ckks]")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Prover processes per holder.")
@click.option("--dask", "dask_address", metavar="ADDRESS|local:N",
              help="Prove the chunks as Dask tasks: local:N (a LocalCluster of N worker processes) or your own "
                   "scheduler's address (see docs/scale.md; needs `pip install 'zkgate[dask]'`).")
@click.option("--dask-tls", type=click.Path(dir_okay=False),
              help="Dask's TLS security configuration (YAML), required for a scheduler beyond localhost.")
@click.option("--sql", "sql", metavar="QUERY",
              help="The question in SQL over the synthetic patients (columns age, sex, diagnosis 1..4, bmi, sbp, "
                   "cholesterol, followup_days, died), e.g. \"SELECT diagnosis, COUNT(*) AS n, AVG(cholesterol) AS chol, "
                   "CORR(age, cholesterol) AS r FROM patients WHERE age BETWEEN 40 AND 65 GROUP BY diagnosis\"; "
                   "the subset and the aggregates are in docs/statistics.md.  [default: women aged 40-65: count, sum, "
                   "mean and variance of cholesterol, histogram of sbp]")
@click.option("--export-data", "export_data", type=click.Path(file_okay=False), metavar="DIR",
              help="Write each hospital's synthetic table to DIR/<hospital>.csv (header row), to recompute the "
                   "truth with other tools.")
@click.option("--universal", is_flag=True,
              help="Prove with the universal circuit of the patient schema (one key for every question within its "
                   "maxima: 16 filter breakpoints, 8 cells, 20 moments per cell, 64 quantile bins, 24 survival bins, 512 coordinates; "
                   "docs/protocol.md) instead of the question's per-shape circuit; a question beyond them is refused "
                   "naming the limit.")
@click.option("--json", "as_json", is_flag=True,
              help="End with one line of JSON: verified, results and truth keyed by alias (numbers; HISTOGRAM a "
                   "list; OLS {coef, se, r2, n}; under GROUP BY {group value: ...}, \"a|b\" for two columns), "
                   "then status, mode, question, reason, max_relative_error, timings.")
def simulate_command(holders, records, seed, chunk, tamper, key_holders, threshold, scheme, preset, workers,
                     dask_address, dask_tls, sql, export_data, universal, as_json) -> None:
    """Run a whole study in one process on synthetic, seeded patient tables (dev keys).

    Prints the released results beside the ground truth computed in the clear, the
    largest relative error between them, the verification outcome and timings per phase.
    --sql asks another question of the synthetic patient tables (docs/statistics.md), e.g.

    \b
      zkgate study simulate --sql "SELECT diagnosis, COUNT(*) AS n, AVG(cholesterol) AS chol,
          CORR(age, cholesterol) AS r, OLS(cholesterol, age, bmi) AS fit FROM patients
          WHERE age BETWEEN 40 AND 65 AND (sex = 1 OR diagnosis IN (2, 3)) GROUP BY diagnosis" --json

    --key-holders N --threshold T replaces the single key holder by a key committee: a joint
    key nobody holds, any T members decrypt (each only the sum it recomputed itself), and the
    release is published only if the commitment equation holds (docs/he.md); --tamper share
    makes member 2 post wrong shares, which names it and publishes nothing.

    A CKKS study (--he ckks) is released approximately and is never verified: its proofs
    are checked, its released numbers are not bound to them.  Exit status 0 when verified,
    or for a CKKS study when every check that can run passed; 1 otherwise.
    """
    if threshold is not None and (key_holders < 2 or threshold > key_holders):
        raise click.BadParameter(f"needs 2 <= T <= --key-holders ({key_holders})", param_hint="--threshold")
    if tamper == "share" and key_holders < 2:
        raise click.UsageError("--tamper share needs a key committee: --key-holders N (N >= 2)")
    if preset is None and key_holders > 1:
        if scheme == "ckks":
            raise click.UsageError("a key committee decrypts BFV studies only; drop --he ckks")
        preset = "bfv-8192"  # bfv-4096 has no room for the committee's smudging noise (docs/he.md)
    if preset is None:
        preset = {"bfv": "bfv-4096", "ckks": "ckks-8192", None: "bfv-4096"}[scheme]
    if preset not in PRESETS:
        raise click.BadParameter(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}", param_hint="--preset")
    if scheme is not None and PRESETS[preset].scheme != scheme:
        raise click.BadParameter(f"preset {preset} is not a {scheme} preset", param_hint="--preset")
    if tamper is not None and PRESETS[preset].scheme != "bfv":
        raise click.UsageError("--tamper needs a BFV study: misbehaviour is detected by the exact release check, "
                               "which a CKKS (approximate, unverified) release cannot run")
    if dask_address is not None:
        from zkgate.study.distributed import DaskSetupError, parse_target

        if workers != 1:
            raise click.UsageError("--workers and --dask exclude each other: with --dask the cluster's workers prove")
        try:
            parse_target(dask_address, dask_tls)
        except DaskSetupError as exc:
            raise click.UsageError(str(exc)) from None
    elif dask_tls is not None:
        raise click.UsageError("--dask-tls needs --dask ADDRESS")
    question = None
    if sql is not None:
        from zkgate.study.errors import SpecError
        from zkgate.study.patients import PATIENT_SCHEMA
        from zkgate.study.sql import compile_sql

        try:
            question = compile_sql(sql, PATIENT_SCHEMA)
        except SpecError as exc:
            raise click.BadParameter(str(exc), param_hint="--sql") from None
    log = (lambda m: click.echo(m, err=True)) if as_json else click.echo
    if universal:
        from zkgate.study.errors import SpecError
        from zkgate.study.patients import PATIENT_SCHEMA
        from zkgate.study.simulate import universal_key
        from zkgate.study.spec import legacy_question
        from zkgate.study.universal import encode

        try:
            encode(question if question is not None else legacy_question(STUDY_FILTER, STUDY_STATISTICS),
                   universal_key(chunk))
        except SpecError as exc:
            raise click.BadParameter(str(exc), param_hint="--universal") from None
    try:
        res = simulate(holders, records, seed, chunk, tamper=tamper, preset=preset, workers=workers, log=log,
                       dask=dask_address, dask_tls=dask_tls, question=question, export_data=export_data,
                       key_holders=key_holders, threshold=threshold, universal=universal)
    except ValueError as exc:  # e.g. a preset that cannot serve a key committee, with the reason
        if key_holders < 2:
            raise
        raise click.UsageError(str(exc)) from None
    out = click.echo if not as_json else (lambda m: click.echo(m, err=True))
    out("")
    out(f"question: {res.question}")
    out(f"{'result':<32} {'released':>22} {'truth':>22}")
    released = dict(_flatten(res.released)) if res.released is not None else {}
    for k, v in _flatten(res.truth):
        out(f"{k:<32} {str(released.get(k, '-')):>22} {str(v):>22}")
    out("")
    err = res.max_relative_error
    out(f"mode: {res.mode} ({res.preset})" + ("" if err is None else f"; max relative error released vs truth: {err:.3g}"))
    if res.status == "unverified":
        out("verified: NO (unverified by design; every proof and check that can run passed)")
    else:
        out("verified: " + ("yes" if res.verified else "NO"))
    if res.reason:
        out(f"reason: {res.reason}")
    out("timings (s): " + ", ".join(f"{k} {v:.3f}" for k, v in res.timings.items()))
    if as_json:
        click.echo(json.dumps(res.to_json(), sort_keys=True))
    sys.exit(0 if res.verified or (res.mode == "ckks" and res.status == "unverified") else 1)


def _flatten(results: dict):
    """``(name, number)`` rows of a results object: ``alias``, ``alias[3]`` (histogram bins),
    ``alias.coef[1]`` (OLS), ``alias{2}`` (a GROUP BY cell; group labels are integers)."""
    for key, value in results.items():
        yield from _rows(key, value)


def _rows(name: str, value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _rows(f"{name}.{k}" if k in ("coef", "se", "r2", "n") else f"{name}{{{k}}}", v)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _rows(f"{name}[{i}]", v)
    else:
        yield name, value


@click.group("schema")
def schema_group() -> None:
    """A schema's universal contribution circuit: one ceremony for every question over it."""


@schema_group.command("circuit")
@click.option("--schema", "schema_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help='The schema as JSON: {"columns": [{"name": "age", "min": 18, "max": 90}, ...]} (as register-dataset).')
@click.option("--capacity", required=True, type=click.IntRange(1, 1 << 16), help="Chunk capacity (records per proof).")
@click.option("--max-terms", default=16, show_default=True, type=click.IntRange(0, 1024),
              help="Filter breakpoints, spread over the columns (a column's condition is a union of intervals: "
                   "each interval costs two, one when it reaches the column's top).")
@click.option("--max-cells", default=8, show_default=True, type=click.IntRange(1, 256), help="GROUP BY cells.")
@click.option("--max-moments", default=20, show_default=True, type=click.IntRange(1, 64),
              help="Counts, sums and products per cell (the count included).")
@click.option("--max-bins", default=64, show_default=True, type=click.IntRange(1, 256),
              help="MEDIAN / PERCENTILE_CONT bins (power-of-two widths).")
@click.option("--max-surv-bins", default=24, show_default=True, type=click.IntRange(1, 256),
              help="KAPLAN_MEIER time bins.")
@click.option("--max-coordinates", default=0, show_default=True, type=click.IntRange(0, 4096),
              help="Committed coordinates per chunk (0: cells x the widest cell).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Write the circuit here (.r1cs).")
def schema_circuit_command(schema_file, capacity, max_terms, max_cells, max_moments, max_bins, max_surv_bins,
                           max_coordinates, out) -> None:
    """Write the universal contribution circuit of SCHEMA at --capacity for a phase-2 ceremony.

    Every question the SQL front end accepts within the maxima then runs with the one key
    (docs/protocol.md, "The universal contribution circuit"); one beyond them is refused, naming
    the limit.  Prints the key's parameters (cost model included) as JSON.
    """
    from zkgate import safejson
    from zkgate.study.dataset import Column, Schema
    from zkgate.study.errors import SchemaError, SpecError
    from zkgate.study.universal import UniversalParams
    from zkgate.study.universal_circuit import compile_universal

    obj = safejson.load_file(schema_file)
    cols = obj.get("columns") if isinstance(obj, dict) else obj
    try:
        if not isinstance(cols, list) or not cols or any(not isinstance(c, dict) or set(c) != {"name", "min", "max"}
                                                          for c in cols):
            raise SchemaError('expected {"columns": [{"name": ..., "min": ..., "max": ...}, ...]}')
        schema = Schema(tuple(Column(c["name"], c["min"], c["max"]) for c in cols))
        params = UniversalParams.of(schema, capacity, max_terms=max_terms, max_cells=max_cells,
                                    max_moments=max_moments, max_bins=max_bins, max_surv_bins=max_surv_bins,
                                    max_coordinates=max_coordinates)
    except (SchemaError, SpecError, TypeError) as exc:
        raise click.BadParameter(str(exc), param_hint="--schema / --max-*") from None
    circuit = compile_universal(params)
    circuit.write_r1cs(out)
    click.echo(json.dumps({"r1cs": out, "constraints": circuit.r1cs.n_constraints, "columns": list(schema.names),
                           "capacity": capacity, "universal": params.to_obj(),
                           "cost_per_record": params.cost_per_record(), "coordinates": params.n_coordinates}))


COMMANDS = [study, schema_group]

__all__ = ["COMMANDS", "schema_group", "study"]
