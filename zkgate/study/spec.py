"""The study specification: what is asked, of whom, under which keys.

A :class:`StudySpec` holds the filter (ranges and equalities on columns, ANDed), the
statistics (the count of passing records always comes first; then sums, sums of squares
and histograms of columns), the expected participants with their registered data set
roots and signing keys, quorum, deadline, the HE preset with the public context's key id
and digest, the contribution circuit's verifying-key hash and ceremony transcript hash,
and the gateway's and key holder's signing keys.  Values in the spec are in declared
units; the circuit works on stored (offset) values.

Study id: ``poseidon_sponge([TAG_STUDY, lo..., hi..., eq..., edges..., rest])`` with the
filter and histogram constants in stored units and ``rest =
poseidon_sponge(bytes_to_field_elements(spec.to_bytes()))`` (the whole canonical encoding),
so the id is a field element (< r), the contribution circuit can bind the filter constants
to it, and it commits to everything else.

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

KIND = "study-spec"
TAG_STUDY = int.from_bytes(b"zkgate/study/id/v1", "big")
STAT_KINDS = ("sum", "sum_sq", "histogram")
MAX_PARTICIPANTS = 4096
MAX_CONDITIONS = 16
MAX_STATISTICS = 16
MAX_BINS = 64


@dataclass(frozen=True)
class RangeCondition:
    """``lo <= column <= hi`` (declared units, inclusive)."""

    column: str
    lo: int
    hi: int


@dataclass(frozen=True)
class EqualsCondition:
    """``column == value`` (declared units)."""

    column: str
    value: int


@dataclass(frozen=True)
class Filter:
    ranges: tuple[RangeCondition, ...] = ()
    equals: tuple[EqualsCondition, ...] = ()


@dataclass(frozen=True)
class Statistic:
    """``sum`` / ``sum_sq`` of a column, or a ``histogram`` with bins ``[e_b, e_{b+1})``."""

    kind: str
    column: str
    edges: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return {"sum": "sum", "sum_sq": "sum_sq", "histogram": "hist"}[self.kind] + "_" + self.column

    @property
    def width(self) -> int:
        return len(self.edges) - 1 if self.kind == "histogram" else 1


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
    """What the compiled contribution circuit depends on (constants stay witness values)."""

    col_bits: tuple[int, ...]
    capacity: int
    range_cols: tuple[int, ...]
    equal_cols: tuple[int, ...]
    stats: tuple[tuple[str, int, int], ...]  # (kind, column index, number of edges or 0)

    def params(self) -> dict:
        return {"col_bits": self.col_bits, "capacity": self.capacity, "ranges": self.range_cols,
                "equals": self.equal_cols, "stats": self.stats}


@dataclass(frozen=True)
class StudySpec:
    title: str
    schema: Schema
    capacity: int
    filter: Filter
    statistics: tuple[Statistic, ...]
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
        if not isinstance(self.filter, Filter):
            raise SpecError("filter must be a Filter")
        if len(self.filter.ranges) + len(self.filter.equals) > MAX_CONDITIONS:
            raise SpecError(f"at most {MAX_CONDITIONS} filter conditions")
        for rc in self.filter.ranges:
            c = s.column(rc.column)
            if type(rc.lo) is not int or type(rc.hi) is not int or not c.lo <= rc.lo <= rc.hi <= c.hi:
                raise SpecError(f"filter range on {rc.column!r}: need {c.lo} <= lo <= hi <= {c.hi}, got [{rc.lo}, {rc.hi}]")
        for ec in self.filter.equals:
            c = s.column(ec.column)
            if type(ec.value) is not int or not c.lo <= ec.value <= c.hi:
                raise SpecError(f"filter equality on {ec.column!r}: {ec.value!r} is outside [{c.lo}, {c.hi}]")
        if not isinstance(self.statistics, tuple) or len(self.statistics) > MAX_STATISTICS:
            raise SpecError(f"statistics must be a tuple of at most {MAX_STATISTICS}")
        names = set()
        for st in self.statistics:
            if not isinstance(st, Statistic) or st.kind not in STAT_KINDS:
                raise SpecError(f"statistic kinds are {STAT_KINDS}, got {st!r}")
            c = s.column(st.column)
            if st.name in names:
                raise SpecError(f"statistic {st.kind} of {st.column!r} appears twice")
            names.add(st.name)
            if st.kind == "histogram":
                e = st.edges
                if not 2 <= len(e) <= MAX_BINS + 1 or any(type(x) is not int for x in e):
                    raise SpecError(f"histogram of {st.column!r}: give 2..{MAX_BINS + 1} integer edges")
                if any(b <= a for a, b in zip(e, e[1:])):
                    raise SpecError(f"histogram of {st.column!r}: edges must increase strictly, got {list(e)}")
                if e[0] < c.lo or e[-1] > c.hi + 1:
                    raise SpecError(f"histogram of {st.column!r}: edges must lie in [{c.lo}, {c.hi + 1}]")
            elif st.edges:
                raise SpecError(f"{st.kind} of {st.column!r} takes no edges")
        for st in self.statistics:
            if st.kind == "sum_sq" and f"sum_{st.column}" not in names:
                raise SpecError(f"the sum of squares of {st.column!r} needs its sum too (for the variance)")
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
        for j, b in enumerate(self.value_bounds()):
            if b >= L:
                raise SpecError(f"statistic {self.value_names()[j]!r} could reach {b}, not below the subgroup order l")

    # -- derived ----------------------------------------------------------------------------
    @property
    def params(self) -> HEParams:
        return PRESETS[self.he_preset]

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

    def shape(self) -> CircuitShape:
        s = self.schema
        stats = tuple((st.kind, s.index(st.column), len(st.edges)) for st in self.statistics)
        return CircuitShape(s.bits, self.capacity, tuple(s.index(r.column) for r in self.filter.ranges),
                            tuple(s.index(e.column) for e in self.filter.equals), stats)

    def value_names(self) -> list[str]:
        """Names of the committed coordinates ``s_j`` (count first; histogram bins indexed)."""
        out = ["count"]
        for st in self.statistics:
            out += [st.name] if st.kind != "histogram" else [f"{st.name}[{b}]" for b in range(st.width)]
        return out

    def per_record_bounds(self) -> list[int]:
        out = [1]
        for st in self.statistics:
            m = self.schema.column(st.column).max_stored
            out += {"sum": [m], "sum_sq": [m * m], "histogram": [1] * st.width}[st.kind]
        return out

    def chunk_bounds(self) -> list[int]:
        """Largest value of each coordinate for one chunk."""
        return [b * self.capacity for b in self.per_record_bounds()]

    def value_bounds(self) -> list[int]:
        """Declared bound of each released ``S_j`` (every record of every participant)."""
        return [b * self.total_chunks for b in self.chunk_bounds()]

    def filter_constants(self) -> list[int]:
        """lo..., hi..., eq..., edges... in stored units (the circuit's private constants)."""
        s = self.schema
        off = lambda name: s.column(name).offset  # noqa: E731
        lo = [r.lo - off(r.column) for r in self.filter.ranges]
        hi = [r.hi - off(r.column) for r in self.filter.ranges]
        eq = [e.value - off(e.column) for e in self.filter.equals]
        edges = [x - off(st.column) for st in self.statistics if st.kind == "histogram" for x in st.edges]
        return lo + hi + eq + edges

    def rest_element(self) -> int:
        if "rest" not in self._cache:
            self._cache["rest"] = poseidon_sponge(enc.bytes_to_field_elements(self.to_bytes()))
        return self._cache["rest"]

    @property
    def study_id(self) -> int:
        if "id" not in self._cache:
            self._cache["id"] = poseidon_sponge([TAG_STUDY, *self.filter_constants(), self.rest_element()])
        return self._cache["id"]

    @property
    def study_id_bytes(self) -> bytes:
        return enc.fe_bytes(self.study_id)

    def layout(self) -> SlotLayout:
        """The HE slot layout: one field per statistic (count first) and, for BFV, the randomness
        ``rho``, split into limbs where a sum over all participants could overflow (checked).

        CKKS: the same statistics fields (real slots, no limbs; the overflow guard keeps every
        sum inside the data modulus and float64 headroom of the release quantum) and no ``rho``:
        the approximate release never publishes ``P``, so ``ρ_i`` never leaves the holder."""
        if "layout" in self._cache:
            return self._cache["layout"]
        params = self.params
        n = len(self.participants)
        if params.scheme == "ckks":
            layout = self._ckks_layout()
            layout.check(params)
            self._cache["layout"] = layout
            return layout
        limb = max_safe_limb_bits(params, n)
        per_part = max(p.n_chunks for p in self.participants)

        def fld(name: str, maximum: int, length: int = 1) -> Field:
            fits = maximum * n < params.safe_bound
            return Field(name, maximum, length, 0 if fits else limb)

        bounds = self.chunk_bounds()
        fields = [fld("count", bounds[0] * per_part)]
        pos = 1
        for st in self.statistics:
            fields.append(fld(st.name, bounds[pos] * per_part, st.width))
            pos += st.width
        fields.append(Field("rho", per_part * (L - 1), 1, limb))
        layout = SlotLayout(tuple(fields), n)
        layout.check(params)
        self._cache["layout"] = layout
        return layout

    def _ckks_layout(self) -> SlotLayout:
        per_part = max(p.n_chunks for p in self.participants)
        bounds = self.chunk_bounds()
        fields = [Field("count", bounds[0] * per_part)]
        pos = 1
        for st in self.statistics:
            fields.append(Field(st.name, bounds[pos] * per_part, st.width))
            pos += st.width
        return SlotLayout(tuple(fields), len(self.participants))

    def split_values(self, values: list[int]) -> dict:
        """Coordinate list -> ``{field: value}`` for the HE layout (without rho)."""
        out = {"count": values[0]}
        pos = 1
        for st in self.statistics:
            out[st.name] = values[pos] if st.kind != "histogram" else list(values[pos : pos + st.width])
            pos += st.width
        return out

    def join_values(self, decoded: dict) -> list[int]:
        out = [int(decoded["count"])]
        for st in self.statistics:
            v = decoded[st.name]
            out += [int(x) for x in v] if isinstance(v, list) else [int(v)]
        return out

    # -- encoding ---------------------------------------------------------------------------
    def to_obj(self) -> list:
        return enc.header(KIND) + [
            self.title,
            self.schema.to_obj(),
            self.capacity,
            [[r.column, r.lo, r.hi] for r in self.filter.ranges],
            [[e.column, e.value] for e in self.filter.equals],
            [[st.kind, st.column, list(st.edges)] for st in self.statistics],
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
        ]

    def to_bytes(self) -> bytes:
        if "bytes" not in self._cache:
            self._cache["bytes"] = enc.pack(self.to_obj())
        return self._cache["bytes"]

    @classmethod
    def from_bytes(cls, data: bytes) -> StudySpec:
        it = enc.unpack(data, KIND)
        if len(it) != 18:
            raise MessageFormatError(f"{KIND}: expected 18 items")
        try:
            rl = enc.read_list
            spec = cls(
                title=enc.read_str(it[0], "title"),
                schema=Schema.from_obj(it[1]),
                capacity=enc.read_int(it[2], "capacity"),
                filter=Filter(
                    tuple(RangeCondition(enc.read_str(c, "column"), enc.read_int(a, "lo"), enc.read_int(b, "hi"))
                          for c, a, b in (rl(x, "range", 3) for x in rl(it[3], "ranges", max_len=MAX_CONDITIONS))),
                    tuple(EqualsCondition(enc.read_str(c, "column"), enc.read_int(v, "value"))
                          for c, v in (rl(x, "equality", 2) for x in rl(it[4], "equals", max_len=MAX_CONDITIONS))),
                ),
                statistics=tuple(
                    Statistic(enc.read_str(k, "kind"), enc.read_str(c, "column"),
                              tuple(enc.read_int(e, "edge") for e in rl(es, "edges", max_len=MAX_BINS + 1)))
                    for k, c, es in (rl(x, "statistic", 3) for x in rl(it[5], "statistics", max_len=MAX_STATISTICS))
                ),
                participants=tuple(
                    Participant(enc.read_str(n, "participant", 128), enc.read_fe(r, "root"),
                                enc.read_int(k, "n_chunks"), check_key_ref(v, "verify key"))
                    for n, r, k, v in (rl(x, "participant", 4) for x in rl(it[6], "participants", max_len=MAX_PARTICIPANTS))
                ),
                quorum=enc.read_int(it[7], "quorum"),
                deadline=enc.read_int(it[8], "deadline"),
                he_preset=enc.read_str(it[9], "he_preset", 64),
                he_key_id=enc.read_bytes(it[10], "he_key_id", 32),
                he_context_digest=enc.read_bytes(it[11], "he_context_digest", 32),
                vk_hash=enc.read_bytes(it[12], "vk_hash", 32),
                transcript_hash=enc.read_bytes(it[13], "transcript_hash", 32),
                gateway_key=check_public_key(it[14], "gateway_key"),
                key_holder_key=check_public_key(it[15], "key_holder_key"),
                nonce=enc.read_bytes(it[16], "nonce", 16),
                dev_keys=enc.read_bool(it[17], "dev_keys"),
            )
        except SpecError as exc:
            raise MessageFormatError(f"{KIND}: {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise MessageFormatError(f"{KIND}: malformed ({exc})") from exc
        enc.check_canonical(data, spec, KIND)
        return spec

    def with_keys(self, **changes) -> StudySpec:
        return replace(self, _cache={}, **changes)


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
    "TAG_STUDY", "check_registrations", "schema_difference",
]
