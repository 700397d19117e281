#!/usr/bin/env python3
"""Hybrid (Ed25519 + ML-DSA-65) against Ed25519-only signatures (issue 22): sizes and times.

Prints key and signature sizes, the sizes of a receipt and a registration signed each way, and
the median time to sign and to verify (zkgate.signing.SigningKey / verify_signature, the code
path of every zkgate message) a receipt's signed bytes and a 64 KiB message, Ed25519-only and
hybrid, measured side by side (interleaved batches) in one run.

Usage: python benchmarks/bench_signatures.py [--batches 15] [--per-batch 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from zkgate.signing import SigningKey, verify_signature
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.dataset import Dataset
from zkgate.study.messages import Receipt
from zkgate.study.simulate import PATIENT_SCHEMA, patient_table

LABEL = "receipt"


def timed(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=15)
    parser.add_argument("--per-batch", type=int, default=200)
    args = parser.parse_args()

    keys = {"Ed25519": SigningKey.generate(hybrid=False), "Ed25519+ML-DSA-65": SigningKey.generate()}
    table = patient_table(np.random.default_rng(1), 4)
    commitment = DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, table), 4)
    receipt = Receipt(12345, "hospital-a", os.urandom(16), os.urandom(32), 7, 1767225600)
    print("sizes (bytes):")
    print(f"{'':24} {'private key':>12} {'public key':>11} {'signature':>10} {'receipt':>8} {'registration':>13}")
    for name, key in keys.items():
        signed = receipt.sign(key)
        reg = Registration.create("hospital-a", commitment, key)
        print(f"{name:24} {len(key.raw):12} {len(key.public):11} {len(signed.signature):10} "
              f"{len(signed.to_bytes()):8} {len(reg.to_bytes()):13}")

    messages = {"receipt": receipt.signed_bytes(2), "64 KiB": os.urandom(64 << 10)}
    results: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(args.batches):  # interleaved: both algorithms see the same machine load
        for mname, message in messages.items():
            for kname, key in keys.items():
                signature = key.sign(message, LABEL)
                public = key.public
                results.setdefault((mname, kname, "sign"), []).append(
                    timed(lambda key=key, message=message: key.sign(message, LABEL), args.per_batch))
                results.setdefault((mname, kname, "verify"), []).append(
                    timed(lambda public=public, message=message, signature=signature:
                          verify_signature(public, message, signature, "bench", label=LABEL), args.per_batch))
    print(f"\nmedian of {args.batches} interleaved batches of {args.per_batch} (microseconds per operation):")
    print(f"{'message':10} {'operation':10} {'Ed25519':>10} {'hybrid':>10} {'ratio':>7}")
    for mname in messages:
        for op in ("sign", "verify"):
            ed = statistics.median(results[(mname, "Ed25519", op)]) * 1e6
            hy = statistics.median(results[(mname, "Ed25519+ML-DSA-65", op)]) * 1e6
            print(f"{mname:10} {op:10} {ed:10.1f} {hy:10.1f} {hy / ed:7.2f}")


if __name__ == "__main__":
    main()
