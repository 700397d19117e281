"""The study specification: what is asked, of whom, under which keys.

A :class:`StudySpec` holds the compiled question (:class:`~zkgate.study.question.Question`:
a predicate tree, GROUP BY columns and aggregates of the statistics registry; the committed
coordinates are its moments per cell, :mod:`zkgate.study.statistics.moments`), the minimum
cell size ``k`` for small-cell suppression (0: none), the expected participants with their
registered data set roots and signing keys, quorum, deadline, the HE preset with the public context's key id
and digest, the contribution circuit's verifying-key hash and ceremony transcript hash,
and the gateway's and key holder's signing keys.  Values in the spec are in declared
units; the circuit works on stored (offset) values.

Study id: ``poseidon_sponge([TAG_STUDY, constants..., rest])`` with the question's predicate
constants then histogram edges in stored units (:meth:`Question.constants`) and ``rest =
poseidon_sponge(bytes_to_field_elements(spec.to_bytes()))`` (the whole canonical encoding),
so the id is a field element (< r), the contribution circuit can bind the constants to it, and
it commits to everything else (the SQL text, aliases and functions too).  The encoding is
version 2 (version 1 carried a filter of ranges and equalities and a statistics list; such a
request is converted with :func:`zkgate.study.legacy.legacy_question`).

The HE preset is part of the canonical encoding (``he_preset``), so the study id covers the
choice between the two release modes (:attr:`StudySpec.release_mode`):

* a **BFV** preset gives the exact, verifiable release: ``s_i`` and the commitment
  randomness ``ρ_i`` (in limbs) are encrypted, and the key holder publishes ``S`` and ``P``;
* a **CKKS** preset gives an approximate, *unverified* release: contributors still prove
  every chunk and commit to it exactly as with BFV, but encrypt ``s_i`` only (as reals; no
  ``ρ`` field, since ``P`` is never published), and the key holder publishes ``S`` rounded
  to integers without being able to check it against the commitments.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.circuits.poseidon import poseidon_sponge
from zkgate.he.layout import Field, SlotLayout, max_safe_limb_bits
from zkgate.he.presets import PRESETS, HEParams
from zkgate.study import encoding as enc
from zkgate.study.catalog import Registration, check_name
from zkgate.study.commitment import check_capacity
from zkgate.study.dataset import Schema
from zkgate.study.errors import MessageFormatError, SchemaError, SpecError, UnknownParticipantError
from zkgate.study.identity import check_key_ref, check_public_key
from zkgate.study.key_committee import KeyCommittee
from zkgate.study.legacy import EqualsCondition, Filter, RangeCondition, Statistic, legacy_question
from zkgate.study.question import MAX_COORDINATES, Question
from zkgate.study.statistics import moments as mom
from zkgate.study.universal import TAG_STUDY_UNIVERSAL, UniversalParams
from zkgate.study.universal import encode as universal_encode

KIND = "study-spec"
SPEC_VERSION = 2  # 1: filter (ranges, equalities) and statistics list; 2: the compiled question, min_cell_size
TAG_STUDY = int.from_bytes(b"zkgate/study/id/v2", "big")
TAG_STUDY_V1 = int.from_bytes(b"zkgate/study/id/v1", "big")
MAX_V1_BINS = 64
MAX_PARTICIPANTS = 4096
MAX_MIN_CELL_SIZE = 1 << 32


@dataclass(frozen=True)
class Participant:
    """An expected participant: its name, registered data set root and size, signing key.

    ``verify_key`` names the registered key: a classical Ed25519 key itself (32 bytes), a
    hybrid Ed25519+ML-DSA-65 key by reference (33 bytes, :func:`zkgate.study.identity.key_ref`;
    the key travels in the catalog and in the participant's submissions)."""

    name: str
    root: int
    n_chunks: int
    verify_key: bytes

    @classmethod
    def from_registration(cls, reg: Registration) -> Participant:
        return cls(reg.participant, reg.root, reg.n_chunks, reg.key_ref)


@dataclass(frozen=True)
class CircuitShape:
    """What the compiled contribution circuit depends on (constants stay witness values): the
    columns' names and stored widths, the chunk capacity, the predicate's structure
    (:func:`~zkgate.study.question.predicate_shape`), the group columns as ``(name, first stored
    key, number of categories)`` and the moments as ``(kind, columns, number of edges)``."""

    names: tuple[str, ...]
    col_bits: tuple[int, ...]
    capacity: int
    predicate: object
    groups: tuple[tuple[str, int, int], ...]
    moments: tuple[tuple[str, tuple[str, ...], int], ...]

    @property
    def n_cells(self) -> int:
        n = 1
        for _, _, size in self.groups:
            n *= size
        return n

    def params(self) -> dict:
        return {"names": self.names, "col_bits": self.col_bits, "capacity": self.capacity,
                "predicate": self.predicate, "groups": self.groups, "moments": self.moments}


@dataclass(frozen=True)
class V1Form:
    """The filter and statistics of a version-1 spec, as it encoded them.  Such a study (made before
    compiled questions) is still read, verified and derived — its question is
    :func:`~zkgate.study.legacy.legacy_question` of this form, its coordinates in version-1 order
    (count, then each statistic in spec order) — but no new contribution can be proved for it."""

    filter: Filter
    statistics: tuple[Statistic, ...]

    def names(self) -> list[tuple[str, str]]:
        """(version-1 name, moment coordinate name) of each coordinate, in version-1 order."""
        out = [("count", "count")]
        for st in self.statistics:
            c = st.column
            if st.kind == "sum":
                out.append((f"sum_{c}", f"sum({c})"))
            elif st.kind == "sum_sq":
                out.append((f"sum_sq_{c}", f"prod({c},{c})"))
            else:
                out += [(f"hist_{c}[{b}]", f"hist({c})[{b}]") for b in range(len(st.edges) - 1)]
        return out


@dataclass(frozen=True)
class StudySpec:
    title: str
    schema: Schema
    capacity: int
    question: Question
    participants: tuple[Participant, ...]
    quorum: int
    deadline: int  # unix seconds
    he_preset: str
    he_key_id: bytes
    he_context_digest: bytes
    vk_hash: bytes
    transcript_hash: bytes
    gateway_key: bytes
    key_holder_key: bytes
    nonce: bytes
    dev_keys: bool = False
    min_cell_size: int = 0  # k: cells with fewer records are withheld at release (0: no suppression)
    v1: V1Form | None = None  # set only when decoding a version-1 spec (see V1Form)
    universal: UniversalParams | None = None  # the universal circuit's key parameters (None: per-shape, issue 21)
    committee: KeyCommittee | None = None  # the key committee holding the joint HE key (None: one key holder)
    _cache: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        try:
            self._validate()
        except SchemaError as exc:
            raise SpecError(str(exc)) from exc

    # -- validation -------------------------------------------------------------------------
    def _validate(self) -> None:
        if type(self.title) is not str or len(self.title.encode()) > 256:
            raise SpecError("title must be a string of at most 256 bytes")
        if not isinstance(self.schema, Schema):
            raise SpecError("schema must be a Schema")
        check_capacity(self.capacity)
        s = self.schema
        if not isinstance(self.question, Question):
            raise SpecError("question must be a Question (see zkgate.study.question; legacy_question converts a filter "
                            "and statistics)")
        self.question.check(s)
        if self.v1 is not None:
            if not isinstance(self.v1, V1Form) or self.question != legacy_question(self.v1.filter, self.v1.statistics):
                raise SpecError("a version-1 spec's question is the conversion of its filter and statistics")
            if self.min_cell_size:
                raise SpecError("a version-1 spec has no minimum cell size")
            for st in self.v1.statistics:
                if st.kind == "histogram" and len(st.edges) > MAX_V1_BINS + 1:
                    raise SpecError(f"histogram of {st.column!r}: give 2..{MAX_V1_BINS + 1} integer edges")
        if self.universal is not None:
            u = self.universal
            if not isinstance(u, UniversalParams) or self.v1 is not None:
                raise SpecError("universal must be UniversalParams (zkgate.study.universal), in a version-2 spec")
            if u.schema != s or u.capacity != self.capacity:
                raise SpecError("the universal key was made for another schema or chunk capacity than the study's")
            self._cache["universal"] = universal_encode(self.question, u)  # refuses, naming the key's limit
        if type(self.min_cell_size) is not int or not 0 <= self.min_cell_size <= MAX_MIN_CELL_SIZE:
            raise SpecError(f"min_cell_size must be an int in [0, {MAX_MIN_CELL_SIZE}], got {self.min_cell_size!r}")
        if not isinstance(self.participants, tuple) or not 1 <= len(self.participants) <= MAX_PARTICIPANTS:
            raise SpecError(f"a study needs 1..{MAX_PARTICIPANTS} participants")
        pn = [p.name for p in self.participants]
        if len(set(pn)) != len(pn):
            raise SpecError("participants must be distinct")
        for p in self.participants:
            check_name(p.name)
            if type(p.n_chunks) is not int or not 1 <= p.n_chunks <= 1 << 32:
                raise SpecError(f"participant {p.name!r}: n_chunks must be a positive int")
            try:
                check_key_ref(p.verify_key, f"participant {p.name!r}: verify key")
            except MessageFormatError as exc:
                raise SpecError(str(exc)) from None
        if type(self.quorum) is not int or not 1 <= self.quorum <= len(self.participants):
            raise SpecError(f"quorum must be in [1, {len(self.participants)}], got {self.quorum!r}")
        if type(self.deadline) is not int or not 0 <= self.deadline < 1 << 63:
            raise SpecError("deadline must be unix seconds (a non-negative int)")
        if self.he_preset not in PRESETS:
            raise SpecError(f"unknown HE preset {self.he_preset!r}; choose one of {sorted(PRESETS)}")
        for name in ("gateway_key", "key_holder_key"):  # Ed25519 (32 bytes) or Ed25519+ML-DSA-65 (1,984)
            try:
                check_public_key(getattr(self, name), name)
            except MessageFormatError as exc:
                raise SpecError(str(exc)) from None
        for name in ("he_key_id", "he_context_digest", "vk_hash", "transcript_hash"):
            v = getattr(self, name)
            if type(v) is not bytes or len(v) != 32:
                raise SpecError(f"{name} must be 32 bytes")
        if type(self.nonce) is not bytes or len(self.nonce) != 16:
            raise SpecError("nonce must be 16 bytes")
        if type(self.dev_keys) is not bool:
            raise SpecError("dev_keys must be a bool")
        if self.committee is not None:  # issue 23: every member approved the joint key the spec names
            if not isinstance(self.committee, KeyCommittee) or self.v1 is not None:
                raise SpecError("committee must be a KeyCommittee (zkgate.study.key_committee), in a version-2 spec")
            if self.params.scheme != "bfv":
                raise SpecError("a key committee decrypts BFV studies only")
            if self.quorum < 3:
                raise SpecError(f"a study decrypted by a key committee needs quorum >= 3, got {self.quorum}: with two "
                                "contributions each participant learns the other's from the released sum")
            self._cache["committee_id"] = self.committee.check(self.params, self.he_key_id, len(self.participants))
        for j, b in enumerate(self.value_bounds()):
            if b >= L:
                raise SpecError(f"statistic {self.value_names()[j]!r} could reach {b}, not below the subgroup order l")

    # -- derived ----------------------------------------------------------------------------
    @property
    def params(self) -> HEParams:
        return PRESETS[self.he_preset]

    @property
    def committee_id(self) -> bytes | None:
        """The key committee's id (the hash of its roster), or None for a single key holder."""
        return self._cache.get("committee_id") if self.committee is not None else None

    @property
    def release_mode(self) -> str:
        """``"exact"`` (BFV: verifiable, publishes S and P) or ``"ckks"`` (approximate, unverified,
        never publishes P)."""
        return "exact" if self.params.scheme == "bfv" else "ckks"

    @property
    def total_chunks(self) -> int:
        return sum(p.n_chunks for p in self.participants)

    def participant(self, name: str) -> Participant:
        for p in self.participants:
            if p.name == name:
                return p

        raise UnknownParticipantError(f"{name!r} is not an expected participant of this study")

    def _v1_order(self) -> list[int]:
        """Version 1: the question coordinate index of each version-1 coordinate."""
        if "v1_order" not in self._cache:
            where = {n: i for i, n in enumerate(mom.coordinate_names(self.question, self.schema))}
            self._cache["v1_order"] = [where[moment_name] for _, moment_name in self.v1.names()]
        return self._cache["v1_order"]

    def shape(self) -> CircuitShape:
        """The per-shape circuit's shape (a universal study proves with
        :func:`zkgate.study.universal_circuit.compile_for`; its shape is still the question's)."""
        if self.v1 is not None:
            raise SpecError("this is a version-1 study (made before compiled questions): it can be verified, but its "
                            "contribution circuit is no longer built; open a new study")
        s, q = self.schema, self.question
        groups = tuple((g, s.column(g).store(s.column(g).lo), s.column(g).hi - s.column(g).lo + 1) for g in q.group_by)
        pred, _, moments = q.shape(s)
        return CircuitShape(s.names, s.bits, self.capacity, pred, groups, moments)

    def moments(self) -> list:
        """The committed moments of one cell (:meth:`Question.moments`)."""
        if "moments" not in self._cache:
            self._cache["moments"] = self.question.moments(self.schema)
        return self._cache["moments"]

    @property
    def n_cells(self) -> int:
        return len(self.question.cells(self.schema))

    def value_names(self) -> list[str]:
        """Names of the committed coordinates ``s_j``, cell-major (count first in each cell;
        histogram bins indexed; ``[key]`` prefixes under GROUP BY)."""
        if self.v1 is not None:
            return [name for name, _ in self.v1.names()]
        return mom.coordinate_names(self.question, self.schema)

    def per_record_bounds(self) -> list[int]:
        bounds = mom.record_bounds(self.question, self.schema)
        return bounds if self.v1 is None else [bounds[i] for i in self._v1_order()]

    def chunk_bounds(self) -> list[int]:
        """Largest value of each coordinate for one chunk."""
        return [b * self.capacity for b in self.per_record_bounds()]

    def value_bounds(self) -> list[int]:
        """Declared bound of each released ``S_j`` (every record of every participant)."""
        return [b * self.total_chunks for b in self.chunk_bounds()]

    def constants(self) -> list[int]:
        """The predicate constants then histogram edges, in stored units (the circuit's private
        constants, bound into the study id).  Version 1: range lo..., hi..., equality values, edges."""
        if self.v1 is not None:
            off = lambda name: self.schema.column(name).offset  # noqa: E731
            f = self.v1.filter
            return ([r.lo - off(r.column) for r in f.ranges] + [r.hi - off(r.column) for r in f.ranges]
                    + [e.value - off(e.column) for e in f.equals]
                    + [x - off(st.column) for st in self.v1.statistics if st.kind == "histogram" for x in st.edges])
        return self.question.constants(self.schema)

    filter_constants = constants  # the name of earlier releases

    def universal_constants(self) -> list[int]:
        """A universal study's constants (:func:`zkgate.study.universal.encode` of the question)."""
        if self.universal is None:
            raise SpecError("this study uses a per-shape circuit")
        return self._cache["universal"]

    def derive(self, values) -> dict:
        """Every aggregate's result from released coordinates (:func:`moments.derive`)."""
        values = [int(v) for v in values]
        if self.v1 is not None:  # version-1 order -> the question's
            if len(values) != len(self._v1_order()):
                raise ValueError(f"expected {len(self._v1_order())} coordinates, got {len(values)}")
            ordered = [0] * len(values)
            for j, i in enumerate(self._v1_order()):
                ordered[i] = values[j]
            values = ordered
        return mom.derive(self.question, self.schema, values)

    def rest_element(self) -> int:
        if "rest" not in self._cache:
            self._cache["rest"] = _rest_of(self.to_bytes())
        return self._cache["rest"]

    @property
    def study_id(self) -> int:
        if "id" not in self._cache:
            if self.universal is not None:  # the question's encoding for the universal circuit
                self._cache["id"] = poseidon_sponge([TAG_STUDY_UNIVERSAL, *self.universal_constants(),
                                                     self.rest_element()])
                return self._cache["id"]
            tag = TAG_STUDY if self.v1 is None else TAG_STUDY_V1
            self._cache["id"] = poseidon_sponge([tag, *self.constants(), self.rest_element()])
        return self._cache["id"]

    @property
    def study_id_bytes(self) -> bytes:
        return enc.fe_bytes(self.study_id)

    def _fields(self) -> list[tuple[str, int, int]]:
        """``(field name, per-record bound, length)`` of each HE field: one field per moment, holding
        that moment's coordinates of every cell (cell after cell); ``count`` first."""
        if self.v1 is not None:  # one field per statistic, in spec order (version 1)
            bounds = self.per_record_bounds()
            out, pos = [("count", 1, 1)], 1
            for st in self.v1.statistics:
                width = len(st.edges) - 1 if st.kind == "histogram" else 1
                out.append((st.name, bounds[pos], width))
                pos += width
            return out
        out, seen = [], set()
        n_cells = self.n_cells
        for i, m in enumerate(self.moments()):
            c = m.columns
            name = {"count": "count", "sum": f"sum_{c[0] if c else ''}", "hist": f"hist_{c[0] if c else ''}",
                    "prod": (f"sum_sq_{c[0]}" if len(c) == 2 and c[0] == c[1] else f"prod_{'_'.join(c)}")}.get(m.kind, "")
            if not name or len(name) > 60 or name in seen or name == "rho":
                name = f"m{i}_{m.kind}"  # readable names where they fit (the names of earlier releases)
            seen.add(name)
            out.append((name, mom.per_record_bounds(m, self.schema)[0], m.width * n_cells))
        return out

    def layout(self) -> SlotLayout:
        """The HE slot layout: one field per committed moment (count first; each holds the moment's
        coordinates of every cell) and, for BFV, the randomness ``rho``, split into limbs where a
        sum over all participants could overflow (checked).

        CKKS: the same fields (real slots, no limbs; the overflow guard keeps every sum inside the
        data modulus and float64 headroom of the release quantum) and no ``rho``: the approximate
        release never publishes ``P``, so ``ρ_i`` never leaves the holder."""
        if "layout" in self._cache:
            return self._cache["layout"]
        params = self.params
        n = len(self.participants)
        per_part = max(p.n_chunks for p in self.participants) * self.capacity
        if params.scheme == "ckks":
            layout = SlotLayout(tuple(Field(name, b * per_part, length) for name, b, length in self._fields()), n)
            layout.check(params)
            self._cache["layout"] = layout
            return layout
        limb = max_safe_limb_bits(params, n)

        def fld(name: str, maximum: int, length: int = 1) -> Field:
            fits = maximum * n < params.safe_bound
            return Field(name, maximum, length, 0 if fits else limb)

        fields = [fld(name, b * per_part, length) for name, b, length in self._fields()]
        slots = sum(f.width for f in fields)
        if self.v1 is None and slots > MAX_COORDINATES:
            n_coords = sum(f.length for f in fields)
            raise SpecError(f"the question commits {self.n_cells} cell(s) × {n_coords // max(1, self.n_cells)} "
                            f"statistic(s) × limbs = {slots} HE slots (with {len(self.participants)} participants on "
                            f"{self.he_preset}, large sums split into limbs); at most {MAX_COORDINATES}: ask fewer "
                            "cells or statistics, or use a larger preset")
        fields.append(Field("rho", max(p.n_chunks for p in self.participants) * (L - 1), 1, limb))
        layout = SlotLayout(tuple(fields), n)
        layout.check(params)
        self._cache["layout"] = layout
        return layout

    def split_values(self, values: list[int]) -> dict:
        """Coordinate list (cell-major) -> ``{field: value or list}`` for the HE layout (without rho)."""
        values = list(values)
        if self.v1 is not None:
            out, pos = {}, 0
            for name, _, length in self._fields():
                out[name] = values[pos] if length == 1 else values[pos : pos + length]
                pos += length
            return out
        moments, n_cells = self.moments(), self.n_cells
        width = sum(m.width for m in moments)
        if len(values) != width * n_cells:
            raise SpecError(f"expected {width * n_cells} coordinates, got {len(values)}")
        out, pos = {}, 0
        for (name, _, length), m in zip(self._fields(), moments):
            vs = [x for c in range(n_cells) for x in values[c * width + pos : c * width + pos + m.width]]
            out[name] = vs[0] if length == 1 else vs
            pos += m.width
        return out

    def join_values(self, decoded: dict) -> list:
        """The inverse of :meth:`split_values` (values as decoded: ints, or floats for CKKS)."""
        if self.v1 is not None:
            flat = []
            for name, _, _ in self._fields():
                v = decoded[name]
                flat += list(v) if isinstance(v, (list, tuple)) else [v]
            return [int(x) if isinstance(x, int) else x for x in flat]
        moments, n_cells = self.moments(), self.n_cells
        width = sum(m.width for m in moments)
        out = [0] * (width * n_cells)
        pos = 0
        for (name, _, _), m in zip(self._fields(), moments):
            v = decoded[name]
            vs = list(v) if isinstance(v, (list, tuple)) else [v]
            for c in range(n_cells):
                for b in range(m.width):
                    x = vs[c * m.width + b]
                    out[c * width + pos + b] = int(x) if isinstance(x, int) else x
            pos += m.width
        return out

    # -- encoding ---------------------------------------------------------------------------
    def to_obj(self) -> list:
        if self.v1 is not None:
            f = self.v1.filter
            question = [[[r.column, r.lo, r.hi] for r in f.ranges], [[e.column, e.value] for e in f.equals],
                        [[st.kind, st.column, list(st.edges)] for st in self.v1.statistics]]
            head = [KIND, 1]
        else:
            question, head = [self.question.to_obj(), self.min_cell_size], [KIND, SPEC_VERSION]
        return head + [
            self.title,
            self.schema.to_obj(),
            self.capacity,
            *question,
            [[p.name, enc.fe_bytes(p.root), p.n_chunks, p.verify_key] for p in self.participants],
            self.quorum,
            self.deadline,
            self.he_preset,
            self.he_key_id,
            self.he_context_digest,
            self.vk_hash,
            self.transcript_hash,
            self.gateway_key,
            self.key_holder_key,
            self.nonce,
            self.dev_keys,
        ] + ([["universal", self.universal.to_obj()]] if self.universal is not None else []) + (
            [["committee", self.committee.to_obj()]] if self.committee is not None else [])

    def to_bytes(self) -> bytes:
        if "bytes" not in self._cache:
            self._cache["bytes"] = enc.pack(self.to_obj())
        return self._cache["bytes"]

    @classmethod
    def from_bytes(cls, data: bytes) -> StudySpec:
        version, it = enc.unpack_versioned(data, KIND, (1, SPEC_VERSION))
        if version == 1:
            return cls._from_v1(data, it)
        if not 17 <= len(it) <= 19:
            raise MessageFormatError(f"{KIND}: expected 17 items (then the optional universal and committee items)")
        try:
            universal = committee = None
            for x in it[17:]:  # optional ["universal", key parameters] (issue 21), ["committee", ...] (issue 23)
                u = enc.read_list(x, "spec extension", 2)
                if u[0] == "universal" and universal is None and committee is None:
                    universal = UniversalParams.from_obj(Schema.from_obj(it[1]), enc.read_int(it[2], "capacity"), u[1])
                elif u[0] == "committee" and committee is None:
                    committee = KeyCommittee.from_obj(u[1])
                else:
                    raise MessageFormatError(f"{KIND}: unknown or repeated item {u[0]!r}")
            spec = cls(
                universal=universal, committee=committee,
                title=enc.read_str(it[0], "title"),
                schema=Schema.from_obj(it[1]),
                capacity=enc.read_int(it[2], "capacity"),
                question=Question.from_obj(it[3]),
                min_cell_size=enc.read_int(it[4], "min_cell_size"),
                **cls._common_from(it[5:]),
            )
        except SpecError as exc:
            raise MessageFormatError(f"{KIND}: {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise MessageFormatError(f"{KIND}: malformed ({exc})") from exc
        enc.check_canonical(data, spec, KIND)
        return spec

    @classmethod
    def _from_v1(cls, data: bytes, it: list) -> StudySpec:
        """A version-1 spec (filter and statistics): read for verification (see :class:`V1Form`)."""
        if len(it) != 18:
            raise MessageFormatError(f"{KIND}: version 1 has 18 items")
        try:
            rl = enc.read_list
            v1 = V1Form(
                Filter(
                    tuple(RangeCondition(enc.read_str(c, "column"), enc.read_int(a, "lo"), enc.read_int(b, "hi"))
                          for c, a, b in (rl(x, "range", 3) for x in rl(it[3], "ranges", max_len=16))),
                    tuple(EqualsCondition(enc.read_str(c, "column"), enc.read_int(v, "value"))
                          for c, v in (rl(x, "equality", 2) for x in rl(it[4], "equals", max_len=16))),
                ),
                tuple(Statistic(enc.read_str(k, "kind"), enc.read_str(c, "column"),
                                tuple(enc.read_int(e, "edge") for e in rl(es, "edges", max_len=MAX_V1_BINS + 1)))
                      for k, c, es in (rl(x, "statistic", 3) for x in rl(it[5], "statistics", max_len=16))),
            )
            spec = cls(
                title=enc.read_str(it[0], "title"),
                schema=Schema.from_obj(it[1]),
                capacity=enc.read_int(it[2], "capacity"),
                question=legacy_question(v1.filter, v1.statistics),
                v1=v1,
                **cls._common_from(it[6:]),
            )
        except SpecError as exc:
            raise MessageFormatError(f"{KIND}: {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise MessageFormatError(f"{KIND}: malformed ({exc})") from exc
        enc.check_canonical(data, spec, KIND)
        return spec

    @staticmethod
    def _common_from(it: list) -> dict:
        """The fields after the question, in both versions."""
        rl = enc.read_list
        return dict(
            participants=tuple(
                Participant(enc.read_str(n, "participant", 128), enc.read_fe(r, "root"),
                            enc.read_int(k, "n_chunks"), check_key_ref(v, "verify key"))
                for n, r, k, v in (rl(x, "participant", 4) for x in rl(it[0], "participants", max_len=MAX_PARTICIPANTS))
            ),
            quorum=enc.read_int(it[1], "quorum"),
            deadline=enc.read_int(it[2], "deadline"),
            he_preset=enc.read_str(it[3], "he_preset", 64),
            he_key_id=enc.read_bytes(it[4], "he_key_id", 32),
            he_context_digest=enc.read_bytes(it[5], "he_context_digest", 32),
            vk_hash=enc.read_bytes(it[6], "vk_hash", 32),
            transcript_hash=enc.read_bytes(it[7], "transcript_hash", 32),
            gateway_key=check_public_key(it[8], "gateway_key"),
            key_holder_key=check_public_key(it[9], "key_holder_key"),
            nonce=enc.read_bytes(it[10], "nonce", 16),
            dev_keys=enc.read_bool(it[11], "dev_keys"),
        )

    def with_keys(self, **changes) -> StudySpec:
        return replace(self, _cache={}, **changes)


@lru_cache(maxsize=64)
def _rest_of(data: bytes) -> int:
    """The Poseidon sponge over a spec's canonical bytes (the study id's last input), cached by the bytes:
    every party in one process (a gateway, a demo, a test) parses the same spec many times, and a spec
    carrying hybrid keys or a committee's approvals is tens of kilobytes — about a second of pure-Python
    Poseidon each time."""
    return poseidon_sponge(enc.bytes_to_field_elements(data))


def check_registrations(spec: StudySpec, registrations) -> None:
    """Every participant's registration matches the spec's schema, capacity, root and key."""
    regs = {r.participant: r for r in registrations}
    for p in spec.participants:
        r = regs.get(p.name)
        if r is None:
            raise SpecError(f"participant {p.name!r} has no registration")
        r.verify()
        if r.schema != spec.schema or r.capacity != spec.capacity:
            first = spec.participants[0].name
            raise SpecError(
                f"participant {p.name!r} registered its data set with another schema or chunk capacity than the "
                f"study's (taken from {first!r}'s registration): {schema_difference(spec.schema, spec.capacity, r.schema, r.capacity)}; "
                "every participant must register the same columns, ranges and --chunk (re-register under another name)"
            )
        if (r.root, r.n_chunks, r.key_ref) != (p.root, p.n_chunks, p.verify_key):
            raise SpecError(f"participant {p.name!r}: root, size or key differ from its registration")


def schema_difference(schema, capacity: int, other, other_capacity: int) -> str:
    """What differs between two registrations' schemas and chunk capacities, column by column
    (``schema`` is the study's, ``other`` the participant's)."""
    out = []
    mine, theirs = {c.name: c for c in schema.columns}, {c.name: c for c in other.columns}
    for c in schema.columns:
        o = theirs.get(c.name)
        if o is None:
            out.append(f"column {c.name!r} is missing")
        elif (o.lo, o.hi) != (c.lo, c.hi):
            out.append(f"column {c.name!r} has range [{o.lo}, {o.hi}] instead of [{c.lo}, {c.hi}]")
    out += [f"column {o.name!r} is extra" for o in other.columns if o.name not in mine]
    if not out and schema.names != other.names:
        out.append(f"the columns are in another order ({', '.join(other.names)} instead of {', '.join(schema.names)})")
    if other_capacity != capacity:
        out.append(f"chunk capacity {other_capacity} instead of {capacity}")
    return "; ".join(out) or "the schemas differ"


__all__ = [
    "CircuitShape", "EqualsCondition", "Filter", "Participant", "RangeCondition", "Statistic", "StudySpec",
    "SPEC_VERSION", "TAG_STUDY", "V1Form", "check_registrations", "legacy_question", "schema_difference",
]
