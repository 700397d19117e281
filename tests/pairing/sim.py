"""Groth16 verification instances simulated with a known trapdoor (no circuit needed).

With scalars alpha, beta, gamma, delta and IC scalars u_j, a proof for public inputs x is
A = a G1, B = b G2, C = c G1 with c = (ab - alpha beta - L gamma) / delta and
L = u_0 + sum x_j u_{j+1}: exactly what the verifier's equation accepts.  Used by the batch,
verification and benchmark code to make many distinct valid proofs quickly.
"""

from __future__ import annotations

import random

from zkgate import bn254
from zkgate.prover.groth16.keys import Proof, VerifyingKey

R = bn254.R_MOD


def _g1(s: int):
    return bn254.msm_g1([bn254.G1_GENERATOR], [s])


def _g2(s: int):
    return bn254.msm_g2([bn254.G2_GENERATOR], [s])


class SimulatedKey:
    def __init__(self, n_public: int, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        rnd = lambda: self.rng.randrange(1, R)  # noqa: E731
        self.alpha, self.beta, self.gamma, self.delta = rnd(), rnd(), rnd(), rnd()
        self.u = [rnd() for _ in range(n_public + 1)]
        self.vk = VerifyingKey(
            n_public=n_public,
            alpha1=_g1(self.alpha),
            beta2=_g2(self.beta),
            gamma2=_g2(self.gamma),
            delta2=_g2(self.delta),
            ic=tuple(_g1(u) for u in self.u),
        )

    def public(self) -> list[int]:
        return [self.rng.randrange(R) for _ in range(self.vk.n_public)]

    def proof(self, public: list[int]) -> Proof:
        a, b = self.rng.randrange(1, R), self.rng.randrange(1, R)
        lin = (self.u[0] + sum(x * u for x, u in zip(public, self.u[1:]))) % R
        c = (a * b - self.alpha * self.beta - lin * self.gamma) * pow(self.delta, -1, R) % R
        return Proof(a=_g1(a), b=_g2(b), c=_g1(c))

    def items(self, k: int) -> list[tuple[list[int], Proof]]:
        out = []
        for _ in range(k):
            x = self.public()
            out.append((x, self.proof(x)))
        return out
