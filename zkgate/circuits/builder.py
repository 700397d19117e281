"""The circuit author's API (the frontend), in the style of gnark's ``frontend.API``.

A circuit is a Python function ``def circuit(api, **params)`` that declares inputs and
outputs on ``api`` (a :class:`Builder`) and combines values with its methods.  Values are
:class:`~zkgate.circuits.lc.LC` linear combinations: additions and multiplications by
constants are folded for free; every method that needs a constraint says how many it
emits.  Witness computation is recorded alongside, as a small program of typed steps
(:mod:`zkgate.circuits.program`) that the compiled solver replays; a ``hint`` is an
arbitrary Python function, and its outputs must be pinned by later constraints (compiling
fails otherwise).

Compile-time constants fold: operations on constant LCs cost nothing and produce constants.
"""

from __future__ import annotations

from array import array

import numpy as np

from zkgate.circuits.errors import CircuitError
from zkgate.circuits.field import R_BITS, R, inv
from zkgate.circuits.lc import LC, as_lc
from zkgate.circuits.program import (
    OP_BITS,
    OP_DIV,
    OP_HINT,
    OP_INV,
    OP_SOLVE,
    Hint,
    WitnessProgram,
)
from zkgate.circuits.r1cs import R1CS, coeffs_to_limbs
from zkgate.circuits.simplify import eliminate_linear

# wire categories (their order is the iden3 wire order)
_ONE, _OUT, _PUB, _PRV, _INTERNAL_SOLVED, _INTERNAL = 0, 1, 2, 3, 4, 5


def _bits_le(value: int, n: int) -> list[int]:
    return [(value >> i) & 1 for i in range(n)]


class Builder:
    """Records constraints and witness steps while a circuit function runs."""

    def __init__(self) -> None:
        self._kind = bytearray([_ONE])  # category per provisional wire
        self._coeff_list: list[int] = [1]
        self._coeff_index: dict[int, int] = {1: 0}
        # constraints: LC k = 3*i + {0: A, 1: B, 2: C}
        self._lc_offsets = array("q", [0])
        self._lc_wires = array("I")
        self._lc_coeffs = array("I")
        # witness program
        self._op_kind = array("B")
        self._op_out = array("I")
        self._op_arg = array("q")
        self._op_aux = array("q")
        self._plc_offsets = array("q", [0])
        self._plc_wires = array("I")
        self._plc_coeffs = array("I")
        self._hints: list[Hint] = []
        self._boolean: set[int] = set()  # wires known to hold 0/1
        self._inputs: dict[str, tuple[bool, list[int], bool]] = {}  # name -> (public, wires, is_list)
        self._outputs: dict[str, tuple[list[int], bool]] = {}

    # ------------------------------------------------------------------ low level
    def _new_wire(self, kind: int = _INTERNAL) -> int:
        self._kind.append(kind)
        return len(self._kind) - 1

    def _coeff(self, c: int) -> int:
        idx = self._coeff_index.get(c)
        if idx is None:
            idx = len(self._coeff_list)
            self._coeff_index[c] = idx
            self._coeff_list.append(c)
        return idx

    def _push_lc(self, lc: LC, wires: array, coeffs: array, offsets: array) -> None:
        for w, c in lc.terms.items():
            wires.append(w)
            coeffs.append(self._coeff(c))
        offsets.append(len(wires))

    def _constraint(self, a: LC, b: LC, c: LC) -> int:
        """Emit ``a * b = c``; returns the constraint index."""
        for lc in (a, b, c):
            self._push_lc(lc, self._lc_wires, self._lc_coeffs, self._lc_offsets)
        return (len(self._lc_offsets) - 1) // 3 - 1

    def _plc(self, lc: LC) -> int:
        self._push_lc(lc, self._plc_wires, self._plc_coeffs, self._plc_offsets)
        return len(self._plc_offsets) - 2

    def _op(self, kind: int, out: int, arg: int, aux: int) -> None:
        self._op_kind.append(kind)
        self._op_out.append(out)
        self._op_arg.append(arg)
        self._op_aux.append(aux)

    def _solved(self, a: LC, b: LC, c_rest: LC) -> LC:
        """A new wire ``y = a*b + c_rest`` with the constraint ``a * b = y - c_rest``."""
        y = self._new_wire(_INTERNAL_SOLVED)
        k = self._constraint(a, b, LC.wire(y) - c_rest)
        self._op(OP_SOLVE, y, k, 0)
        return LC.wire(y)

    @property
    def num_constraints(self) -> int:
        """Constraints emitted so far (handy for measuring a gadget's cost)."""
        return (len(self._lc_offsets) - 1) // 3

    @property
    def num_wires(self) -> int:
        return len(self._kind)

    # ------------------------------------------------------------------ inputs / outputs
    def _declare(self, name: str, n: int | None, public: bool) -> LC | list[LC]:
        if name in self._inputs or name in self._outputs:
            raise CircuitError(f"signal name {name!r} declared twice")
        count = 1 if n is None else int(n)
        if count < 0:
            raise CircuitError(f"input {name!r}: negative length {n}")
        wires = [self._new_wire(_PUB if public else _PRV) for _ in range(count)]
        self._inputs[name] = (public, wires, n is not None)
        lcs = [LC.wire(w) for w in wires]
        return lcs if n is not None else lcs[0]

    def public_input(self, name: str, n: int | None = None) -> LC | list[LC]:
        """Declare a public input (``n`` given: a list of ``n`` of them)."""
        return self._declare(name, n, True)

    def private_input(self, name: str, n: int | None = None) -> LC | list[LC]:
        """Declare a private input (``n`` given: a list of ``n`` of them)."""
        return self._declare(name, n, False)

    def output(self, name: str, value) -> None:
        """Declare a public output (a value or a list of values).

        Free when the value is a fresh product wire; otherwise one linear constraint.
        """
        if name in self._inputs or name in self._outputs:
            raise CircuitError(f"signal name {name!r} declared twice")
        is_list = isinstance(value, (list, tuple))
        values = list(value) if is_list else [value]
        wires = []
        for v in values:
            lc = as_lc(v)
            w = lc.single_wire()
            if w is not None and self._kind[w] == _INTERNAL_SOLVED:
                self._kind[w] = _OUT
                wires.append(w)
                continue
            out = self._new_wire(_OUT)
            k = self._constraint(LC(), LC(), LC.wire(out) - lc)
            self._op(OP_SOLVE, out, k, 0)
            wires.append(out)
        self._outputs[name] = (wires, is_list)

    public_output = output

    # ------------------------------------------------------------------ arithmetic
    def constant(self, value: int) -> LC:
        return LC.const(value)

    def add(self, *xs) -> LC:
        """Sum of values (no constraint)."""
        out = LC()
        for x in xs:
            out = out.combine(as_lc(x))
        return out

    def sub(self, a, b) -> LC:
        return as_lc(a) - as_lc(b)

    def neg(self, a) -> LC:
        return -as_lc(a)

    def mul(self, a, b, *more) -> LC:
        """Product; one constraint per product of two non-constant values."""
        out = self._mul2(as_lc(a), as_lc(b))
        for m in more:
            out = self._mul2(out, as_lc(m))
        return out

    def _mul2(self, a: LC, b: LC) -> LC:
        ka, kb = a.constant_value(), b.constant_value()
        if ka is not None:
            return b.scaled(ka)
        if kb is not None:
            return a.scaled(kb)
        return self._solved(a, b, LC())

    def square(self, a) -> LC:
        return self.mul(a, a)

    def mul_add(self, a, b, c) -> LC:
        """``a*b + c`` as one new wire (one constraint; ``c`` rides in the C term)."""
        a, b, c = as_lc(a), as_lc(b), as_lc(c)
        if a.is_constant() or b.is_constant():
            return self._mul2(a, b) + c
        return self._solved(a, b, c)

    def div(self, a, b) -> LC:
        """``a / b`` (one constraint ``b * y = a``; unsatisfiable when b = 0)."""
        a, b = as_lc(a), as_lc(b)
        kb = b.constant_value()
        if kb is not None:
            if kb == 0:
                raise CircuitError("division by the constant zero")
            return a.scaled(inv(kb))
        y = self._new_wire(_INTERNAL_SOLVED)  # single-wire steps may become outputs
        self._op(OP_DIV, y, self._plc(a), self._plc(b))
        self._constraint(b, LC.wire(y), a)
        return LC.wire(y)

    def inverse(self, a) -> LC:
        """``1 / a`` (one constraint; unsatisfiable when a = 0)."""
        return self.div(1, a)

    # ------------------------------------------------------------------ assertions
    def assert_equal(self, a, b) -> None:
        """``a == b`` (one linear constraint; checked at compile time for constants)."""
        d = as_lc(a) - as_lc(b)
        k = d.constant_value()
        if k is not None:
            if k != 0:
                raise CircuitError(f"assert_equal between constants that differ (by {k})")
            return
        self._constraint(LC(), LC(), d)

    def assert_zero(self, a) -> None:
        self.assert_equal(a, 0)

    def assert_boolean(self, a) -> None:
        """``a * (a - 1) == 0`` (one constraint, none when ``a`` is known boolean)."""
        a = as_lc(a)
        k = a.constant_value()
        if k is not None:
            if k not in (0, 1):
                raise CircuitError(f"assert_boolean on the constant {k}")
            return
        w = a.single_wire()
        if w is not None and w in self._boolean:
            return
        self._constraint(a, a - 1, LC())
        if w is not None:
            self._boolean.add(w)

    def assert_nonzero(self, a) -> None:
        self.inverse(a)

    def is_boolean_known(self, a) -> bool:
        a = as_lc(a)
        k = a.constant_value()
        if k is not None:
            return k in (0, 1)
        w = a.single_wire()
        return w is not None and w in self._boolean

    def _mark_boolean(self, lc: LC) -> LC:
        w = lc.single_wire()
        if w is not None:
            self._boolean.add(w)
        return lc

    # ------------------------------------------------------------------ predicates
    def is_zero(self, a) -> LC:
        """1 if ``a == 0`` else 0 (two constraints, circomlib's IsZero)."""
        a = as_lc(a)
        k = a.constant_value()
        if k is not None:
            return LC.const(1 if k == 0 else 0)
        inv_w = self._new_wire()
        self._op(OP_INV, inv_w, self._plc(a), 0)
        # (-a) * inv = out - 1  (i.e. out = 1 - a*inv) ; a * out = 0
        out = self._new_wire(_INTERNAL_SOLVED)
        k1 = self._constraint(-a, LC.wire(inv_w), LC.wire(out) - 1)
        self._op(OP_SOLVE, out, k1, 0)
        self._constraint(a, LC.wire(out), LC())
        self._boolean.add(out)
        return LC.wire(out)

    def is_equal(self, a, b) -> LC:
        """1 if ``a == b`` else 0 (two constraints)."""
        return self.is_zero(as_lc(a) - as_lc(b))

    def select(self, cond, if_true, if_false) -> LC:
        """``if_true if cond else if_false``; ``cond`` must be boolean (asserted unless known).

        One constraint (none when the branches are equal constants)."""
        c, t, f = as_lc(cond), as_lc(if_true), as_lc(if_false)
        kc = c.constant_value()
        if kc is not None:
            if kc not in (0, 1):
                raise CircuitError(f"select on the non-boolean constant {kc}")
            return t if kc else f
        self.assert_boolean(c)
        d = t - f
        kd = d.constant_value()
        if kd is not None:  # linear in c
            return c.scaled(kd) + f
        out = self.mul_add(c, d, f)
        if self.is_boolean_known(t) and self.is_boolean_known(f):
            self._mark_boolean(out)
        return out

    def and_(self, a, b) -> LC:
        """Boolean and (one constraint; operands must be boolean)."""
        self.assert_boolean(a)
        self.assert_boolean(b)
        return self._mark_boolean(self.mul(a, b))

    def or_(self, a, b) -> LC:
        """Boolean or: a + b - a*b (one constraint)."""
        self.assert_boolean(a)
        self.assert_boolean(b)
        a, b = as_lc(a), as_lc(b)
        return a + b - self.mul(a, b)

    def not_(self, a) -> LC:
        self.assert_boolean(a)
        return 1 - as_lc(a)

    # ------------------------------------------------------------------ bits and ranges
    def to_bits(self, a, n: int = R_BITS) -> list[LC]:
        """Little-endian bits of ``a`` (n booleans + one linear constraint, circomlib's
        Num2Bits).  ``n`` = 254 adds the alias check (circomlib's Num2Bits_strict): the bits
        must encode a number below r, so ``a`` has exactly one decomposition."""
        if not 1 <= n <= R_BITS:
            raise CircuitError(f"to_bits: n must be in [1, {R_BITS}], got {n}")
        a = as_lc(a)
        k = a.constant_value()
        if k is not None:
            if k >> n:
                raise CircuitError(f"to_bits: the constant {k} does not fit in {n} bits")
            return [LC.const(b) for b in _bits_le(k, n)]
        src = self._plc(a)
        first = len(self._kind)
        for _ in range(n):
            self._new_wire()
        self._op(OP_BITS, first, src, n)
        bits = [LC.wire(first + i) for i in range(n)]
        for i, b in enumerate(bits):
            self._constraint(b, b - 1, LC())
            self._boolean.add(first + i)
        total = LC({first + i: pow(2, i, R) for i in range(n)})
        self._constraint(LC(), LC(), total - a)
        if n == R_BITS:
            self.assert_bits_le_const(bits, R - 1)
        return bits

    def from_bits(self, bits) -> LC:
        """``sum(bit_i * 2^i)``; each bit asserted boolean unless known (circomlib's Bits2Num
        leaves that to the caller; here it is enforced)."""
        out = LC()
        for i, b in enumerate(bits):
            self.assert_boolean(b)
            out = out.combine(as_lc(b), pow(2, i, R))
        return out

    def assert_bits_le_const(self, bits, bound: int) -> None:
        """Assert that the little-endian ``bits`` (booleans) encode a number <= ``bound``.

        Scans from the most significant bit keeping ``prefix_eq`` (the bits so far equal the
        bound's): at a 0 bit of the bound a set bit is only allowed once the prefix is
        already smaller.  About one constraint per bit."""
        n = len(bits)
        if bound >> n:
            return  # every n-bit number qualifies
        bits = [as_lc(b) for b in bits]
        trailing_ones = 0
        while (bound >> trailing_ones) & 1:
            trailing_ones += 1
        prefix = [None] * (n + 1)
        prefix[n] = LC.const(1)
        for i in range(n - 1, trailing_ones - 1, -1):
            prefix[i] = prefix[i + 1] if not (bound >> i) & 1 else self.mul(prefix[i + 1], bits[i])
        for i in range(n - 1, -1, -1):
            if not (bound >> i) & 1:
                # (1 - prefix_{i+1} - b_i) * b_i == 0
                t = LC.const(1) - prefix[i + 1] - bits[i]
                if t.is_constant() or bits[i].is_constant():
                    self.assert_zero(self.mul(t, bits[i]))
                else:
                    self._constraint(t, bits[i], LC())

    def assert_range(self, a, n: int) -> None:
        """``0 <= a < 2^n`` (n + 1 constraints)."""
        self.to_bits(a, n)

    def less_than(self, a, b, n: int, *, checked: bool = True) -> LC:
        """1 if ``a < b`` else 0, for ``a, b < 2^n`` (n <= 252).

        With ``checked`` (the default) both operands are range-checked to ``n`` bits first,
        so an out-of-range operand makes the witness unsatisfiable; ``checked=False`` is
        circomlib's LessThan (n + 1 constraints), sound only when the caller already
        bounds ``a`` and ``b``."""
        if not 1 <= n <= 252:
            raise CircuitError(f"less_than: n must be in [1, 252], got {n}")
        a, b = as_lc(a), as_lc(b)
        if checked:
            for v in (a, b):
                if v.constant_value() is None:
                    self.assert_range(v, n)
                elif v.constant_value() >> n:
                    raise CircuitError(f"less_than: constant {v.constant_value()} does not fit in {n} bits")
        bits = self.to_bits(a + (1 << n) - b, n + 1)
        return 1 - bits[n]

    def less_eq(self, a, b, n: int, *, checked: bool = True) -> LC:
        """1 if ``a <= b`` else 0 (``not b < a``)."""
        return 1 - self.less_than(b, a, n, checked=checked)

    def greater_than(self, a, b, n: int, *, checked: bool = True) -> LC:
        return self.less_than(b, a, n, checked=checked)

    def greater_eq(self, a, b, n: int, *, checked: bool = True) -> LC:
        return 1 - self.less_than(a, b, n, checked=checked)

    # ------------------------------------------------------------------ hints
    def hint(self, fn, *inputs, n_out: int = 1):
        """Witness-only computation: ``fn(*input_values) -> int | list[int]``.

        Returns one LC (``n_out`` = 1) or a list.  The outputs are unconstrained until the
        caller pins them; compiling fails if an output appears in no constraint."""
        if n_out < 1:
            raise CircuitError("hint: n_out must be >= 1")
        srcs = [self._plc(as_lc(x)) for x in inputs]
        first = len(self._kind)
        for _ in range(n_out):
            self._new_wire()
        self._hints.append(Hint(fn, srcs, first, n_out))
        self._op(OP_HINT, first, len(self._hints) - 1, n_out)
        outs = [LC.wire(first + i) for i in range(n_out)]
        return outs[0] if n_out == 1 else outs

    # ------------------------------------------------------------------ components
    def component(self, fn, *inputs, **params):
        """``fn(api, *inputs, **params)``, compiled once per process and stamped in.

        When every input is a plain wire, the gadget is recorded once into a template
        (its own constraint system over placeholder inputs) and copied here with wires
        renumbered in bulk, instead of re-running its Python code: this is what makes
        hash-heavy circuits compile fast.  Otherwise (constant or composite inputs, which
        may fold differently) ``fn`` simply runs on this builder.  ``fn`` must be a pure
        function of its inputs and parameters.  Returns what ``fn`` returns (an LC or a
        list of LCs)."""
        lcs = [as_lc(x) for x in inputs]
        wires = [lc.single_wire() for lc in lcs]
        if any(w is None for w in wires):
            return fn(self, *lcs, **params)
        key = (fn, len(lcs), tuple(sorted(params.items())))
        tpl = _TEMPLATES.get(key)
        if tpl is None:
            tpl = _Template.record(fn, len(lcs), params)
            _TEMPLATES[key] = tpl
        return tpl.stamp(self, wires)

    # ------------------------------------------------------------------ finishing
    def finalize(self, simplify: bool = True) -> tuple[R1CS, WitnessProgram]:
        """Order wires (one, outputs, public inputs, private inputs, internal) and freeze.

        With ``simplify`` (the default) linear constraints are eliminated by substituting
        an internal wire they define (:mod:`zkgate.circuits.simplify`, like circom's
        ``--O2``); the witness program still computes the eliminated wires (in its own
        numbering) and the solver returns the R1CS's wires only."""
        kind = np.frombuffer(bytes(self._kind), dtype=np.uint8)
        cat = np.where(kind == _INTERNAL_SOLVED, _INTERNAL, kind)

        # every hint output must be pinned by some constraint
        if self._hints:
            used = np.zeros(len(kind), dtype=bool)
            used[np.frombuffer(self._lc_wires, dtype=np.uint32)] = True
            for h in self._hints:
                if not used[h.out_start : h.out_start + h.n_out].all():
                    name = getattr(h.fn, "__qualname__", repr(h.fn))
                    raise CircuitError(f"hint {name} has an output that no constraint pins down")

        as_np = lambda a, dt: np.frombuffer(a, dtype=dt) if len(a) else np.zeros(0, dt)  # noqa: E731
        lc_off = as_np(self._lc_offsets, np.int64)
        lc_w = as_np(self._lc_wires, np.uint32)
        lc_c = as_np(self._lc_coeffs, np.uint32)
        simplified = None
        if simplify:
            simplified = eliminate_linear(lc_off, lc_w, lc_c, self._coeff_list, self._coeff, cat == _INTERNAL)
        out_wires = np.array([w for ws, _ in self._outputs.values() for w in ws], dtype=np.int64)
        order = np.concatenate([
            np.zeros(1, dtype=np.int64),
            out_wires,  # outputs in declaration order
            np.nonzero(cat == _PUB)[0],
            np.nonzero(cat == _PRV)[0],
            np.nonzero(cat == _INTERNAL)[0],
        ])
        perm = np.empty_like(order)
        perm[order] = np.arange(len(order))
        perm = perm.astype(np.uint32)
        n_out = int(np.count_nonzero(cat == _OUT))
        n_pub = int(np.count_nonzero(cat == _PUB))
        n_prv = int(np.count_nonzero(cat == _PRV))

        lc_wires = perm[lc_w] if len(lc_w) else np.zeros(0, np.uint32)
        plc_wires = perm[np.frombuffer(self._plc_wires, dtype=np.uint32)] if len(self._plc_wires) else np.zeros(0, np.uint32)
        op_out = perm[np.frombuffer(self._op_out, dtype=np.uint32)] if len(self._op_out) else np.zeros(0, np.uint32)
        hints = [Hint(h.fn, h.srcs, int(perm[h.out_start]), h.n_out) for h in self._hints]
        witness_wires = None
        if simplified is None:
            n_r1cs_wires = len(kind)
            r_off, r_wires, r_coeffs = lc_off.copy(), lc_wires, lc_c.copy()
            p_off = p_wires = p_coeffs = None  # the program solves from the R1CS itself
        else:
            # The program keeps its numbering (groups of bits / hint outputs stay
            # contiguous); the R1CS numbers the surviving wires densely, in the same order.
            # Eliminated wires are internal, so inputs and outputs have the same index in both.
            gone = np.zeros(len(kind), dtype=bool)
            gone[perm[simplified[3]]] = True
            witness_wires = np.nonzero(~gone)[0].astype(np.int64)
            dense = np.cumsum(~gone, dtype=np.int64) - 1  # program wire -> R1CS wire
            n_r1cs_wires = len(witness_wires)
            r_off, r_wires, r_coeffs = simplified[0], dense[perm[simplified[1]]].astype(np.uint32), simplified[2]
            p_off, p_wires, p_coeffs = lc_off.copy(), lc_wires, lc_c.copy()

        coeff_table = coeffs_to_limbs(self._coeff_list)
        r1cs = R1CS(
            n_wires=n_r1cs_wires,
            n_pub_out=n_out,
            n_pub_in=n_pub,
            n_prv_in=n_prv,
            n_labels=len(kind),
            lc_offsets=r_off,
            lc_wires=r_wires,
            lc_coeffs=r_coeffs,
            coeff_table=coeff_table,
            wire_to_label=np.arange(n_r1cs_wires, dtype=np.uint64),
        )
        inputs = {name: (pub, [int(perm[w]) for w in ws], is_list) for name, (pub, ws, is_list) in self._inputs.items()}
        outputs = {name: ([int(perm[w]) for w in ws], is_list) for name, (ws, is_list) in self._outputs.items()}
        program = WitnessProgram(
            n_wires=len(kind),
            op_kind=np.frombuffer(self._op_kind, dtype=np.uint8).copy(),
            op_out=op_out,
            op_arg=np.frombuffer(self._op_arg, dtype=np.int64).copy(),
            op_aux=np.frombuffer(self._op_aux, dtype=np.int64).copy(),
            plc_offsets=np.frombuffer(self._plc_offsets, dtype=np.int64).copy(),
            plc_wires=plc_wires,
            plc_coeffs=np.frombuffer(self._plc_coeffs, dtype=np.uint32).copy(),
            hints=hints,
            inputs=inputs,
            outputs=outputs,
            lc_offsets=p_off,
            lc_wires=p_wires,
            lc_coeffs=p_coeffs,
            witness_wires=witness_wires,
        )
        return r1cs, program


_TEMPLATES: dict = {}


class _Template:
    """A recorded gadget: a Builder whose wires 1..k are the placeholder inputs."""

    @classmethod
    def record(cls, fn, k: int, params: dict) -> _Template:
        sub = Builder()
        ins = [LC.wire(sub._new_wire(_PRV)) for _ in range(k)]
        out = fn(sub, *ins, **params)
        self = cls()
        self.k = k
        self.is_list = isinstance(out, (list, tuple))
        self.outputs = [as_lc(o) for o in (out if self.is_list else [out])]
        self.kind = bytes(sub._kind[k + 1 :])
        self.n_wires = len(sub._kind)
        self.coeffs = sub._coeff_list
        as_np = lambda a, dt: np.frombuffer(a, dtype=dt).copy() if len(a) else np.zeros(0, dt)  # noqa: E731
        self.lc_offsets = as_np(sub._lc_offsets, np.int64)
        self.lc_wires = as_np(sub._lc_wires, np.uint32)
        self.lc_coeffs = as_np(sub._lc_coeffs, np.uint32)
        self.plc_offsets = as_np(sub._plc_offsets, np.int64)
        self.plc_wires = as_np(sub._plc_wires, np.uint32)
        self.plc_coeffs = as_np(sub._plc_coeffs, np.uint32)
        self.op_kind = as_np(sub._op_kind, np.uint8)
        self.op_out = as_np(sub._op_out, np.uint32)
        self.op_arg = as_np(sub._op_arg, np.int64)
        self.op_aux = as_np(sub._op_aux, np.int64)
        self.hints = sub._hints
        self.boolean = np.array(sorted(sub._boolean), dtype=np.int64)
        return self

    def stamp(self, api: Builder, inputs: list[int]):
        base = len(api._kind)
        wmap = np.empty(self.n_wires, dtype=np.int64)
        wmap[0] = 0
        wmap[1 : self.k + 1] = inputs
        wmap[self.k + 1 :] = np.arange(base, base + self.n_wires - self.k - 1)
        cache = api.__dict__.setdefault("_tpl_cmaps", {})
        cmap = cache.get(id(self))
        if cmap is None:
            cmap = np.array([api._coeff(c) for c in self.coeffs], dtype=np.uint32)
            cache[id(self)] = cmap
        api._kind.extend(self.kind)
        c_base = api.num_constraints
        p_base = len(api._plc_offsets) - 1
        h_base = len(api._hints)
        lw0, pw0 = len(api._lc_wires), len(api._plc_wires)
        api._lc_wires.frombytes(wmap[self.lc_wires].astype(np.uint32).tobytes())
        api._lc_coeffs.frombytes(cmap[self.lc_coeffs].tobytes())
        api._lc_offsets.frombytes((self.lc_offsets[1:] + lw0).tobytes())
        api._plc_wires.frombytes(wmap[self.plc_wires].astype(np.uint32).tobytes())
        api._plc_coeffs.frombytes(cmap[self.plc_coeffs].tobytes())
        api._plc_offsets.frombytes((self.plc_offsets[1:] + pw0).tobytes())
        kind = self.op_kind
        arg = self.op_arg.copy()
        aux = self.op_aux.copy()
        arg[kind == OP_SOLVE] += c_base
        arg[(kind == OP_INV) | (kind == OP_DIV) | (kind == OP_BITS)] += p_base
        aux[kind == OP_DIV] += p_base
        arg[kind == OP_HINT] += h_base
        api._op_kind.frombytes(kind.tobytes())
        api._op_out.frombytes(wmap[self.op_out].astype(np.uint32).tobytes())
        api._op_arg.frombytes(arg.tobytes())
        api._op_aux.frombytes(aux.tobytes())
        for h in self.hints:
            api._hints.append(Hint(h.fn, [s + p_base for s in h.srcs], int(wmap[h.out_start]), h.n_out))
        api._boolean.update(wmap[self.boolean].tolist())
        outs = [LC({int(wmap[w]): c for w, c in o.terms.items()}) for o in self.outputs]
        return outs if self.is_list else outs[0]


__all__ = ["Builder"]
