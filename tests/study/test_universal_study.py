"""A study names its circuit (issue 21): the spec's optional ``["universal", key parameters]`` item, the
study id over the universal encoding, and a whole simulated study proved with the universal circuit."""

from __future__ import annotations

import pytest

from zkgate.circuits.poseidon import poseidon_sponge
from zkgate.study.dataset import Schema
from zkgate.study.errors import SpecError
from zkgate.study.question import Aggregate as A
from zkgate.study.question import And, Between, Compare, Not, Or, Question
from zkgate.study.universal import TAG_STUDY_UNIVERSAL, UniversalParams, encode

SCHEMA = Schema.of(("age", 0, 15), ("dx", 1, 2), ("days", 0, 99), ("died", 0, 1), ("temp", -8, 7))
CAPACITY = 6
PARAMS = UniversalParams.of(SCHEMA, CAPACITY, max_terms=12, max_cells=4, max_moments=8, max_bins=4, max_surv_bins=4)
QUESTION = Question(And((Between("age", 1, 14), Not(Compare("temp", "=", 0)))), ("dx",),
                    (A("n", "COUNT", ()), A("a", "AVG", ("age",)), A("km", "KAPLAN_MEIER", ("days", "died"), (4,))))


def _spec(question, universal):
    from zkgate.study.spec import Participant, StudySpec

    z = b"\x00" * 32
    return StudySpec(title="u", schema=SCHEMA, capacity=CAPACITY, question=question,
                     participants=(Participant("a", 5, 2, b"\x01" * 32),), quorum=1, deadline=10**10,
                     he_preset="bfv-4096", he_key_id=z, he_context_digest=z, vk_hash=z, transcript_hash=z,
                     gateway_key=z, key_holder_key=z, nonce=b"\x00" * 16, universal=universal)


def test_spec_names_the_universal_circuit_and_binds_its_encoding():
    from zkgate.study.errors import MessageFormatError
    from zkgate.study.spec import StudySpec

    q = QUESTION
    per_shape, uni = _spec(q, None), _spec(q, PARAMS)
    assert len(per_shape.to_obj()) == 19 and uni.to_obj()[-1] == ["universal", PARAMS.to_obj()]  # per-shape unchanged
    back = StudySpec.from_bytes(uni.to_bytes())
    assert back == uni and back.universal == PARAMS and back.study_id == uni.study_id != per_shape.study_id
    assert uni.study_id == poseidon_sponge([TAG_STUDY_UNIVERSAL, *encode(q, PARAMS), uni.rest_element()])
    assert StudySpec.from_bytes(per_shape.to_bytes()).universal is None
    with pytest.raises(SpecError, match="OR/NOT"):
        _spec(Question(Or((Compare("age", "=", 1), Compare("dx", "=", 2))), (), (A("n", "COUNT", ()),)), PARAMS)
    other = UniversalParams.of(SCHEMA, CAPACITY + 1, max_terms=12)
    with pytest.raises(SpecError, match="another schema or chunk capacity"):
        _spec(q, other)
    obj = uni.to_obj()
    obj[-1] = ["per-shape", PARAMS.to_obj()]
    from zkgate.study import encoding as enc

    with pytest.raises(MessageFormatError, match="per-shape"):
        StudySpec.from_bytes(enc.pack(obj))


@pytest.mark.slow
def test_simulate_universal_end_to_end():
    """A whole study (2 hospitals, commit, prove, aggregate, release, verify) through the universal circuit."""
    from zkgate.study.patients import PATIENT_SCHEMA
    from zkgate.study.simulate import simulate
    from zkgate.study.sql import compile_sql

    key = UniversalParams.of(PATIENT_SCHEMA, 8, max_terms=10, max_cells=4, max_moments=3, max_bins=1, max_surv_bins=1)
    sql = ("SELECT diagnosis, COUNT(*) AS n, AVG(cholesterol) AS chol FROM patients "
           "WHERE age BETWEEN 40 AND 75 AND sex <> 0 GROUP BY diagnosis")
    res = simulate(2, 10, 3, 8, question=compile_sql(sql, PATIENT_SCHEMA), universal=key)
    assert res.verified, res.reason
    assert res.released == res.truth


def test_schema_circuit_command_writes_the_universal_circuit(tmp_path):
    import json

    from click.testing import CliRunner

    from zkgate.circuits.r1csfile import read_r1cs
    from zkgate.study.cli import schema_group

    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"columns": [{"name": "age", "min": 0, "max": 15}, {"name": "dx", "min": 1, "max": 2}]}))
    out = tmp_path / "u.r1cs"
    args = ["circuit", "--schema", str(schema), "--capacity", "3", "--max-terms", "4", "--max-cells", "2",
            "--max-moments", "2", "--max-bins", "2", "--max-surv-bins", "1", "--out", str(out)]
    res = CliRunner().invoke(schema_group, args)
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["universal"] == [[2, 2], 2, 2, 2, 1, 0] and read_r1cs(out).n_constraints == info["constraints"]
    schema.write_text(json.dumps({"columns": [{"name": "age", "min": 0}]}))
    res = CliRunner().invoke(schema_group, args)
    assert res.exit_code != 0 and "columns" in res.output
