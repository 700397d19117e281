"""Built-in circuits: small, named statements the gateway can compile, key (development keys,
dev mode only) and prove from inputs, for applications that do not ship their own circuits.

* ``poseidon-preimage``: knowledge of ``x = [x0, x1]`` with ``Poseidon(x0, x1) = h``;
  private input ``x``, public output ``h``.
* ``less-than``: a private ``value`` below a public ``bound`` (both below 2^64); public input
  ``bound``.
"""

from __future__ import annotations

from zkgate.circuits.compile import CompiledCircuit, compile_circuit
from zkgate.circuits.gadgets.poseidon import poseidon
from zkgate.errors import InvalidInputError


def poseidon_preimage(api) -> None:
    x = api.private_input("x", 2)
    api.output("h", poseidon(api, list(x)))


def less_than_bound(api) -> None:
    bound = api.public_input("bound")
    value = api.private_input("value")
    api.assert_equal(api.less_than(value, bound, 64), 1)


BUILTIN_CIRCUITS = {
    "poseidon-preimage": poseidon_preimage,
    "less-than": less_than_bound,
}


def compile_builtin(name: str) -> CompiledCircuit:
    """The compiled built-in circuit ``name`` (cached like any compiled circuit)."""
    try:
        fn = BUILTIN_CIRCUITS[name]
    except KeyError:
        raise InvalidInputError(f"no built-in circuit {name!r}; choose one of {sorted(BUILTIN_CIRCUITS)}") from None
    return compile_circuit(fn)


__all__ = ["BUILTIN_CIRCUITS", "compile_builtin"]
