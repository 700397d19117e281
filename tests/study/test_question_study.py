"""A compiled question through a real study (3 holders, real proofs, BFV): GROUP BY, a variance, a
correlation and an OLS regression; the released results agree with numpy and statsmodels on the
pooled rows (exact sums equal; derived values within 1e-9 relative or 1e-12 absolute), the public
record verifies, and a participant that encrypts other sums than it proved is caught."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest

from zkgate.he import KeyHolder
from zkgate.study import (
    Contributor,
    Dataset,
    DatasetCommitment,
    PublicRecord,
    Registration,
    ReleaseCheckError,
    SigningKey,
    StudyAggregator,
    StudyKeyHolder,
    open_study,
    verify_record,
)
from zkgate.study.dataset import Schema
from zkgate.study.question import Aggregate, And, Between, Compare, Question
from zkgate.study.release import derived_values, release_statistics
from zkgate.study.statistics import moments

pytestmark = pytest.mark.slow  # proves 6 chunks of a GROUP BY circuit with a regression

SCHEMA = Schema.of(("age", 0, 15), ("sex", 0, 1), ("temp", -8, 7), ("dx", 1, 3))
QUESTION = Question(
    And((Between("age", 1, 14), Compare("dx", "<>", 3))), ("sex",),
    (Aggregate("n", "COUNT", ()), Aggregate("mean", "AVG", ("temp",)), Aggregate("var", "VAR_SAMP", ("temp",)),
     Aggregate("r", "CORR", ("age", "temp")), Aggregate("fit", "OLS", ("temp", "age", "dx"))),
    "SELECT sex, COUNT(*) AS n, AVG(temp) AS mean, VAR_SAMP(temp) AS var, CORR(age, temp) AS r, "
    "OLS(temp, age, dx) AS fit FROM data WHERE age BETWEEN 1 AND 14 AND dx <> 3 GROUP BY sex")
NAMES = ("alpha", "beta", "gamma")
CAPACITY = 8


def rows(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 16, n)
    sex = rng.integers(0, 2, n)
    dx = rng.integers(1, 4, n)
    temp = np.clip(np.round(-6 + 0.6 * age + rng.normal(0, 2, n)), -8, 7).astype(np.int64)
    return np.stack([age, sex, temp, dx], axis=1)


@pytest.fixture(scope="module")
def study():
    tables = [rows(s, n) for s, n in ((1, 14), (2, 12), (3, 9))]  # 2, 2 and 2 chunks of 8
    coms = [DatasetCommitment(Dataset.from_array(SCHEMA, t), CAPACITY) for t in tables]
    keys = [SigningKey.generate() for _ in NAMES]
    regs = [Registration.create(n, c, k) for n, c, k in zip(NAMES, coms, keys)]
    he = KeyHolder.create("bfv-4096")
    gateway, khk = SigningKey.generate(), SigningKey.generate()
    spec, ckeys = open_study(title="question study", registrations=regs, question=QUESTION, quorum=3,
                             deadline=int(time.time()) + 3600, public_context=he.public_context(),
                             gateway_key=gateway.public, key_holder_key=khk.public, keys="dev", dev_mode=True)
    contributors = [Contributor(n, c, k, dev_mode=True) for n, c, k in zip(NAMES, coms, keys)]
    contributions = [c.contribute(spec, he.public_context(), ckeys) for c in contributors]
    return dict(tables=tables, spec=spec, ckeys=ckeys, he=he, gateway=gateway, khk=khk,
                contributors=contributors, contributions=contributions)


def close(study, submissions):
    agg = StudyAggregator(study["spec"], study["ckeys"].public(), study["he"].public_context(), study["gateway"],
                          dev_mode=True, retain_submissions=True)
    for s in submissions:
        agg.submit(s)
    return agg.close(), [s.public() for s in agg.accepted]


def test_released_results_agree_with_numpy_and_statsmodels(study):
    import statsmodels.api as sm

    spec = study["spec"]
    aggregate, subs = close(study, [c.submission for c in study["contributions"]])
    release = StudyKeyHolder(spec, study["he"], study["khk"]).release(aggregate, subs)
    record = PublicRecord(spec, study["ckeys"].public(), tuple(subs), aggregate.public(), release)
    published = release_statistics(spec, release)
    report = verify_record(record, dev_mode=True, published=published)
    assert report.ok, report.failures
    assert "derived values recomputed from the released sums" in {n for n, ok, _ in report.checks if ok}
    # a published result that differs from what the released sums give is refused, by alias
    forged = dict(published, r={**published["r"], "1": published["r"]["1"] + 1e-9})
    report = verify_record(record, dev_mode=True, published=forged)
    assert not report.ok and any("derived values" in f and ": r" in f for f in report.failures)
    results = derived_values(spec, release.values)
    pooled = np.concatenate(study["tables"])
    truth = moments.truth(QUESTION, SCHEMA, [dict(zip(SCHEMA.names, map(int, r))) for r in pooled.tolist()])
    assert results == truth  # exact: every Fraction and every 15-digit decimal string
    keep = (pooled[:, 0] >= 1) & (pooled[:, 0] <= 14) & (pooled[:, 3] != 3)

    def close_to(value, want):
        got = float(value.value) if hasattr(value, "value") else float(value.text)
        assert abs(got - want) <= max(1e-12, 1e-9 * abs(want)), (got, want)

    for sex in (0, 1):
        sel = pooled[keep & (pooled[:, 1] == sex)]
        label = str(sex)
        age, temp, dx = (sel[:, j].astype(float) for j in (0, 2, 3))
        assert results["n"][label].value == len(sel)
        assert results["mean"][label].value == Fraction(int(sel[:, 2].sum()), len(sel))  # exact sums equal
        close_to(results["var"][label], float(np.var(temp, ddof=1)))
        close_to(results["r"][label], float(np.corrcoef(age, temp)[0, 1]))
        fit = sm.OLS(temp, sm.add_constant(np.column_stack([age, dx]))).fit()
        ols = results["fit"][label]
        for got, want in zip(ols["coef"], fit.params):
            close_to(got, float(want))
        for got, want in zip(ols["se"], fit.bse):
            close_to(got, float(want))
        close_to(ols["r2"], float(fit.rsquared))


def test_a_participant_that_encrypts_other_sums_is_caught(study):
    spec = study["spec"]
    honest = study["contributions"][0]
    fake = list(honest.values)
    fake[spec.value_names().index("[1]prod(age,temp)")] += 1  # one cross product, one cell
    cheat = study["contributors"][0].contribute(spec, study["he"].public_context(), study["ckeys"],
                                                encrypt_values=fake)
    aggregate, subs = close(study, [cheat.submission] + [c.submission for c in study["contributions"][1:]])
    with pytest.raises(ReleaseCheckError, match="does not open"):
        StudyKeyHolder(spec, study["he"], study["khk"]).release(aggregate, subs)
