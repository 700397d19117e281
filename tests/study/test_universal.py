"""The universal contribution circuit (issue 21): one compiled circuit for every question of a schema.

Completeness: several different questions (filters of every atom kind, GROUP BY over one and two
columns, sums, products, MEDIAN, KAPLAN_MEIER) prove with the *same* compiled circuit, their committed
coordinates equal the per-shape twin and the commitment equals the per-shape one.
Soundness: every released coordinate shifted by ±1 fails, an unused coordinate slot set to 1 fails,
every element of the question's encoding changed (and the study id recomputed from it, as a requester
choosing masks would) fails or is refused, a malformed mask fails.
Refusals name the limit.  The cost model equals the measured constraints per record."""

from __future__ import annotations

import secrets

import numpy as np
import pytest

from zkgate.circuits import UnsatisfiedConstraintError
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.circuits.poseidon import poseidon_sponge
from zkgate.study.circuit import commit
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.dataset import Dataset, Schema
from zkgate.study.errors import SpecError
from zkgate.study.question import Aggregate, And, Between, Compare, InSet, Not, Or, Question
from zkgate.study.statistics import moments
from zkgate.study.statistics.numbers import to_json
from zkgate.study.universal import TAG_STUDY_UNIVERSAL, UniversalParams, encode, pad_values
from zkgate.study.universal_circuit import compile_universal, universal_inputs

# days is wider than the filter's range table (10 bits > TABLE_BITS): its comparisons hint high bits
SCHEMA = Schema.of(("age", 0, 15), ("dx", 1, 2), ("days", 0, 999), ("died", 0, 1), ("temp", -8, 7))
CAPACITY = 6
PARAMS = UniversalParams.of(SCHEMA, CAPACITY, max_terms=12, max_cells=4, max_moments=8, max_bins=4, max_surv_bins=4)
A = Aggregate
REST = 987654321

QUESTIONS = {
    "count": Question(None, (), (A("n", "COUNT", ()),)),
    "filtered-groups": Question(
        And((Between("age", 1, 14), Not(Compare("temp", "=", 0)))), ("dx",),
        (A("n", "COUNT", ()), A("a", "AVG", ("age",)), A("v", "VAR_SAMP", ("temp",)), A("r", "CORR", ("age", "days")),
         A("km", "KAPLAN_MEIER", ("days", "died"), (4,)), A("m", "MEDIAN", ("age",), (4,)))),
    "two-groups": Question(
        Or((InSet("age", (2, 3)), Compare("age", ">", 12))), ("dx", "died"),
        (A("s", "SUM", ("temp",)), A("c", "COVAR_SAMP", ("temp", "days")))),
    "not-in": Question(And((Not(InSet("dx", (2,))), Compare("days", "<=", 600), Compare("temp", "<>", -8),
                            Compare("died", "=", 0))), (),
                       (A("m", "PERCENTILE_CONT", ("temp",), (9, 10, 4)), A("km", "KAPLAN_MEIER", ("days", "died"), (3,)))),
}


def make_rows(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, 16, n), rng.integers(1, 3, n), rng.integers(0, 1000, n), rng.integers(0, 2, n),
                     rng.integers(-8, 8, n)], axis=1)


@pytest.fixture(scope="module")
def data() -> DatasetCommitment:
    return DatasetCommitment(Dataset.from_array(SCHEMA, make_rows(5, 9)), CAPACITY)  # 2 chunks; the last padded


@pytest.fixture(scope="module")
def circuit():
    return compile_universal(PARAMS)


def inputs(consts, com, k, values, rho=None, study_id=None):
    rho = secrets.randbelow(L) if rho is None else rho
    sid = poseidon_sponge([TAG_STUDY_UNIVERSAL, *consts, REST]) if study_id is None else study_id
    padded = pad_values(values, PARAMS)
    return universal_inputs(consts, REST, sid, com.chunk_elements[k], com.chunk_salts[k], com.chunk_roots[k], rho,
                            commit(padded, rho), padded)


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_one_circuit_proves_every_question(name, data, circuit):
    q = QUESTIONS[name]
    q.check(SCHEMA)
    consts = encode(q, PARAMS)
    total = None
    for k in range(data.n_chunks):
        s = moments.chunk_values(q, SCHEMA, data.chunk_rows(k))
        rho = secrets.randbelow(L)
        inp = inputs(consts, data, k, s, rho)
        assert (inp["cx"], inp["cy"]) == commit(s, rho)  # zeros beyond the question add nothing
        circuit.solve(inp)
        total = s if total is None else [a + b for a, b in zip(total, s)]
    rows = [dict(zip(SCHEMA.names, map(int, r))) for r in make_rows(5, 9).tolist()]
    assert to_json(moments.derive(q, SCHEMA, total)) == to_json(moments.truth(q, SCHEMA, rows))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["filtered-groups", "two-groups"])
def test_each_released_coordinate_shifted_by_one_fails(name, data, circuit):
    q = QUESTIONS[name]
    consts = encode(q, PARAMS)
    s = moments.chunk_values(q, SCHEMA, data.chunk_rows(0))
    for i in range(len(s)):
        for d in (1, -1):
            bad = list(s)
            bad[i] += d
            if bad[i] < 0:
                continue
            with pytest.raises(UnsatisfiedConstraintError):
                circuit.solve(inputs(consts, data, 0, bad))
    # a coordinate beyond the question's (an unselected statistic) cannot carry anything
    bad = pad_values(s, PARAMS)
    bad[len(s)] = 1
    with pytest.raises(UnsatisfiedConstraintError):
        circuit.solve(inputs(consts, data, 0, bad))


@pytest.mark.slow
def test_every_element_of_the_question_is_bound(data, circuit):
    """Each constant changed by +1 and +2 with the study id of the true question: the hash fails.  A
    requester recomputing the id from changed constants makes another study (verifiers recompile the
    encoding from the question and refuse it); within the circuit, every mask set to 2 is refused even
    then."""
    q = QUESTIONS["filtered-groups"]
    consts = encode(q, PARAMS)
    s = moments.chunk_values(q, SCHEMA, data.chunk_rows(0))
    true_id = poseidon_sponge([TAG_STUDY_UNIVERSAL, *consts, REST])
    circuit.solve(inputs(consts, data, 0, s))
    for i in range(len(consts)):
        for delta in (1, 2):
            bad = list(consts)
            bad[i] += delta
            with pytest.raises(UnsatisfiedConstraintError):
                circuit.solve(inputs(bad, data, 0, s, study_id=true_id))
    n = len(SCHEMA.columns)
    complements, pos = [], 0
    for t in PARAMS.terms:
        pos += t
        complements.append(pos)
        pos += 1
    groups = list(range(pos, pos + 2 * len(PARAMS.group_columns)))
    pos += 2 * len(PARAMS.group_columns) + 2 * (PARAMS.max_moments - 1)
    selections = list(range(pos, pos + 2 * n + len(PARAMS.binary_columns)))
    for i in complements + groups + selections:
        bad = list(consts)
        bad[i] = 2
        with pytest.raises(UnsatisfiedConstraintError):
            circuit.solve(inputs(bad, data, 0, s))


def test_an_unselected_statistic_cannot_be_enabled(data, circuit):
    """A moment slot switched on (sum of age in slot 7) with the question's tags: its records have
    nowhere to go, so the identity fails."""
    q = QUESTIONS["count"]
    consts = encode(q, PARAMS)
    s = moments.chunk_values(q, SCHEMA, data.chunk_rows(0))
    n_filter = sum(PARAMS.terms) + len(SCHEMA.columns)
    slot = n_filter + 2 * len(PARAMS.group_columns) + 2 * (PARAMS.max_moments - 2)
    bad = list(consts)
    bad[slot] = 1  # (a, b) = (age, none): sum(age)
    with pytest.raises(UnsatisfiedConstraintError):
        circuit.solve(inputs(bad, data, 0, s))
    # a mask out of range (a column index beyond the schema, or a mask of 2) is refused
    for pos, value in ((slot, len(SCHEMA.columns) + 1), (n_filter, 2)):
        bad = list(consts)
        bad[pos] = value
        with pytest.raises(UnsatisfiedConstraintError):
            circuit.solve(inputs(bad, data, 0, s))


@pytest.mark.parametrize("question, limit", [
    (Question(Or((Compare("age", "=", 1), Compare("dx", "=", 2))), (), (A("n", "COUNT", ()),)), "OR/NOT"),
    (Question(InSet("age", (1, 3, 5, 7)), (), (A("n", "COUNT", ()),)), "breakpoints"),
    (Question(None, ("dx", "age"), (A("n", "COUNT", ()),)), "--max-cells"),
    (Question(None, (), (A("h", "HISTOGRAM", ("age",), (0, 4, 9, 16)),)), "per-shape"),
    (Question(None, (), (A("m", "MEDIAN", ("age",), (16,)),)), "the key's bins"),
    (Question(None, (), (A("k", "KAPLAN_MEIER", ("days", "died"), (10,)),)), "--max-surv-bins"),
    (Question(None, (), (A("f", "OLS", ("days", "age", "temp", "died")),)), "--max-moments"),
])
def test_questions_beyond_the_key_are_refused_naming_the_limit(question, limit):
    with pytest.raises(SpecError, match=limit.replace("-", r"\-").replace("/", "/")):
        encode(question, PARAMS)


@pytest.mark.slow
def test_cost_model_matches_measured_constraints():
    caps = (33, 56)  # same coordinate and multiplicity widths and challenge permutations: the records' cost alone
    ps = [UniversalParams.of(SCHEMA, n, max_terms=12, max_cells=4, max_moments=8, max_bins=4, max_surv_bins=4)
          for n in caps]
    assert ps[0].fixed_shape() == ps[1].fixed_shape()
    # filter: 7 lookups, each a hinted bit (days: and one high bit); survival: a 2-bit bin, two lookups of 10 bits
    assert ps[0].range_lookups() == 7 + 2 and ps[0].hinted_bits() == 7 + 2 * 1 + 2 + 2 * 1
    counts = [compile_universal(p).r1cs.n_constraints for p in ps]
    # the records' cost, plus the two sponges' growth (the packed records; the packed hinted bits)
    def sponge_cost(k):
        from zkgate.circuits import compile_circuit
        from zkgate.study.gadgets import sponge

        def f(api, k):
            api.output("o", sponge(api, list(api.private_input("x", k))))
        return compile_circuit(f, cache=False, k=k).r1cs.n_constraints

    grown = sum(sponge_cost(b) - sponge_cost(a) for a, b in ((ps[0].sponge_inputs()[0] + 2, ps[1].sponge_inputs()[0] + 2),
                                                             (ps[0].challenge_inputs(), ps[1].challenge_inputs())))
    marginal = (counts[1] - counts[0] - grown) / (caps[1] - caps[0])
    assert abs(marginal - sum(ps[0].cost_per_record().values())) < 0.5


def test_a_question_beyond_the_coordinate_slots_is_refused():
    small = UniversalParams.of(SCHEMA, CAPACITY, max_terms=12, max_coordinates=3)
    assert small.n_coordinates == 3
    with pytest.raises(SpecError, match="--max-coordinates"):
        encode(Question(None, ("dx",), (A("n", "COUNT", ()), A("s", "SUM", ("age",)))), small)  # 2 cells x 2
    assert len(encode(Question(None, (), (A("n", "COUNT", ()), A("s", "SUM", ("age",)))), small)) == small.n_constants()


@pytest.mark.parametrize("column, calls", [("days", (3, 4)), ("temp", (5, 6))])
def test_a_forged_comparison_fails_the_range_lookup(monkeypatch, data, column, calls):
    """A prover that flips both comparisons of an unfiltered column (breakpoints at 2^bits, complemented:
    the column passes either way, so every other constraint still holds) fails the filter's range lookup.
    Per record the hinted comparisons run age ×3, days ×2, temp ×2 (dx and died compare by bits); days is
    wider than the table (its high bits are hinted too)."""
    import zkgate.study.universal_circuit as uc
    from zkgate.circuits import compile_circuit
    from zkgate.study.gadgets import source_digest

    honest = uc._geq_bit
    count = [0]

    def flipped(x, e):
        count[0] += 1
        return 1 - honest(x, e) if (count[0] - 1) % 7 in calls else honest(x, e)

    q = QUESTIONS["count"]
    consts = encode(q, PARAMS)
    s = moments.chunk_values(q, SCHEMA, data.chunk_rows(0))
    monkeypatch.setattr(uc, "_geq_bit", flipped)
    c = compile_circuit(uc.universal_circuit, cache=False, src=source_digest() + "/flipped", **PARAMS.circuit_params())
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve(inputs(consts, data, 0, s))
    count[0] = 0
    monkeypatch.setattr(uc, "_geq_bit", honest)
    c = compile_circuit(uc.universal_circuit, cache=False, src=source_digest() + "/honest", **PARAMS.circuit_params())
    c.solve(inputs(consts, data, 0, s))  # the same circuit with honest hints proves


def test_forged_high_bits_fail_the_range_lookup(monkeypatch, data):
    """The high bits of a wide column's comparison (days: 10 bits) moved by one: the low part leaves the table."""
    import zkgate.study.universal_circuit as uc
    from zkgate.circuits import compile_circuit
    from zkgate.study.gadgets import source_digest

    honest = uc._high_bits
    count = [0]

    def moved(d, *, n):
        count[0] += 1
        bits = honest(d, n=n)
        if count[0] == 1:
            v = sum(b << i for i, b in enumerate(bits)) ^ 1
            bits = [(v >> i) & 1 for i in range(n)]
        return bits

    q = QUESTIONS["filtered-groups"]
    consts = encode(q, PARAMS)
    s = moments.chunk_values(q, SCHEMA, data.chunk_rows(0))
    monkeypatch.setattr(uc, "_high_bits", moved)
    c = compile_circuit(uc.universal_circuit, cache=False, src=source_digest() + "/moved", **PARAMS.circuit_params())
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve(inputs(consts, data, 0, s))


def test_a_forged_survival_bin_fails_the_range_lookup(monkeypatch, data):
    """A record's survival bin hinted one too high under a question without KAPLAN_MEIER (the survival key
    then weighs nothing on the identity's left, so only the bin's range lookups can refuse it)."""
    import zkgate.study.universal_circuit as uc
    from zkgate.circuits import compile_circuit
    from zkgate.study.gadgets import source_digest

    honest = uc._floor_div_bits
    count = [0]

    def moved(t, w, *, n):
        count[0] += 1
        return honest(t + w if count[0] == 1 else t, w, n=n)

    q = QUESTIONS["count"]
    consts = encode(q, PARAMS)
    s = moments.chunk_values(q, SCHEMA, data.chunk_rows(0))
    monkeypatch.setattr(uc, "_floor_div_bits", moved)
    c = compile_circuit(uc.universal_circuit, cache=False, src=source_digest() + "/bin", **PARAMS.circuit_params())
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve(inputs(consts, data, 0, s))
