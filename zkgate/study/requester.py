"""Opening a study: from registrations and a question to a :class:`StudySpec`.

The contribution circuit depends only on the study's shape, so its keys come from a
ceremony per shape (``CircuitKeys.from_zkey``); ``keys="dev"`` makes a development-only
key (refused by every party outside dev mode).
"""

from __future__ import annotations

import secrets

from zkgate.he import PublicContext
from zkgate.study.catalog import Registration
from zkgate.study.contributor import context_digest
from zkgate.study.errors import SpecError
from zkgate.study.key_committee import KeyCommittee
from zkgate.study.keys import CircuitKeys, check_dev
from zkgate.study.question import Question
from zkgate.study.spec import Filter, Participant, Statistic, StudySpec, check_registrations, legacy_question
from zkgate.study.universal import UniversalParams
from zkgate.study.universal_circuit import compile_for

_ZERO = b"\x00" * 32


def open_study(*, title: str, registrations: list[Registration], question: Question | None = None,
               filter: Filter | None = None, statistics: tuple[Statistic, ...] | None = None,
               quorum: int, deadline: int, public_context: PublicContext, gateway_key: bytes,
               key_holder_key: bytes, keys: CircuitKeys | str, dev_mode: bool = False,
               nonce: bytes | None = None, min_cell_size: int = 0,
               universal: UniversalParams | None = None,
               committee: KeyCommittee | None = None) -> tuple[StudySpec, CircuitKeys]:
    """Returns the spec and the circuit keys it names (with the proving key for contributors).

    The question is a compiled :class:`Question`, or (the form of earlier releases) a ``filter``
    and ``statistics``, converted by :func:`~zkgate.study.legacy.legacy_question`.  ``universal``: prove with
    the universal circuit of these key parameters (issue 21; refused, naming the limit, beyond its maxima).
    ``committee``: the key committee whose joint key ``public_context`` is, with every member's approval
    (issue 23; :meth:`KeyCommittee.from_setup`); the spec refuses it unless all approvals verify."""
    if not registrations:
        raise SpecError("a study needs at least one registered participant")
    if question is None:
        question = legacy_question(filter, statistics or ())
    elif filter is not None or statistics is not None:
        raise SpecError("give a question or a filter and statistics, not both")
    first = registrations[0]
    draft = StudySpec(
        title=title, schema=first.schema, capacity=first.capacity, question=question, min_cell_size=min_cell_size,
        participants=tuple(Participant.from_registration(r) for r in registrations), quorum=quorum,
        deadline=deadline, he_preset=public_context.params.name, he_key_id=public_context.key_id,
        he_context_digest=context_digest(public_context), vk_hash=_ZERO, transcript_hash=_ZERO,
        gateway_key=gateway_key, key_holder_key=key_holder_key,
        nonce=nonce if nonce is not None else secrets.token_bytes(16), dev_keys=False, universal=universal,
        committee=committee,
    )
    check_registrations(draft, registrations)
    draft.layout()  # the HE overflow guard, before anyone proves anything
    if isinstance(keys, str):
        if keys != "dev":
            raise SpecError("keys must be CircuitKeys or 'dev'")
        keys = CircuitKeys.dev(compile_for(draft))
    spec = draft.with_keys(vk_hash=keys.vk_hash, transcript_hash=keys.transcript_hash, dev_keys=keys.is_dev)
    check_dev(spec, keys.is_dev, dev_mode=dev_mode)
    return spec, keys


__all__ = ["open_study"]
