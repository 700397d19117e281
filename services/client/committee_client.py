"""The key committee's relay through a gateway's CommitteeService (issue 23).

:class:`CommitteeRelay` wraps a :class:`~zkgate.services.client.gateway_client.GatewayClient`'s
channel and gives the ``post`` / ``get`` pair :mod:`zkgate.study.committee_relay` drives, plus
roster registration and a member's role-checked fetch of a committee study's contributions.
"""

from __future__ import annotations

import grpc

from ..v1 import committee_pb2, committee_pb2_grpc
from .gateway_client import GatewayCallError, GatewayClient


class CommitteeRelay:
    def __init__(self, client: GatewayClient) -> None:
        self.client = client
        self.stub = committee_pb2_grpc.CommitteeServiceStub(client.channel)

    def _call(self, method, request):
        try:
            return method(request, timeout=self.client.timeout)
        except grpc.RpcError as exc:
            raise GatewayCallError(exc.code(), exc.details() or "") from exc

    def register(self, roster: bytes) -> committee_pb2.CommitteeInfo:
        return self._call(self.stub.RegisterCommittee, committee_pb2.RegisterCommitteeRequest(roster=roster))

    def committee(self, committee_id: bytes) -> committee_pb2.CommitteeInfo:
        return self._call(self.stub.GetCommittee, committee_pb2.CommitteeRef(committee_id=committee_id))

    def post(self, message: bytes, context: bytes = b"") -> int:
        reply = self._call(self.stub.PostCommitteeMessage,
                           committee_pb2.PostCommitteeMessageRequest(message=message, context=context))
        return reply.sequence

    def get(self, committee_id: bytes, kind: str, recipient: int = 0, context: bytes = b"") -> list[bytes]:
        reply = self._call(self.stub.GetCommitteeMessages, committee_pb2.GetCommitteeMessagesRequest(
            committee_id=committee_id, kind=kind, recipient=recipient, context=context))
        return list(reply.messages)

    def contributions(self, study_id: str, authorization: bytes) -> bytes:
        """A closed committee study's signed aggregate and submissions (``authorization``: a member's
        signed ``fetch`` message over the study id)."""
        try:
            stream = self.stub.GetContributions(committee_pb2.GetContributionsRequest(
                study_id=study_id, authorization=authorization), timeout=self.client.timeout)
            return b"".join(chunk.data for chunk in stream)
        except grpc.RpcError as exc:
            raise GatewayCallError(exc.code(), exc.details() or "") from exc

    def commit_contribution(self, study_id: str, commitment: bytes) -> int:
        """Commit-before-upload: a participant's signed ContributionCommit; returns its audit leaf index."""
        return self._call(self.stub.CommitContribution, committee_pb2.CommitContributionRequest(
            study_id=study_id, commitment=commitment)).audit_leaf_index

    def close_commit_phase(self, study_id: str) -> list[str]:
        """The requester ends the commit phase (quorum needed); returns who committed."""
        return list(self._call(self.stub.CloseCommitPhase,
                               committee_pb2.CloseCommitPhaseRequest(study_id=study_id)).participants)


__all__ = ["CommitteeRelay"]
