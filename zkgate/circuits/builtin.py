"""Built-in circuits: small, named statements the gateway can compile, key (development keys,
dev mode only) and prove from inputs, for applications that do not ship their own circuits.

* ``poseidon-preimage``: knowledge of ``x = [x0, x1]`` with ``Poseidon(x0, x1) = h``;
  private input ``x``, public output ``h``.
* ``less-than``: a private ``value`` below a public ``bound`` (both below 2^64); public input
  ``bound``.

:data:`BUILTIN_INPUTS` describes each circuit's inputs (name, shape, range, meaning) and
:func:`parse_builtin_inputs` checks a JSON object of inputs against it *before* the witness is
solved, so a wrong input is refused naming the input and the condition it breaks (never as a
violated constraint of the compiled circuit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from zkgate.circuits.compile import CompiledCircuit, compile_circuit
from zkgate.circuits.field import R
from zkgate.circuits.gadgets.poseidon import poseidon
from zkgate.errors import InvalidInputError
from zkgate.safejson import parse_decimal


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


@dataclass(frozen=True)
class BuiltinInput:
    """One input of a built-in circuit: a number (``length`` None) or a list of ``length`` numbers,
    each a non-negative integer below ``2**max_bits`` (below the field modulus r when None)."""

    name: str
    visibility: str  # "public" or "private"
    meaning: str
    length: int | None = None
    max_bits: int | None = None

    @property
    def limit(self) -> int:
        return R if self.max_bits is None else 1 << self.max_bits

    def describe(self) -> str:
        shape = f"a list of {self.length} integers" if self.length is not None else "an integer"
        upper = "r (the BN254 scalar field)" if self.max_bits is None else f"2^{self.max_bits}"
        return f"{self.name} ({self.visibility}): {shape} in [0, {upper}) -- {self.meaning}"


def _value_below_bound(values: dict) -> str | None:
    if values["value"] >= values["bound"]:
        return (f"value = {values['value']} is not below bound = {values['bound']}: the less-than circuit "
                "proves value < bound, so no proof exists for these inputs")
    return None


@dataclass(frozen=True)
class BuiltinSignature:
    inputs: tuple[BuiltinInput, ...]
    outputs: str
    condition: Callable[[dict], str | None] | None = None  # a message when the inputs admit no witness


BUILTIN_INPUTS: dict[str, BuiltinSignature] = {
    "poseidon-preimage": BuiltinSignature(
        (BuiltinInput("x", "private", "the two preimage elements x0, x1", length=2),),
        "h = Poseidon(x0, x1) (public output, the proof's only public signal)",
    ),
    "less-than": BuiltinSignature(
        (BuiltinInput("bound", "public", "the public upper bound (exclusive)", max_bits=64),
         BuiltinInput("value", "private", "the private value proved to lie below bound", max_bits=64)),
        "none (public signal: bound)",
        _value_below_bound,
    ),
}


def parse_builtin_inputs(name: str, raw: object, where: str = "inputs_json") -> dict:
    """Check a JSON object of inputs for the built-in circuit ``name``; returns name -> int or list
    of ints.  Numbers are ASCII decimal strings or JSON integers.  InvalidInputError names the input."""
    signature = BUILTIN_INPUTS.get(name)
    if signature is None:
        raise InvalidInputError(f"no built-in circuit {name!r}; choose one of {sorted(BUILTIN_INPUTS)}")
    expected = {spec.name: spec for spec in signature.inputs}
    usage = "; ".join(spec.describe() for spec in signature.inputs)
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{where}: expected a JSON object of input names; {name} takes {usage}")
    unknown = sorted(set(raw) - set(expected))
    missing = [n for n in expected if n not in raw]
    if unknown or missing:
        parts = ([f"unknown input(s) {', '.join(map(repr, unknown))}"] if unknown else []) + \
                ([f"missing input(s) {', '.join(map(repr, missing))}"] if missing else [])
        raise InvalidInputError(f"{where}: {'; '.join(parts)}; the built-in circuit {name} takes {usage}")
    values: dict = {}
    for spec in signature.inputs:
        value = raw[spec.name]
        if spec.length is None:
            values[spec.name] = _number(value, f"{where}.{spec.name}", spec)
            continue
        if not isinstance(value, list) or len(value) != spec.length:
            got = f"a list of {len(value)}" if isinstance(value, list) else type(value).__name__
            raise InvalidInputError(f"{where}.{spec.name}: expected a list of {spec.length} integers, got {got}; "
                                    f"{spec.describe()}")
        values[spec.name] = [_number(v, f"{where}.{spec.name}[{i}]", spec) for i, v in enumerate(value)]
    if signature.condition is not None:
        violation = signature.condition(values)
        if violation is not None:
            raise InvalidInputError(f"{where}: {violation}")
    return values


def _number(value: object, where: str, spec: BuiltinInput) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
        if number < 0:
            raise InvalidInputError(f"{where}: {number} is negative; {spec.describe()}")
    elif isinstance(value, str):
        number = parse_decimal(value, where)
    else:
        raise InvalidInputError(f"{where}: expected a non-negative decimal integer (a string of digits 0-9 or a "
                                f"JSON integer), got {type(value).__name__}; {spec.describe()}")
    if number >= spec.limit:
        bound = "the field modulus r" if spec.max_bits is None else f"2^{spec.max_bits}"
        raise InvalidInputError(f"{where}: {number} is not below {bound}; {spec.describe()}")
    return number


def compile_builtin(name: str) -> CompiledCircuit:
    """The compiled built-in circuit ``name`` (cached like any compiled circuit)."""
    try:
        fn = BUILTIN_CIRCUITS[name]
    except KeyError:
        raise InvalidInputError(f"no built-in circuit {name!r}; choose one of {sorted(BUILTIN_CIRCUITS)}") from None
    return compile_circuit(fn)


__all__ = ["BUILTIN_CIRCUITS", "BUILTIN_INPUTS", "BuiltinInput", "BuiltinSignature", "compile_builtin",
           "parse_builtin_inputs"]
