"""Compiling a circuit: run its function on a :class:`Builder`, freeze the result.

>>> def square(api, n):
...     x = api.private_input("x")
...     api.output("y", api.mul(x, x))
>>> c = compile_circuit(square, n=1, cache=False)
>>> c.outputs(c.solve({"x": 7}))["y"]
49
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zkgate.circuits import cache as _cache
from zkgate.circuits.builder import Builder
from zkgate.circuits.program import WitnessProgram
from zkgate.circuits.r1cs import R1CS, limbs_to_ints
from zkgate.circuits.r1csfile import write_r1cs
from zkgate.circuits.solver import solve, solve_checked

_memory: dict[str, CompiledCircuit] = {}


@dataclass
class CompiledCircuit:
    """An R1CS with its witness solver and the names of its inputs and outputs."""

    name: str
    params: dict
    r1cs: R1CS
    program: WitnessProgram
    key: str | None = None
    compile_seconds: float = 0.0
    from_cache: str = "no"  # "no", "memory" or "disk"
    stats: dict = field(default_factory=dict)

    def solve(self, inputs: dict, *, check: bool = True, overrides: dict | None = None) -> np.ndarray:
        """Full witness (``(n_wires, 4)`` uint64 limbs, normal form) for ``inputs``.

        With ``check`` every constraint is verified and a violated assertion raises
        :class:`~zkgate.circuits.errors.UnsatisfiedConstraintError` naming it."""
        if overrides:
            return solve(self.r1cs, self.program, inputs, overrides=overrides)
        return solve_checked(self.r1cs, self.program, inputs) if check else solve(self.r1cs, self.program, inputs)

    def outputs(self, witness) -> dict:
        """The output values by name (ints, or lists for list outputs)."""
        res = {}
        for name, (wires, is_list) in self.program.outputs.items():
            vals = limbs_to_ints(np.asarray(witness)[wires]) if isinstance(witness, np.ndarray) else [witness[w] for w in wires]
            res[name] = vals if is_list else vals[0]
        return res

    def public_signals(self, witness) -> list[int]:
        """Outputs then public inputs, in wire order (what snarkjs puts in public.json)."""
        n = self.r1cs.n_public
        w = np.asarray(witness)
        return limbs_to_ints(w[1 : 1 + n]) if isinstance(witness, np.ndarray) else list(witness[1 : 1 + n])

    def write_r1cs(self, path) -> None:
        write_r1cs(self.r1cs, path)


def compile_circuit(fn, /, *, cache: bool | str | Path = True, **params) -> CompiledCircuit:
    """Compile ``fn(api, **params)``.

    ``cache``: True (memory + ``default_cache_dir()``), False (always compile), or a
    directory for the on-disk entries."""
    name = getattr(fn, "__qualname__", repr(fn))
    key = None
    directory = None
    if cache is not False:
        key = _cache.circuit_key(fn, params)
        if key in _memory:
            c = _memory[key]
            return CompiledCircuit(c.name, c.params, c.r1cs, c.program, key, 0.0, "memory", c.stats)
        directory = _cache.default_cache_dir() if cache is True else Path(cache)
        t0 = time.perf_counter()
        hit = _cache.load(directory, key)
        if hit is not None:
            r1cs, program, meta = hit
            c = CompiledCircuit(name, params, r1cs, program, key, time.perf_counter() - t0, "disk", meta.get("stats", {}))
            _memory[key] = c
            return c
    t0 = time.perf_counter()
    api = Builder()
    fn(api, **params)
    r1cs, program = api.finalize()
    elapsed = time.perf_counter() - t0
    stats = {"constraints": r1cs.n_constraints, "wires": r1cs.n_wires, "nnz": r1cs.nnz}
    c = CompiledCircuit(name, params, r1cs, program, key, elapsed, "no", stats)
    if key is not None:
        _memory[key] = c
        try:
            _cache.save(directory, key, r1cs, program, {"name": name, "stats": stats})
        except OSError:
            pass  # an unwritable cache directory only costs recompiling
    return c


def clear_memory_cache() -> None:
    _memory.clear()


__all__ = ["CompiledCircuit", "compile_circuit", "clear_memory_cache"]
