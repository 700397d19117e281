"""The AVX-512 IFMA kernels (eight lanes, radix 2^52) against Python integers and against
the scalar kernels (ZKGATE_NO_IFMA=1 in a subprocess).  Skipped where the CPU lacks IFMA."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import numpy as np
import pytest
from native_helpers import MONT, Q_MOD, R_MOD, native_only

pytestmark = native_only



def _curve():
    from zkgate._native import _curve
    return _curve


def _limbs(xs):
    return np.array([[(x >> (64 * j)) & (2**64 - 1) for j in range(4)] for x in xs], dtype=np.uint64)


def _ints(arr):
    return [sum(int(v) << (64 * j) for j, v in enumerate(row)) for row in arr]


@pytest.mark.parametrize("field,p", [(0, R_MOD), (1, Q_MOD)])
def test_ifma_field_ops_match_integers(field, p):
    C = _curve()
    if not C.has_ifma():
        pytest.skip("CPU without AVX-512 IFMA (or ZKGATE_NO_IFMA set)")
    rng = random.Random(field + 11)
    edge = [0, 1, 2, p - 1, p - 2, (p - 1) // 2, 1 << 251, (1 << 252) - 1, 1 << 208, (1 << 208) - 1]
    xs = edge + [rng.randrange(p) for _ in range(3001)]
    ys = edge[::-1] + [rng.randrange(p) for _ in range(3001)]
    a, b = _limbs(xs), _limbs(ys)
    rinv = pow(MONT, -1, p)
    assert _ints(C.ifma_rows(a, b, field, 0)) == [x * y * rinv % p for x, y in zip(xs, ys)]
    assert _ints(C.ifma_rows(a, b, field, 1)) == [(x - y) % p for x, y in zip(xs, ys)]
    nz = [x for x in xs if x]
    assert _ints(C.ifma_rows(_limbs(nz), _limbs(nz), field, 2)) == [p - x for x in nz]


def _run_without_ifma(code: str) -> str:
    # the same zkgate this process imported (installed, or a source tree with built kernels)
    import zkgate

    package_root = os.path.dirname(os.path.dirname(os.path.abspath(zkgate.__file__)))
    env = dict(os.environ, ZKGATE_NO_IFMA="1", PYTHONPATH=package_root)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                          cwd=package_root).stdout.strip()


@pytest.mark.parametrize("group", [1, 2])
def test_msm_same_with_and_without_ifma(tmp_path, group):
    C = _curve()
    if not C.has_ifma():
        pytest.skip("CPU without AVX-512 IFMA (or ZKGATE_NO_IFMA set)")
    import zkgate.bn254 as bn
    from zkgate.bn254 import FrArray, G1Affine, G2Affine

    cls = G1Affine if group == 1 else G2Affine
    gen = bn.G1_GENERATOR if group == 1 else bn.G2_GENERATOR
    rng = random.Random(5)
    n = 2500 if group == 1 else 1100
    logs = [rng.randrange(1, R_MOD) for _ in range(n)]
    logs[1] = logs[0]
    logs[2] = R_MOD - logs[0]
    logs[9] = 0
    bases = cls(C.mul_scalar(cls.from_ints([gen] * n).limbs, FrArray.from_ints(logs).limbs, group))
    ks = [rng.randrange(R_MOD) for _ in range(n)]
    ks[3] = ks[4] = 77  # a doubling inside a batch
    np.save(tmp_path / "b.npy", bases.limbs)
    np.save(tmp_path / "s.npy", FrArray.from_ints(ks).limbs)
    ours = []
    for window in (0, 8, 12):
        ours.append(C.msm(bases.limbs, FrArray.from_ints(ks).limbs, group, mode=2, window=window, nthreads=2))
    code = (
        "import numpy as np;from zkgate._native import _curve as C;"
        f"b=np.load(r'{tmp_path / 'b.npy'}');s=np.load(r'{tmp_path / 's.npy'}');"
        "assert not C.has_ifma();"
        f"print(';'.join(C.msm(b,s,{group},mode=2,window=w,nthreads=2).tobytes().hex() for w in (0,8,12)))"
    )
    assert _run_without_ifma(code).split(";") == [r.tobytes().hex() for r in ours]
    mul = bn.g1_mul if group == 1 else bn.g2_mul
    expected = mul(gen, sum(k * e for k, e in zip(ks, logs)) % R_MOD)
    assert cls(ours[0].reshape(1, -1)).to_ints()[0] == expected


def test_ntt_same_with_and_without_ifma(tmp_path):
    C = _curve()
    if not C.has_ifma():
        pytest.skip("CPU without AVX-512 IFMA (or ZKGATE_NO_IFMA set)")
    from zkgate._native import _field, _ntt

    rng = np.random.default_rng(17)
    outs = {}
    for logn in (3, 6, 7, 10, 12, 13, 15, 17):
        v = rng.integers(0, 2**64, size=(1 << logn, 4), dtype=np.uint64)
        v[:, 3] &= np.uint64((1 << 61) - 1)
        v = _field.to_montgomery(v, True)
        np.save(tmp_path / f"v{logn}.npy", v)
        w = v.copy()
        _ntt.ntt_inplace(w, nthreads=2)
        x = w.copy()
        _ntt.ntt_inplace(x, inverse=True, nthreads=2)
        assert np.array_equal(x, v)
        outs[logn] = w.tobytes().hex()[:4096] + w[-64:].tobytes().hex()
    code = (
        "import numpy as np;from zkgate._native import _ntt, _curve as C;assert not C.has_ifma();"
        f"import sys\nfor k in (3, 6, 7, 10, 12, 13, 15, 17):\n"
        f"    w=np.load(r'{tmp_path}/v%d.npy' % k);_ntt.ntt_inplace(w,nthreads=2);"
        "print(w.tobytes().hex()[:4096] + w[-64:].tobytes().hex())"
    )
    assert _run_without_ifma(code).split() == [outs[k] for k in (3, 6, 7, 10, 12, 13, 15, 17)]
