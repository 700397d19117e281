"""Shared, session-scoped study world: 3 holders, small chunks, development keys."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pytest

from zkgate.he import KeyHolder
from zkgate.study import (
    Contributor,
    Dataset,
    DatasetCommitment,
    EqualsCondition,
    Filter,
    RangeCondition,
    Registration,
    Schema,
    SigningKey,
    Statistic,
    StudyAggregator,
    open_study,
)

SCHEMA = Schema.of(("age", 0, 15), ("sex", 0, 1), ("temp", -8, 7))
FILTER = Filter((RangeCondition("age", 3, 12),), (EqualsCondition("sex", 1),))
STATS = (Statistic("sum", "temp"), Statistic("sum_sq", "temp"), Statistic("histogram", "age", (0, 5, 10, 16)))
CAPACITY = 4
NAMES = ("alpha", "beta", "gamma")


@dataclass
class World:
    tables: list
    commitments: list
    keys: list
    regs: list
    he: KeyHolder
    public_context: object
    gateway: SigningKey
    keyholder_key: SigningKey
    spec: object
    ckeys: object
    contributions: list

    def contributor(self, i: int, **kw) -> Contributor:
        return Contributor(NAMES[i], self.commitments[i], self.keys[i], dev_mode=True, **kw)

    def aggregator(self, spec=None, **kw) -> StudyAggregator:
        kw.setdefault("dev_mode", True)
        kw.setdefault("retain_submissions", True)  # the tests build public records from agg.accepted
        return StudyAggregator(spec or self.spec, self.ckeys.public(), self.public_context, self.gateway, **kw)

    def open(self, **kw):
        args = dict(title="test study", registrations=self.regs, filter=FILTER, statistics=STATS, quorum=2,
                    deadline=int(time.time()) + 3600, public_context=self.public_context,
                    gateway_key=self.gateway.public, key_holder_key=self.keyholder_key.public, keys=self.ckeys,
                    dev_mode=True)
        args.update(kw)
        return open_study(**args)


def make_table(rng, n):
    return np.stack([rng.integers(0, 16, n), rng.integers(0, 2, n), rng.integers(-8, 8, n)], axis=1)


@pytest.fixture(scope="session")
def world() -> World:
    rng = np.random.default_rng(7)
    sizes = (6, 5, 3)  # 2, 2 and 1 chunks of 4: padding in every last chunk
    tables = [make_table(rng, n) for n in sizes]
    commitments = [DatasetCommitment(Dataset.from_array(SCHEMA, t), CAPACITY) for t in tables]
    keys = [SigningKey.generate() for _ in NAMES]
    regs = [Registration.create(n, c, k) for n, c, k in zip(NAMES, commitments, keys)]
    he = KeyHolder.create("bfv-4096")
    pub = he.public_context()
    gateway, khk = SigningKey.generate(), SigningKey.generate()
    w = World(tables, commitments, keys, regs, he, pub, gateway, khk, None, None, [])
    w.spec, w.ckeys = open_study(title="test study", registrations=regs, filter=FILTER, statistics=STATS, quorum=2,
                                 deadline=int(time.time()) + 3600, public_context=pub, gateway_key=gateway.public,
                                 key_holder_key=khk.public, keys="dev", dev_mode=True)
    w.contributions = [w.contributor(i).contribute(w.spec, pub, w.ckeys) for i in range(len(NAMES))]
    return w
