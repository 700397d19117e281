"""Which contribution-circuit keys a study may be opened with.

A ``.zkey`` straight from ``groth16 setup`` has had no phase-2 contribution: its γ₂ equals its
δ₂, so anyone can forge proofs under it.  Every prover and verifier refuses such a key
(:func:`zkgate.prover.groth16.verify.prepare_verifying_key`), so a study opened with one could never
receive a submission and would stay open forever.  It is refused when the study is created,
by the requester's command and by the gateway, in every mode: a dev-mode gateway has its own
development keys (``--dev-circuit-key``), which do have a random δ.
"""

from __future__ import annotations

from zkgate.study.errors import DevKeyError


class UncontributedKeyError(DevKeyError):
    """A circuit key without any phase-2 contribution (γ₂ == δ₂): proofs under it can be forged."""


def refuse_uncontributed(keys, where: str = "the circuit key") -> None:
    """Raise :class:`UncontributedKeyError` when ``keys`` (CircuitKeys) had no phase-2 contribution."""
    vk = keys.vk
    if vk.gamma2 == vk.delta2:
        raise UncontributedKeyError(
            f"{where} had no phase-2 contribution (gamma2 == delta2: it comes straight from `zkgate groth16 setup`), "
            "so anyone could forge proofs under it and every holder would refuse to prove: the study would stay open "
            "forever. Run the phase-2 ceremony first: `zkgate zkey contribute key_0.zkey key_1.zkey` by each party "
            "(then `zkgate zkey beacon`, and `zkgate zkey verify` on the result), and open the study with the final key"
        )


__all__ = ["UncontributedKeyError", "refuse_uncontributed"]
