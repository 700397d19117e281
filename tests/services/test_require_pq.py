"""``zkgate serve --require-pq`` (issue #22): a gateway that refuses anything without a valid
ML-DSA-65 signature, naming the object — classical registrations, studies naming classical keys,
and (for a study made before the flag) classical submissions — while hybrid ones go through."""

from __future__ import annotations

import time

import numpy as np
import pytest

from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayClient
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table

pytestmark = pytest.mark.slow  # proves a contribution: native backend only


def _holder(name: str, rng, hybrid: bool):
    commitment = DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, 6)), 8)
    key = SigningKey.generate(hybrid=hybrid)
    return dict(name=name, commitment=commitment, key=key, registration=Registration.create(name, commitment, key))


def _study(client, holders, key_holder: SigningKey):
    context = KeyHolder.create("bfv-4096").public_context()
    spec, keys = open_study(
        title="pq", registrations=[h["registration"] for h in holders], filter=STUDY_FILTER,
        statistics=STUDY_STATISTICS, quorum=1, deadline=int(time.time()) + 3600, public_context=context,
        gateway_key=client.gateway_info().study_signing_key, key_holder_key=key_holder.public, keys="dev",
        dev_mode=True)
    return spec, keys, context


def test_require_pq_refuses_classical_objects_and_accepts_hybrid_ones(tmp_path):
    rng = np.random.default_rng(3)
    hybrid, classical = _holder("hospital-a", rng, True), _holder("hospital-b", rng, False)
    data_dir = str(tmp_path / "gw")
    # made before --require-pq: a study naming a classical participant
    server = Gateway(ServerConfig(data_dir=data_dir, port=0, dev_mode=True)).start()
    try:
        with GatewayClient(server.address) as client:
            for h in (hybrid, classical):
                client.register_dataset(h["registration"].to_bytes())
            spec, keys, context = _study(client, [classical], SigningKey.generate())
            old_study = client.create_study(spec.to_bytes(), keys.public().to_bytes(), context.to_bytes()).study_id
            old_submission = Contributor("hospital-b", classical["commitment"], classical["key"], dev_mode=True
                                         ).contribute(spec, context, keys).submission
    finally:
        server.stop(grace=1)

    server = Gateway(ServerConfig(data_dir=data_dir, port=0, dev_mode=True, require_pq=True)).start()
    try:
        with GatewayClient(server.address) as client:
            with pytest.raises(Exception, match=r"registration of 'hospital-c'.*ML-DSA-65"):
                client.register_dataset(_holder("hospital-c", rng, False)["registration"].to_bytes())
            client.register_dataset(_holder("hospital-d", rng, True)["registration"].to_bytes())  # hybrid: accepted
            spec, keys, context = _study(client, [hybrid], SigningKey.generate(hybrid=False))
            with pytest.raises(Exception, match="classical Ed25519-only keys for the key holder"):
                client.create_study(spec.to_bytes(), keys.public().to_bytes(), context.to_bytes())
            with pytest.raises(Exception, match=r"submission of 'hospital-b'.*no ML-DSA-65 signature"):
                client.submit(old_study, old_submission.to_bytes())
            spec, keys, context = _study(client, [hybrid], SigningKey.generate())
            study = client.create_study(spec.to_bytes(), keys.public().to_bytes(), context.to_bytes()).study_id
            submission = Contributor("hospital-a", hybrid["commitment"], hybrid["key"], dev_mode=True
                                     ).contribute(spec, context, keys).submission
            receipt, _ = client.submit(study, submission.to_bytes())
            from zkgate.study.messages import Receipt

            assert Receipt.from_bytes(receipt).verify_signature(spec.gateway_key, require_pq=True) == "Ed25519+ML-DSA-65"
    finally:
        server.stop(grace=1)
