"""A study as the gateway serves it, checked by the party that fetched it: shared by the role
commands (:mod:`.roles`) and the committee study's commands (:mod:`.committee_study`)."""

from __future__ import annotations

from zkgate.errors import ZkgateError
from zkgate.study.errors import SpecError
from zkgate.study.spec import StudySpec

from ..client.gateway_client import GatewayClient
from .holder_home import check_study_id


class RoleError(ZkgateError):
    """A role's step cannot proceed; the message says what to fix."""


def fetch_spec(client: GatewayClient, study_id: str):
    """The study (message) and its spec, checked to be the study asked for."""
    check_study_id(study_id)
    study = client.get_study(study_id)
    spec = StudySpec.from_bytes(study.spec)
    if spec.study_id_bytes.hex() != study_id:
        raise RoleError(f"the gateway served another study than {study_id}")
    if spec.question.sql:  # every party recompiles the SQL text: the compiled question must say the same
        from zkgate.study.sql import recompile_matches  # sqlglot: only for a study asked in SQL

        try:
            recompile_matches(spec.question, spec.schema)
        except SpecError as exc:
            raise RoleError(f"study {study_id[:16]}... is refused: {exc}") from None
    return study, spec


__all__ = ["RoleError", "fetch_spec"]
