"""The regulator's one-line verdict: VERIFIED, UNVERIFIED (CKKS / DP releases) or FAILED."""

from __future__ import annotations

from zkgate.services.cli.gateway_cli import _verdict_line
from zkgate.study.verification import VerificationReport


def report(*checks, unverified=()):
    r = VerificationReport()
    for name, ok in checks:
        r.add(name, ok, "" if ok else "mismatch")
    for name, reason in unverified:
        r.skip(name, reason)
    return r


def test_verified():
    assert _verdict_line(report(("proofs", True), ("commitment equation", True))) == "VERIFIED"


def test_unverified_release_names_what_was_not_checked():
    line = _verdict_line(report(("proofs", True), unverified=[("commitment equation", "CKKS, approximate")]))
    assert line.startswith("UNVERIFIED") and "commitment equation: CKKS, approximate" in line and "FAILED" not in line


def test_failed_names_the_failed_check_first():
    line = _verdict_line(report(("proofs", False), unverified=[("commitment equation", "CKKS, approximate")]))
    assert line.startswith("FAILED: proofs: mismatch")
