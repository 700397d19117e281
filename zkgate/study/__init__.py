"""zkgate.study -- the verifiable joint-statistics protocol as a library (no gRPC).

Parties and their messages (see docs/protocol.md):

* data holder: :class:`Dataset` -> :class:`DatasetCommitment` -> :class:`Registration`
  (catalog); :class:`Contributor` -> :class:`Submission`, keeps the :class:`Receipt`;
* requester: :func:`open_study` -> :class:`StudySpec` (study id = Poseidon hash < r) and
  :class:`CircuitKeys`;
* gateway: :class:`StudyAggregator` (``submit`` -> receipt, ``close`` -> :class:`Aggregate`);
* key holder: :class:`StudyKeyHolder` (``release`` -> :class:`Release`, only after the
  commitment check; ``release_ckks`` for a study on a CKKS preset: approximate, unverified,
  no P; ``release_dp``: differentially private, unverified, no P);
* anyone: :func:`verify_record` on a :class:`PublicRecord`.

Every message is a frozen dataclass with ``to_bytes``/``from_bytes`` (canonical).
"""

from zkgate.study.aggregator import StudyAggregator
from zkgate.study.catalog import Catalog, Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contribution, Contributor
from zkgate.study.dataset import Column, Dataset, Schema
from zkgate.study.errors import *  # noqa: F401,F403
from zkgate.study.errors import __all__ as _errors
from zkgate.study.identity import SigningKey
from zkgate.study.keys import CircuitKeys
from zkgate.study.messages import Aggregate, Receipt, Release, Submission
from zkgate.study.release import StudyKeyHolder, derived_statistics
from zkgate.study.requester import open_study
from zkgate.study.spec import EqualsCondition, Filter, RangeCondition, Statistic, StudySpec
from zkgate.study.verification import PublicRecord, VerificationReport, verify_record

__all__ = [
    "Aggregate", "Catalog", "CircuitKeys", "Column", "Contribution", "Contributor", "Dataset", "DatasetCommitment",
    "EqualsCondition", "Filter", "PublicRecord", "RangeCondition", "Receipt", "Registration", "Release", "Schema",
    "SigningKey", "Statistic", "StudyAggregator", "StudyKeyHolder", "StudySpec", "Submission", "VerificationReport",
    "derived_statistics", "open_study", "verify_record", *_errors,
]
