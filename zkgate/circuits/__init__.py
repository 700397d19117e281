"""zkgate.circuits: circuits for Groth16 over BN254, circom/snarkjs compatible.

Layers, bottom up:

* :mod:`~zkgate.circuits.field`, :mod:`~zkgate.circuits.lc` -- Fr and linear combinations;
* :mod:`~zkgate.circuits.builder` -- the circuit author's API (gnark style);
* :mod:`~zkgate.circuits.r1cs`, :mod:`~zkgate.circuits.program`,
  :mod:`~zkgate.circuits.solver` -- the constraint system and the compiled witness solver;
* :mod:`~zkgate.circuits.compile`, :mod:`~zkgate.circuits.cache` -- compiling and caching;
* :mod:`~zkgate.circuits.r1csfile`, :mod:`~zkgate.circuits.wtnsfile` -- iden3 formats;
* :mod:`~zkgate.circuits.gadgets` -- circomlib-compatible gadgets;
* :mod:`~zkgate.circuits.poseidon`, :mod:`~zkgate.circuits.babyjubjub`,
  :mod:`~zkgate.circuits.pedersen` -- out-of-circuit twins of the hash and curve gadgets.
"""

from zkgate.circuits.builder import Builder
from zkgate.circuits.compile import CompiledCircuit, compile_circuit
from zkgate.circuits.errors import (
    CircuitError,
    CircuitInputError,
    R1CSFormatError,
    UnsatisfiedConstraintError,
    WitnessError,
)
from zkgate.circuits.field import R
from zkgate.circuits.lc import LC
from zkgate.circuits.r1cs import R1CS
from zkgate.circuits.r1csfile import read_r1cs, write_r1cs
from zkgate.circuits.wtnsfile import read_wtns, write_wtns

__all__ = [
    "Builder",
    "CircuitError",
    "CircuitInputError",
    "CompiledCircuit",
    "LC",
    "R",
    "R1CS",
    "R1CSFormatError",
    "UnsatisfiedConstraintError",
    "WitnessError",
    "compile_circuit",
    "read_r1cs",
    "read_wtns",
    "write_r1cs",
    "write_wtns",
]
