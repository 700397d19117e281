"""`zkgate holder submit --dask local:2` through a real gateway (issue #25): one hospital's chunk
proofs on a Dask LocalCluster, the others in-process; the study closes, releases the exact
statistics and verifies.  Reuses test_role_cli's gateway and parties (a fresh instance here)."""

from __future__ import annotations

import pytest
from test_role_cli import HOSPITALS, fails, gateway, run, run_json, study  # noqa: F401 (fixtures)

from zkgate.study.simulate import ground_truth
from zkgate.study.spec import StudySpec

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow  # proves several chunks: native backend only


def test_holder_submit_on_a_local_dask_cluster(gateway, study):  # noqa: F811 (the imported fixtures)
    gw, study_id, zkey = study["gw"], study["study_id"], study["zkey"]
    # refused before anything is fetched or proved: a remote scheduler without TLS, --dask with --workers
    home = study["homes"][0]
    assert "--dask-tls" in fails("holder", "submit", "--home", home, study_id, "--dask", "tcp://192.0.2.1:8786", *gw)
    assert "exclude each other" in fails("holder", "submit", "--home", home, study_id, "--dask", "local:2",
                                         "--workers", "2", *gw)
    receipts = []
    for i, home in enumerate(study["homes"]):
        on_dask = ("--dask", "local:2") if i == 1 else ()
        result = run("holder", "submit", "--home", home, study_id, "--circuit-key", zkey, "--dev", *on_dask, *gw,
                     "--json")
        if on_dask:
            assert "chunk proofs on a local Dask cluster of 2 worker process(es)" in result.stderr
        receipts.append(result.stdout.strip().splitlines()[-1])
    assert all('"in_audit_log": true' in r for r in receipts)

    closed = run_json("requester", "close", study_id, *gw)
    assert closed["accepted"] == len(HOSPITALS)
    released = run_json("keyholder", "release", "--home", study["kh"], study_id, *gw)
    from zkgate.services.client.gateway_client import GatewayClient

    with GatewayClient(gateway.address) as client:
        spec = StudySpec.from_bytes(client.get_study(study_id).spec)
    truth = ground_truth(spec, study["tables"])
    assert {k: released["statistics"][k] for k in truth} == truth
    verified = run("gateway", *gw, "verify-study", study_id, "--dev")
    assert verified.stdout.strip().splitlines()[0] == "VERIFIED"
