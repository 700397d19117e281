"""Kernel facades: one module per kernel domain, each choosing the compiled kernel
(``zkgate._native``) or its pure-Python twin once, at import, and exporting plain functions.

Only these facades and :mod:`zkgate.bn254` (curve, field, MSM, NTT, pairing) import
``zkgate._native``; callers never test the backend themselves.

* :mod:`zkgate.kernels.circuits` -- witness solver, R1CS check, ``.r1cs`` constraint codec
  (used by :mod:`zkgate.circuits`);
* :mod:`zkgate.kernels.ceremony` -- GLV ceremony kernels, BLAKE2b loop (used by the ceremony);
* :mod:`zkgate.kernels.qap` -- the QAP / H-evaluation kernels of Groth16.
* :mod:`zkgate.kernels.rns` -- RNS polynomial arithmetic and SEAL's negacyclic NTT for the HE key
  committee (numpy on both backends: ``rns.ENGINE``).

``BACKEND`` (``"native"`` or ``"python"``) and ``IMPORT_ERROR`` (why the compiled kernels are
not in use, else None) report the choice, e.g. for ``zkgate --version``.
"""

from __future__ import annotations

from zkgate._native import BACKEND, IMPORT_ERROR

__all__ = ["BACKEND", "IMPORT_ERROR"]
