"""Write one valid sample of every protocol message to tests/fuzz/data/ (run from the repository
root: ``.venv/bin/python tests/fuzz/make_message_samples.py``).  The fuzz tests mutate these
bytes; they are stored because making them needs proofs (seconds on the native backend,
minutes on the pure-Python one).  Regenerate when an encoding's version changes."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "study"))


def main() -> None:
    import conftest as study  # tests/study/conftest.py: the shared study world

    from zkgate.study import Catalog, PublicRecord, StudyKeyHolder

    world = study.world.__wrapped__()
    agg = world.aggregator()
    receipts = [agg.submit(c.submission) for c in world.contributions]
    aggregate = agg.close()
    subs = [s.public() for s in agg.accepted]
    release = StudyKeyHolder(world.spec, world.he, world.keyholder_key).release(aggregate, subs)
    record = PublicRecord(world.spec, world.ckeys.public(), tuple(subs), aggregate.public(), release)
    samples = {
        "schema": world.regs[0].schema.to_bytes(),
        "registration": world.regs[0].to_bytes(),
        "catalog": Catalog(world.regs).to_bytes(),
        "spec": world.spec.to_bytes(),
        "circuit_keys": world.ckeys.public().to_bytes(),
        "submission": world.contributions[0].submission.to_bytes(),
        "receipt": receipts[0].to_bytes(),
        "aggregate": aggregate.public().to_bytes(),
        "release": release.to_bytes(),
        "public_record": record.to_bytes(),
    }
    out = HERE / "data"
    out.mkdir(exist_ok=True)
    for name, data in samples.items():
        (out / f"{name}.msg").write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
