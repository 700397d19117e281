#!/usr/bin/env python3
"""Small-cell suppression (issue 19): the cost of a suppressed release beside the exact one.

For a vector of N committed coordinates (cells of W coordinates, a fraction of the cells
withheld), times side by side in one run (interleaved batches, medians):

* baseline: the exact release's check, ``Σ S_j·G_j + (P mod l)·H == C``
  (zkgate.study.release.commitment_opens, one scalar multiplication per coordinate);
* prove: the key holder's suppression proof (zkgate.study.suppression.prove);
* verify: a verifier's check of it (zkgate.study.suppression.verify, one multi-scalar
  multiplication over every coordinate with full-size scalars);

and prints the ratios and the proof's size.

Usage: python benchmarks/bench_suppression.py [--coordinates 64,512,2048] [--width 8] [--batches 3]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time

from zkgate.circuits import pedersen as ped
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.study import encoding as enc
from zkgate.study import suppression as sup


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coordinates", default="64,512,2048")
    parser.add_argument("--width", type=int, default=8, help="coordinates per cell (count first)")
    parser.add_argument("--batches", type=int, default=3)
    args = parser.parse_args()
    print(f"{'coordinates':>11} {'withheld':>8} {'exact check':>12} {'prove':>9} {'verify':>9} "
          f"{'verify/exact':>12} {'proof bytes':>11}")
    for n in (int(x) for x in args.coordinates.split(",")):
        cells = n // args.width
        values = []
        for c in range(cells):  # every fourth cell small (count 2), the others large
            count = 2 if c % 4 == 0 else 50 + c
            values += [count] + [secrets.randbelow(10**6) for _ in range(args.width - 1)]
        rho = secrets.randbelow(L)
        ped.generators(len(values))  # warm the generator cache outside the timings
        commitment = ped.commit(values, rho)
        withheld = sup.cell_coordinates(sup.cells_below(values, cells, args.width, 5), args.width)
        published, hidden = sup.split(values, withheld)
        st = sup.SuppressionStatement(123, commitment, len(values), withheld, published)
        proof = sup.prove(st, hidden, rho)
        times: dict[str, list[float]] = {"exact": [], "prove": [], "verify": []}
        for _ in range(args.batches):
            times["exact"].append(timed(lambda: ped.verify_opening(commitment, values, rho)))
            times["prove"].append(timed(lambda: sup.prove(st, hidden, rho)))
            times["verify"].append(timed(lambda: sup.verify(st, proof)))
        med = {k: statistics.median(v) for k, v in times.items()}
        size = len(enc.pack(proof.to_obj()))
        print(f"{n:11} {len(withheld):8} {med['exact'] * 1e3:10.1f}ms {med['prove'] * 1e3:7.1f}ms "
              f"{med['verify'] * 1e3:7.1f}ms {med['verify'] / med['exact']:12.2f} {size:11}")


if __name__ == "__main__":
    main()
