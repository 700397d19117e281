"""Reference arithmetic for Fr, Fq and Fq2 on Python ints (the pure-Python twin).

Elements of Fr and Fq are ints in ``[0, p)``; elements of Fq2 are pairs ``(c0, c1)``
meaning ``c0 + c1*u`` with ``u^2 = -1``.  Functions reduce their results; inputs are
expected reduced (use :func:`check_element` at trust boundaries).
"""

from __future__ import annotations

from zkgate.bn254.constants import FR_TWO_ADICITY, Q_MOD, R_MOD
from zkgate.errors import InvalidInputError

Fq2 = tuple[int, int]


def check_element(value: int, modulus: int, what: str = "field element") -> int:
    """Return ``value`` if it is an int in ``[0, modulus)``, else raise InvalidInputError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{what} must be an int, got {type(value).__name__}")
    if not 0 <= value < modulus:
        raise InvalidInputError(f"{what} {value} is outside [0, {modulus})")
    return value


def inverse(a: int, modulus: int) -> int:
    """Multiplicative inverse; raises InvalidInputError for zero."""
    if a % modulus == 0:
        raise InvalidInputError("zero has no multiplicative inverse")
    return pow(a, -1, modulus)


def legendre(a: int, modulus: int) -> int:
    """1 for a non-zero square, -1 for a non-square, 0 for zero."""
    a %= modulus
    if a == 0:
        return 0
    return 1 if pow(a, (modulus - 1) // 2, modulus) == 1 else -1


def fq_sqrt(a: int) -> int | None:
    """A square root in Fq (q = 3 mod 4), or None when ``a`` is not a square."""
    a %= Q_MOD
    root = pow(a, (Q_MOD + 1) // 4, Q_MOD)
    return root if root * root % Q_MOD == a else None


_FR_ODD = (R_MOD - 1) >> FR_TWO_ADICITY
_FR_NON_RESIDUE = 5  # the smallest quadratic non-residue of Fr (checked in tests)


def fr_sqrt(a: int) -> int | None:
    """A square root in Fr by Tonelli-Shanks, or None when ``a`` is not a square."""
    a %= R_MOD
    if a == 0:
        return 0
    if legendre(a, R_MOD) != 1:
        return None
    m = FR_TWO_ADICITY
    c = pow(_FR_NON_RESIDUE, _FR_ODD, R_MOD)
    t = pow(a, _FR_ODD, R_MOD)
    root = pow(a, (_FR_ODD + 1) // 2, R_MOD)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2 = t2 * t2 % R_MOD
            i += 1
        b = pow(c, 1 << (m - i - 1), R_MOD)
        m, c = i, b * b % R_MOD
        t, root = t * c % R_MOD, root * b % R_MOD
    return root


def fr_root_of_unity(log_n: int) -> int:
    """A primitive 2^log_n-th root of unity in Fr (the one snarkjs/ffjavascript use)."""
    if not 0 <= log_n <= FR_TWO_ADICITY:
        raise InvalidInputError(f"Fr has no 2^{log_n}-th roots of unity (max 2^{FR_TWO_ADICITY})")
    root = pow(_FR_NON_RESIDUE, _FR_ODD, R_MOD)  # primitive 2^28-th root
    return pow(root, 1 << (FR_TWO_ADICITY - log_n), R_MOD)


# --- Fq2 = Fq[u] / (u^2 + 1) -----------------------------------------------------------

FQ2_ZERO: Fq2 = (0, 0)
FQ2_ONE: Fq2 = (1, 0)


def fq2_add(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] + b[0]) % Q_MOD, (a[1] + b[1]) % Q_MOD)


def fq2_sub(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] - b[0]) % Q_MOD, (a[1] - b[1]) % Q_MOD)


def fq2_neg(a: Fq2) -> Fq2:
    return (-a[0] % Q_MOD, -a[1] % Q_MOD)


def fq2_mul(a: Fq2, b: Fq2) -> Fq2:
    t0 = a[0] * b[0]
    t1 = a[1] * b[1]
    return ((t0 - t1) % Q_MOD, ((a[0] + a[1]) * (b[0] + b[1]) - t0 - t1) % Q_MOD)


def fq2_sqr(a: Fq2) -> Fq2:
    return ((a[0] + a[1]) * (a[0] - a[1]) % Q_MOD, 2 * a[0] * a[1] % Q_MOD)


def fq2_mul_scalar(a: Fq2, k: int) -> Fq2:
    return (a[0] * k % Q_MOD, a[1] * k % Q_MOD)


def fq2_inv(a: Fq2) -> Fq2:
    norm = (a[0] * a[0] + a[1] * a[1]) % Q_MOD
    n_inv = inverse(norm, Q_MOD)
    return (a[0] * n_inv % Q_MOD, -a[1] * n_inv % Q_MOD)


def fq2_pow(a: Fq2, e: int) -> Fq2:
    result, base = FQ2_ONE, a
    while e:
        if e & 1:
            result = fq2_mul(result, base)
        base = fq2_sqr(base)
        e >>= 1
    return result


def fq2_is_zero(a: Fq2) -> bool:
    return a[0] == 0 and a[1] == 0


def fq2_sqrt(a: Fq2) -> Fq2 | None:
    """A square root in Fq2 (q = 3 mod 4, complex method), or None for a non-square."""
    a = (a[0] % Q_MOD, a[1] % Q_MOD)
    if fq2_is_zero(a):
        return FQ2_ZERO
    if a[1] == 0:
        root = fq_sqrt(a[0])
        if root is not None:
            return (root, 0)
        root = fq_sqrt(-a[0])  # a = -(s^2) = (s*u)^2
        return None if root is None else (0, root)
    norm_root = fq_sqrt((a[0] * a[0] + a[1] * a[1]) % Q_MOD)
    if norm_root is None:
        return None
    half = inverse(2, Q_MOD)
    for candidate in ((a[0] + norm_root) * half % Q_MOD, (a[0] - norm_root) * half % Q_MOD):
        x0 = fq_sqrt(candidate)
        if x0 is None or x0 == 0:
            continue
        x1 = a[1] * inverse(2 * x0, Q_MOD) % Q_MOD
        if fq2_sqr((x0, x1)) == a:
            return (x0, x1)
    return None
