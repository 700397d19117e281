"""Number-theoretic transforms over Fr on power-of-two domains (snarkjs conventions).

* ``ntt(a)``:  ``A_k = sum_j a_j w^(jk)`` with ``w = fr_root_of_unity(log2 n)`` (``Fr.fft``);
* ``intt(A)``: the inverse, including the ``1/n`` factor (``Fr.ifft``);
* ``coset_ntt(a, shift)`` evaluates on ``shift * H`` (inputs scaled by ``shift^j``), and
  ``coset_intt`` undoes it.  The default shift is snarkjs's: the primitive ``2n``-th root of
  unity, so the coset is the "odd half" of the doubled domain Groth16 evaluates H on.

Inputs: an :class:`~zkgate.bn254.arrays.FrArray` or a sequence of ints (reduced mod r).
A Montgomery-form ``FrArray`` is transformed **in place** by the native kernel (multi-
threaded, GIL released) and returned; a plain one is converted to a new Montgomery array
first; a list of ints gives a list of ints.  Sizes: 1 to 2^28 (2^27 for the default coset).
"""

from __future__ import annotations

from zkgate.bn254.arrays import FrArray, ints_to_rows
from zkgate.bn254.compiled import native_curve, native_ntt
from zkgate.bn254.constants import FR_TWO_ADICITY, R_MOD
from zkgate.bn254.fields import fr_root_of_unity
from zkgate.errors import InvalidInputError

_MONT = 1 << 256


def _log2(n: int) -> int:
    if n <= 0 or n & (n - 1):
        raise InvalidInputError(f"NTT size must be a power of two, got {n}")
    log_n = n.bit_length() - 1
    if log_n > FR_TWO_ADICITY:
        raise InvalidInputError(f"NTT size 2^{log_n} exceeds Fr's two-adicity 2^{FR_TWO_ADICITY}")
    return log_n


def _reference(values: list[int], inverse: bool, shift: int | None) -> list[int]:
    """Pure-Python twin: iterative radix-2 transform on ints."""
    n = len(values)
    log_n = _log2(n)
    a = [v % R_MOD for v in values]
    if shift is not None and not inverse:
        g = 1
        for j in range(n):
            a[j] = a[j] * g % R_MOD
            g = g * shift % R_MOD
    rev = [int(format(i, f"0{log_n}b")[::-1], 2) if log_n else 0 for i in range(n)]
    a = [a[rev[i]] for i in range(n)]
    w_n = fr_root_of_unity(log_n)
    if inverse:
        w_n = pow(w_n, -1, R_MOD)
    length = 2
    while length <= n:
        w_len = pow(w_n, n // length, R_MOD)
        half = length // 2
        tw = [1] * half
        for k in range(1, half):
            tw[k] = tw[k - 1] * w_len % R_MOD
        for start in range(0, n, length):
            for k in range(half):
                x = a[start + k]
                y = a[start + k + half] * tw[k] % R_MOD
                a[start + k] = (x + y) % R_MOD
                a[start + k + half] = (x - y) % R_MOD
        length *= 2
    if inverse:
        n_inv = pow(n, -1, R_MOD)
        g_inv = pow(shift, -1, R_MOD) if shift is not None else 1
        s = n_inv
        for j in range(n):
            a[j] = a[j] * s % R_MOD
            s = s * g_inv % R_MOD
    return a


def _transform(values, inverse: bool, shift: int | None, threads: int | None):
    n = len(values)
    _log2(n)
    if shift is not None:
        shift %= R_MOD
        if shift == 0:
            raise InvalidInputError("coset shift must be nonzero")
    if native_ntt is None:
        if isinstance(values, FrArray):
            out = _reference(values.to_ints(), inverse, shift)
            return FrArray.from_ints(out).to_montgomery()
        return _reference(list(values), inverse, shift)
    arr = values if isinstance(values, FrArray) else FrArray.from_ints(values)
    arr = arr.to_montgomery()
    if not arr.limbs.flags.writeable:
        arr = FrArray(arr.limbs.copy(), True, check=False)
    shift_row = None
    if shift is not None:
        shift_row = ints_to_rows([shift * _MONT % R_MOD]).reshape(4)
    native_ntt.ntt_inplace(arr.limbs, inverse, shift_row, threads or native_curve.default_threads())
    if isinstance(values, FrArray):
        return arr
    return arr.to_ints()


def ntt(values, *, threads: int | None = None):
    """Forward transform (snarkjs ``Fr.fft``)."""
    return _transform(values, False, None, threads)


def intt(values, *, threads: int | None = None):
    """Inverse transform with the 1/n factor (snarkjs ``Fr.ifft``)."""
    return _transform(values, True, None, threads)


def _default_shift(n: int) -> int:
    return fr_root_of_unity(_log2(n) + 1)


def coset_ntt(values, shift: int | None = None, *, threads: int | None = None):
    """Evaluate on the coset ``shift * H`` (default: snarkjs's 2n-th root of unity)."""
    return _transform(values, False, _default_shift(len(values)) if shift is None else shift, threads)


def coset_intt(values, shift: int | None = None, *, threads: int | None = None):
    """Inverse of :func:`coset_ntt` with the same shift."""
    return _transform(values, True, _default_shift(len(values)) if shift is None else shift, threads)


__all__ = ["coset_intt", "coset_ntt", "intt", "ntt"]
