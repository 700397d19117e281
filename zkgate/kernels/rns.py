"""RNS polynomial arithmetic for the HE key committee (:mod:`zkgate.he.threshold`).

Polynomials of ``Z_Q[X]/(X^n + 1)`` with ``Q = p_0 ⋯ p_{k−1}`` are held in RNS form: an
``(k, n)`` uint64 array whose row ``j`` holds the coefficients (or NTT values) modulo ``p_j``.
The negacyclic NTT is SEAL's own (``util/ntt.cpp``): the root is the *minimal* primitive
``2n``-th root of unity ψ modulo each prime, the forward transform is Cooley–Tukey over the
powers of ψ in bit-reversed order, and its output is in bit-reversed order, so that
``NTT(a)[k] = a(ψ^(2·bitrev(k)+1))``.  A secret key, public key or ciphertext in "NTT form"
read from SEAL's serialization therefore has exactly the values :func:`ntt_forward` produces.

Products modulo a prime of up to 50 bits use a float64 quotient estimate and an exact
wrapping uint64 correction (two conditional subtractions); primes of 51..62 bits split
one factor into 31-bit halves first.  Every stage of the transform is vectorised over all
primes at once.  That numpy code is the pure-Python twin; on the native backend the NTTs and
products run in ``zkgate._native._rns`` (C loops, Shoup twiddle products, 128-bit remainders),
chosen once at import like every kernel facade: ``ENGINE`` says which (``"native"`` or
``"numpy"``).  Both give identical, fully reduced results.  Not constant-time (see
docs/he.md for where secrets meet it).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

import numpy as np

from zkgate import _native
from zkgate.errors import InvalidInputError

__all__ = [
    "ENGINE",
    "Rns",
    "bit_reverse_permutation",
    "minimal_primitive_root",
    "mulmod",
    "rns_for",
]

_compiled = _native.compiled("_rns")
ENGINE = "native" if _compiled is not None else "numpy"
"""Which engine runs the NTTs and products: ``"native"`` (compiled) or ``"numpy"`` (the twin)."""

_U64 = np.uint64


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def minimal_primitive_root(degree: int, p: int) -> int:
    """The smallest primitive ``degree``-th root of unity modulo the prime ``p`` (SEAL's choice).

    Deterministic: starting from any primitive root ``g`` (found from small candidates raised
    to ``(p − 1)/degree``), the primitive ``degree``-th roots are exactly the odd powers of ``g``.
    """
    if degree < 2 or degree & (degree - 1) or (p - 1) % degree:
        raise InvalidInputError(f"no primitive {degree}-th root of unity modulo {p}")
    cofactor = (p - 1) // degree
    for candidate in range(2, 1 << 16):
        g = pow(candidate, cofactor, p)
        if pow(g, degree // 2, p) == p - 1:
            break
    else:  # pragma: no cover - a prime = 1 mod degree always has one among small candidates
        raise InvalidInputError(f"no primitive {degree}-th root of unity found modulo {p}")
    best, current, g2 = g, g, g * g % p
    for _ in range(degree // 2):
        best = min(best, current)
        current = current * g2 % p
    return best


def _bitrev(i: int, bits: int) -> int:
    return int(format(i, f"0{bits}b")[::-1], 2) if bits else 0


def bit_reverse_permutation(n: int) -> np.ndarray:
    """``perm[i] = bitrev(i)`` for ``i < n`` (a power of two)."""
    bits = n.bit_length() - 1
    idx = np.arange(n, dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    for b in range(bits):
        out |= ((idx >> b) & 1) << (bits - 1 - b)
    return out


# -- modular products ---------------------------------------------------------------------------
def _mulmod_small(x: np.ndarray, y: np.ndarray, p: np.ndarray, pf: np.ndarray) -> np.ndarray:
    """x·y mod p for x, y in [0, p), p < 2^50 (broadcasting); exact."""
    q = np.floor(x.astype(np.float64) * y.astype(np.float64) / pf).astype(_U64)
    r = x * y - q * p  # exact modulo 2^64; the true value lies in (−p, 2p)
    r = np.minimum(r, r + p)  # a negative (wrapped) value becomes r + p
    return np.minimum(r, r - p)  # a value in [p, 2p) becomes r − p


def _mulmod_root(x: np.ndarray, w: np.ndarray, wq: np.ndarray, p: np.ndarray) -> np.ndarray:
    """x·w mod p with ``wq = w / p`` precomputed in float64 (p < 2^50)."""
    q = np.floor(x.astype(np.float64) * wq).astype(_U64)
    r = x * w - q * p
    r = np.minimum(r, r + p)
    return np.minimum(r, r - p)


_HALF = 31
_LOW = _U64((1 << _HALF) - 1)


def _mulmod_large(x: np.ndarray, y: np.ndarray, p: np.ndarray, pf: np.ndarray) -> np.ndarray:
    """x·y mod p for p < 2^62: y split in 31-bit halves, each partial product below 2^93."""
    hi = y >> _U64(_HALF)
    lo = y & _LOW

    def red(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # a < p, b < 2^31
        q = np.floor(a.astype(np.float64) * b.astype(np.float64) / pf).astype(_U64)
        r = a * b - q * p
        r = np.minimum(r, r + p)
        return np.minimum(r, r - p)

    t = red(x, hi)  # x·hi mod p
    shifted = red(t, np.full_like(t, 1 << _HALF))  # · 2^31 mod p
    s = shifted + red(x, lo)
    return np.minimum(s, s - p)


def mulmod(x: np.ndarray, y: np.ndarray, p: int | np.ndarray) -> np.ndarray:
    """Element-wise ``x·y mod p`` (uint64 arrays with entries in [0, p); p < 2^62, broadcast)."""
    pa = np.asarray(p, dtype=_U64)
    x = np.asarray(x, dtype=_U64)
    y = np.asarray(y, dtype=_U64)
    if int(pa.max()) >= 1 << 50:
        return _mulmod_large(x, y, pa, pa.astype(np.float64))
    return _mulmod_small(x, y, pa, pa.astype(np.float64))


# -- the RNS ring -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Rns:
    """``Z_Q[X]/(X^n + 1)`` for ``Q = Π moduli`` (each prime = 1 mod 2n, below 2^62).

    Arrays are ``(len(moduli), n)`` uint64 with reduced entries.  Build with :func:`rns_for`
    (cached): the NTT tables cost a few milliseconds per prime.
    """

    n: int
    moduli: tuple[int, ...]
    p: np.ndarray  # (k, 1) uint64
    pf: np.ndarray  # (k, 1) float64
    roots: np.ndarray  # (k, n) ψ^bitrev(i)
    roots_q: np.ndarray  # (k, n) float64 roots / p
    iroots: np.ndarray  # (k, n) ψ^−bitrev(i)
    iroots_q: np.ndarray
    n_inv: np.ndarray  # (k, 1)
    n_inv_q: np.ndarray
    shoup: tuple | None = None  # native engine: (roots', iroots', n_inv') Shoup quotients

    @property
    def large(self) -> bool:
        """Some prime has 50 bits or more (products take the split path)."""
        return max(self.moduli) >= 1 << 50

    @property
    def k(self) -> int:
        return len(self.moduli)

    def twin(self) -> Rns:
        """The same ring on the numpy engine (for differential tests of the native kernels)."""
        return dataclasses.replace(self, shoup=None)

    def prefix(self, count: int) -> Rns:
        """The ring over the first ``count`` primes (the data level of a key-level ring)."""
        return rns_for(self.n, self.moduli[:count])

    # conversions ----------------------------------------------------------------------------
    def zeros(self) -> np.ndarray:
        return np.zeros((self.k, self.n), dtype=_U64)

    def from_small(self, coeffs: np.ndarray) -> np.ndarray:
        """Signed small integer coefficients (int64, |c| < 2^62) to RNS form."""
        c = np.asarray(coeffs, dtype=np.int64).reshape(1, self.n)
        pi = self.p.astype(np.int64)
        return np.mod(c, pi).astype(_U64)

    def from_ints(self, coeffs: list[int]) -> np.ndarray:
        """Arbitrary Python integers (any sign, any size) to RNS form."""
        out = np.empty((self.k, self.n), dtype=_U64)
        for j, pj in enumerate(self.moduli):
            out[j] = np.array([c % pj for c in coeffs], dtype=_U64)
        return out

    def check(self, a: np.ndarray, what: str = "polynomial") -> np.ndarray:
        a = np.asarray(a)
        if a.shape != (self.k, self.n) or a.dtype != _U64:
            raise InvalidInputError(f"{what}: expected a ({self.k}, {self.n}) uint64 array, got {a.shape} {a.dtype}")
        if bool((a >= self.p).any()):
            raise InvalidInputError(f"{what}: a coefficient is not reduced modulo its prime")
        return a

    # element-wise arithmetic -------------------------------------------------------------------
    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        s = a + b
        return np.minimum(s, s - self.p)

    def sub(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d = a - b
        return np.minimum(d, d + self.p)

    def neg(self, a: np.ndarray) -> np.ndarray:
        return np.where(a == 0, a, self.p - a)

    def mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Element-wise product (of two NTT-form polynomials: the ring product)."""
        if self.shoup is not None:
            return _compiled.mul(a, np.broadcast_to(b, a.shape), self.p)
        if self.large:
            return _mulmod_large(a, np.broadcast_to(b, a.shape), self.p, self.pf)
        return _mulmod_small(a, b, self.p, self.pf)

    def mul_scalar(self, a: np.ndarray, scalars: list[int]) -> np.ndarray:
        """``a`` times one scalar per prime (``scalars[j]`` reduced mod ``p_j`` here)."""
        s = np.array([int(c) % pj for c, pj in zip(scalars, self.moduli)], dtype=_U64).reshape(self.k, 1)
        return self.mul(a, np.broadcast_to(s, a.shape))

    # the negacyclic NTT (SEAL's) ---------------------------------------------------------------
    def ntt_forward(self, a: np.ndarray) -> np.ndarray:
        n, k = self.n, self.k
        if self.shoup is not None:
            return _compiled.ntt_forward(np.asarray(a).reshape(k, n), self.roots, self.shoup[0], self.p)
        v = np.array(a, dtype=_U64, copy=True).reshape(k, n)
        p3 = self.p.reshape(k, 1, 1)
        m, gap = 1, n >> 1
        while m < n:
            blocks = v.reshape(k, m, 2, gap)
            x = blocks[:, :, 0, :]
            y = blocks[:, :, 1, :]
            w = self.roots[:, m : 2 * m].reshape(k, m, 1)
            wq = self.roots_q[:, m : 2 * m].reshape(k, m, 1)
            t = self._mul_root(y, w, wq, p3)
            s = x + t
            d = x - t
            blocks[:, :, 0, :] = np.minimum(s, s - p3)
            blocks[:, :, 1, :] = np.minimum(d, d + p3)
            m <<= 1
            gap >>= 1
        return v

    def ntt_inverse(self, a: np.ndarray) -> np.ndarray:
        n, k = self.n, self.k
        if self.shoup is not None:
            return _compiled.ntt_inverse(np.asarray(a).reshape(k, n), self.iroots, self.shoup[1], self.p,
                                         self.n_inv, self.shoup[2])
        v = np.array(a, dtype=_U64, copy=True).reshape(k, n)
        p3 = self.p.reshape(k, 1, 1)
        m, gap = n >> 1, 1
        while m >= 1:
            blocks = v.reshape(k, m, 2, gap)
            x = blocks[:, :, 0, :].copy()
            y = blocks[:, :, 1, :]
            s = x + y
            d = x - y
            d = np.minimum(d, d + p3)
            w = self.iroots[:, m : 2 * m].reshape(k, m, 1)
            wq = self.iroots_q[:, m : 2 * m].reshape(k, m, 1)
            blocks[:, :, 0, :] = np.minimum(s, s - p3)
            blocks[:, :, 1, :] = self._mul_root(d, w, wq, p3)
            m >>= 1
            gap <<= 1
        return self._mul_root(v, self.n_inv, self.n_inv_q, self.p)

    def _mul_root(self, x: np.ndarray, w: np.ndarray, wq: np.ndarray, p: np.ndarray) -> np.ndarray:
        if self.large:
            return _mulmod_large(x, np.broadcast_to(w, x.shape), p, p.astype(np.float64))
        return _mulmod_root(x, w, wq, p)

    # composition ------------------------------------------------------------------------------
    def to_centered_ints(self, a: np.ndarray) -> list[int]:
        """CRT-compose each coefficient into ``(−Q/2, Q/2]`` (Python ints; coefficient form)."""
        q = 1
        for pj in self.moduli:
            q *= pj
        total = np.zeros(self.n, dtype=object)
        for j, pj in enumerate(self.moduli):
            qj = q // pj
            total = total + a[j].astype(object) * (qj * pow(qj, -1, pj))
        half = q // 2
        return [int(x) - q if x > half else int(x) for x in (total % q)]


_cache: dict[tuple[int, tuple[int, ...]], Rns] = {}
_cache_lock = threading.Lock()


def rns_for(n: int, moduli: tuple[int, ...] | list[int]) -> Rns:
    """The (cached) RNS ring of degree ``n`` over ``moduli``."""
    moduli = tuple(int(m) for m in moduli)
    key = (n, moduli)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    if n < 2 or n & (n - 1):
        raise InvalidInputError(f"degree must be a power of two, got {n}")
    if not moduli:
        raise InvalidInputError("at least one prime modulus is needed")
    for pj in moduli:
        if not 2 < pj < 1 << 62 or (pj - 1) % (2 * n) or not _is_prime(pj):
            raise InvalidInputError(f"modulus {pj} is not a prime = 1 mod {2 * n} below 2^62")
    bits = n.bit_length() - 1
    rev = [_bitrev(i, bits) for i in range(n)]
    k = len(moduli)
    roots = np.empty((k, n), dtype=_U64)
    iroots = np.empty((k, n), dtype=_U64)
    for j, pj in enumerate(moduli):
        psi = minimal_primitive_root(2 * n, pj)
        ipsi = pow(psi, -1, pj)
        pw, ipw = [1] * n, [1] * n
        for i in range(1, n):
            pw[i] = pw[i - 1] * psi % pj
            ipw[i] = ipw[i - 1] * ipsi % pj
        roots[j] = np.array([pw[r] for r in rev], dtype=_U64)
        iroots[j] = np.array([ipw[r] for r in rev], dtype=_U64)
    p = np.array(moduli, dtype=_U64).reshape(k, 1)
    pf = p.astype(np.float64)
    n_inv = np.array([pow(n, -1, pj) for pj in moduli], dtype=_U64).reshape(k, 1)
    ring = Rns(
        n=n,
        moduli=moduli,
        p=p,
        pf=pf,
        roots=roots,
        roots_q=roots.astype(np.float64) / pf,
        iroots=iroots,
        iroots_q=iroots.astype(np.float64) / pf,
        n_inv=n_inv,
        n_inv_q=n_inv.astype(np.float64) / pf,
        shoup=None if _compiled is None else (
            _compiled.shoup_quotients(roots, p),
            _compiled.shoup_quotients(iroots, p),
            _compiled.shoup_quotients(n_inv, p),
        ),
    )
    with _cache_lock:
        _cache[key] = ring
    return ring
