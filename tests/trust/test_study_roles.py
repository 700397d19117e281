"""Content-dependent access checks on a real study over mutual TLS: participants act only as
themselves, only the study's own requester fetches its encrypted aggregate and publishes."""

from __future__ import annotations

import json
import time

import grpc
import numpy as np
import pytest

from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.client.tls import ClientTls
from zkgate.services.gateway.security import ServerTls
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.services.parties.certs import OrgSpec, init_certs
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Aggregate
from zkgate.study.release import StudyKeyHolder
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table
from zkgate.study.verification import PublicRecord

pytestmark = pytest.mark.slow  # proves a contribution

ORGS = [OrgSpec("hospital-a"), OrgSpec("hospital-b"), OrgSpec("pharma", ("requester",)),
        OrgSpec("other-pharma", ("requester",)), OrgSpec("fda", ("regulator",)), OrgSpec("ops", ("admin",))]


def _denied(call, *words):
    with pytest.raises(GatewayCallError) as err:
        call()
    assert err.value.code == grpc.StatusCode.PERMISSION_DENIED, err.value
    for word in words:
        assert word in err.value.details, err.value.details


def test_study_roles_over_mtls(tmp_path):
    tls = tmp_path / "tls"
    init_certs(tls, ORGS)
    server = Gateway(ServerConfig(data_dir=str(tmp_path / "gw"), port=0, dev_mode=True,
                                  tls=ServerTls.from_dir(tls))).start()
    c = {o.name: GatewayClient(f"127.0.0.1:{server.port}", timeout=300, tls=ClientTls.from_dir(tls, o.name)) for o in ORGS}
    try:
        rng = np.random.default_rng(3)
        names = ["hospital-a", "hospital-b"]
        commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, 8)), 8) for _ in names]
        keys = [SigningKey.generate() for _ in names]
        regs = [Registration.create(n, cm, k) for n, cm, k in zip(names, commitments, keys)]
        # a participant registers only its own data sets
        _denied(lambda: c["hospital-b"].register_dataset(regs[0].to_bytes()), "'hospital-b'", "as 'hospital-a'")
        _denied(lambda: c["ops"].register_dataset(regs[0].to_bytes()), "participant")
        for name, reg in zip(names, regs):
            c[name].register_dataset(reg.to_bytes())

        info = c["pharma"].gateway_info()
        he = KeyHolder.create("bfv-4096")
        context = he.public_context()
        key_holder_key = SigningKey.generate()
        spec, circuit_keys = open_study(
            title="roles", registrations=regs, filter=STUDY_FILTER, statistics=STUDY_STATISTICS, quorum=1,
            deadline=int(time.time()) + 3600, public_context=context, gateway_key=info.study_signing_key,
            key_holder_key=key_holder_key.public, keys="dev", dev_mode=True,
        )
        upload = (spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes())
        _denied(lambda: c["hospital-a"].create_study(*upload), "requester")
        _denied(lambda: c["fda"].create_study(*upload), "regulator")
        study_id = c["pharma"].create_study(*upload).study_id

        submission = Contributor("hospital-a", commitments[0], keys[0], dev_mode=True).contribute(
            spec, context, circuit_keys).submission.to_bytes()
        _denied(lambda: c["hospital-b"].submit(study_id, submission), "only as itself")
        _denied(lambda: c["pharma"].submit(study_id, submission), "participant")
        _denied(lambda: c["ops"].submit(study_id, submission), "participant")
        receipt, leaf = c["hospital-a"].submit(study_id, submission)
        # before any release, the participant checks its receipt is in the log
        head, _ = c["hospital-a"].tree_head()
        entry = c["hospital-a"].audit_entries(leaf, leaf + 1)[0]
        c["hospital-a"].check_inclusion(entry, leaf, head)

        _denied(lambda: c["other-pharma"].close_study(study_id), "'pharma'")
        _denied(lambda: c["fda"].close_study(study_id))
        _denied(lambda: c["hospital-a"].close_study(study_id))
        assert c["pharma"].close_study(study_id).state == 2

        for who in ("other-pharma", "ops", "fda", "hospital-a", "hospital-b"):
            _denied(lambda: c[who].aggregate(study_id))
        aggregate = Aggregate.from_bytes(c["pharma"].aggregate(study_id))
        record = PublicRecord.from_bytes(c["fda"].public_record(study_id))
        assert all(s.envelope is None for s in record.submissions)  # nobody reads others' ciphertexts
        release = StudyKeyHolder(spec, he, key_holder_key).release(aggregate, list(record.submissions))
        for who in ("other-pharma", "ops", "fda", "hospital-a"):
            _denied(lambda: c[who].publish_release(study_id, release.to_bytes()))
        assert c["pharma"].publish_release(study_id, release.to_bytes()).state == 3

        # the regulator reads and checks everything
        assert c["fda"].verify_study(study_id).ok
        _, entries = c["fda"].verify_whole_log()
        study_leaf = next(json.loads(e.data) for e in entries if e.kind == "study")
        assert study_leaf["requester"] == "pharma"
    finally:
        for client in c.values():
            client.close()
        server.stop(grace=0.5)
