"""Prometheus metrics (serve --metrics-port) and the access log (--log-format json), scraped and
read after real RPCs against real gateways."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from zkgate.errors import ZkgateError
from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.gateway.metrics import GatewayMetrics
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table

# every label a zkgate series may carry: fixed sets only, never a study, participant, data set or caller
ALLOWED_LABELS = {"grpc_type", "grpc_service", "grpc_method", "grpc_code", "outcome", "state", "le"}
UNKNOWN_STUDY = "ab" * 32
LOG_KEYS = {"time", "level", "logger", "message", "rpc", "caller", "study", "outcome"}
MONITORING = Path(__file__).resolve().parents[2] / "docs" / "monitoring"


def scrape(address: str) -> dict[tuple[str, tuple], float]:
    """GET /metrics over HTTP: {(sample name, sorted labels): value}."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as reply:
        assert reply.status == 200
        text = reply.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def handled(samples, method: str, code: str, service: str = "zkgate.v1.StudyService", kind: str = "unary") -> float:
    return value(samples, "grpc_server_handled_total", grpc_type=kind, grpc_service=service, grpc_method=method,
                 grpc_code=code)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def metered(tmp_path):
    gateway = Gateway(ServerConfig(data_dir=str(tmp_path / "gw"), port=0, dev_mode=True, metrics_port=0)).start()
    yield gateway
    gateway.stop(grace=1)


def test_rpcs_are_counted_with_their_codes(metered, tmp_path, caplog):
    assert metered.metrics_address.startswith("127.0.0.1:")  # localhost unless told otherwise
    with caplog.at_level(logging.INFO, logger="zkgate.services.rpc"), GatewayClient(metered.address) as client:
        for _ in range(3):
            client.gateway_info()
        with pytest.raises(GatewayCallError) as err:
            client.get_study("not-a-study-id")
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(GatewayCallError) as err:
            client.get_study(UNKNOWN_STUDY)
        assert err.value.code == grpc.StatusCode.NOT_FOUND
        with pytest.raises(GatewayCallError) as err:
            client.submit("not-a-study-id", b"\x00garbage")  # refused: counted as a submission outcome
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT  # the client called GetGatewayInfo first
    samples = scrape(metered.metrics_address)

    assert handled(samples, "GetStudy", "INVALID_ARGUMENT") == 1
    assert handled(samples, "GetStudy", "NOT_FOUND") == 1
    assert handled(samples, "GetStudy", "OK") == 0
    assert value(samples, "grpc_server_started_total", grpc_type="unary", grpc_service="zkgate.v1.StudyService",
                 grpc_method="GetStudy") == 2
    info_calls = value(samples, "grpc_server_started_total", grpc_type="unary",
                       grpc_service="zkgate.v1.StudyService", grpc_method="GetGatewayInfo")
    assert info_calls >= 3 and handled(samples, "GetGatewayInfo", "OK") == info_calls
    assert handled(samples, "Submit", "INVALID_ARGUMENT", kind="client_stream") == 1
    assert value(samples, "zkgate_submissions_total", outcome="invalid_argument") == 1
    assert value(samples, "zkgate_submissions_total", outcome="accepted") == 0
    assert value(samples, "grpc_server_handling_seconds_count", grpc_type="unary",
                 grpc_service="zkgate.v1.StudyService", grpc_method="GetStudy") == 2
    assert value(samples, "zkgate_proof_verification_seconds_count") == 0  # nothing reached the proof check
    assert value(samples, "zkgate_audit_tree_size") == 0
    assert {value(samples, "zkgate_studies", state=s) for s in ("OPEN", "CLOSED", "RELEASED", "CANCELLED")} == {0}
    assert {name for _, labels in samples for name, _ in labels} <= ALLOWED_LABELS

    lines = [r for r in caplog.records if r.name == "zkgate.services.rpc"]
    refused = [r for r in lines if r.rpc == "zkgate.v1.StudyService/GetStudy"]
    assert [(r.outcome, r.study) for r in refused] == [("INVALID_ARGUMENT", "(malformed)"), ("NOT_FOUND", UNKNOWN_STUDY)]
    assert all(r.caller is None for r in lines)  # the open development mode knows no caller


def test_each_gateway_counts_its_own_calls_and_refusals_by_the_role_check(metered, tmp_path, caplog):
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"tokens": [{"token": "t-auditor", "organisation": "regulator-1",
                                              "roles": ["regulator"]}]}))
    other = Gateway(ServerConfig(data_dir=str(tmp_path / "gw2"), port=0, tokens_file=str(tokens),
                                 metrics_port=0)).start()
    try:
        with caplog.at_level(logging.INFO, logger="zkgate.services.rpc"):
            with GatewayClient(other.address) as anonymous:
                with pytest.raises(GatewayCallError) as err:
                    anonymous.list_studies()
                assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
            with GatewayClient(other.address, token="t-auditor") as auditor:
                assert auditor.list_studies() == []
        mine, theirs = scrape(metered.metrics_address), scrape(other.metrics_address)
    finally:
        other.stop(grace=1)
    assert handled(theirs, "ListStudies", "UNAUTHENTICATED") == 1
    assert handled(theirs, "ListStudies", "OK") == 1
    assert handled(mine, "ListStudies", "UNAUTHENTICATED") == 0 and handled(mine, "ListStudies", "OK") == 0
    callers = [(r.caller, r.outcome) for r in caplog.records
               if r.name == "zkgate.services.rpc" and r.rpc.endswith("/ListStudies")]
    assert callers == [(None, "UNAUTHENTICATED"), ("regulator-1", "OK")]


def test_a_metrics_port_in_use_is_refused_and_frees_the_data_folder(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ZkgateError, match=f"127.0.0.1:{port}.*--metrics-port"):
            Gateway(ServerConfig(data_dir=str(tmp_path), port=0, dev_mode=True, metrics_port=port))
    gateway = Gateway(ServerConfig(data_dir=str(tmp_path), port=0, dev_mode=True)).start()  # folder lock released
    assert gateway.metrics_address is None
    gateway.stop(grace=1)


@pytest.mark.slow  # proves a chunk: native backend only
def test_a_real_submission_is_counted_timed_and_names_no_one(metered):
    rng = np.random.default_rng(3)
    name = "clinic-metrics-7"
    commitment = DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, 4)), 4)
    key = SigningKey.generate()
    registration = Registration.create(name, commitment, key)
    with GatewayClient(metered.address) as client:
        dataset_id = client.register_dataset(registration.to_bytes()).dataset_id
        info = client.gateway_info()
        context = KeyHolder.create("bfv-4096").public_context()
        spec, keys = open_study(
            title="metrics study", registrations=[registration], filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
            quorum=1, deadline=int(time.time()) + 3600, public_context=context, gateway_key=info.study_signing_key,
            key_holder_key=SigningKey.generate().public, keys="dev", dev_mode=True,
        )
        study_id = client.create_study(spec.to_bytes(), keys.public().to_bytes(), context.to_bytes()).study_id
        submission = Contributor(name, commitment, key, dev_mode=True).contribute(spec, context, keys).submission
        client.submit(study_id, submission.to_bytes())
        client.submit(study_id, submission.to_bytes())  # an idempotent retry: accepted again, not re-verified
        forged = bytearray(submission.to_bytes())
        forged[len(forged) // 2] ^= 1
        with pytest.raises(GatewayCallError) as err:
            client.submit(study_id, bytes(forged))
        refused = err.value.code
        head, _ = client.tree_head()
    samples = scrape(metered.metrics_address)
    assert value(samples, "zkgate_submissions_total", outcome="accepted") == 2
    assert value(samples, "zkgate_submissions_total", outcome=refused.name.lower()) == 1
    assert handled(samples, "Submit", "OK", kind="client_stream") == 2
    assert handled(samples, "Submit", refused.name, kind="client_stream") == 1
    assert value(samples, "zkgate_proof_verification_seconds_count") >= 1
    assert value(samples, "zkgate_proof_verification_seconds_sum") > 0
    assert value(samples, "zkgate_store_commit_seconds_count") == 1  # one group commit: the retry wrote nothing
    assert value(samples, "zkgate_audit_tree_size") == head.tree_size >= 3  # registration, study, submission
    assert value(samples, "zkgate_studies", state="OPEN") == 1
    assert {name for _, labels in samples for name, _ in labels} <= ALLOWED_LABELS
    with urllib.request.urlopen(f"http://{metered.metrics_address}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    for secret in (study_id, name, dataset_id, "metrics study"):
        assert secret not in text


def test_serve_writes_json_log_lines_and_serves_metrics(tmp_path):
    port, metrics_port = free_port(), free_port()
    log_path = tmp_path / "serve.log"
    command = [sys.executable, "-P", "-m", "zkgate", "serve", "--dev", "--data-dir", str(tmp_path / "gw"),
               "--port", str(port), "--metrics-port", str(metrics_port), "--log-format", "json"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=dict(os.environ, PYTHONWARNINGS="ignore"))
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                with GatewayClient(f"127.0.0.1:{port}", timeout=2) as client:
                    client.gateway_info()
                break
            except GatewayCallError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        with GatewayClient(f"127.0.0.1:{port}") as client:
            with pytest.raises(GatewayCallError):
                client.get_study(UNKNOWN_STUDY)
        samples = scrape(f"127.0.0.1:{metrics_port}")
        assert handled(samples, "GetStudy", "NOT_FOUND") == 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    assert process.returncode == 0, log_path.read_text()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]  # every line is JSON
    assert lines and all(LOG_KEYS <= set(line) for line in lines)
    assert all(line["time"].endswith("Z") and line["level"] in ("INFO", "WARNING") for line in lines)
    access = [line for line in lines if line["rpc"] == "zkgate.v1.StudyService/GetStudy"]
    assert [(a["outcome"], a["study"], a["caller"], a["logger"]) for a in access] == [
        ("NOT_FOUND", UNKNOWN_STUDY, None, "zkgate.services.rpc")]
    assert isinstance(access[0]["duration_ms"], float)
    assert any(f"http://127.0.0.1:{metrics_port}/metrics" in line["message"] for line in lines)
    assert any("stopping" in line["message"] for line in lines)


def test_the_sample_dashboard_and_scrape_config_use_series_the_gateway_exports(tmp_path):
    gateway = Gateway(ServerConfig(data_dir=str(tmp_path), port=0, dev_mode=True, metrics_port=0)).start()
    try:
        exported = {family.name for family in GatewayMetrics().registry.collect()}  # without the store's gauges
        exported |= {"zkgate_audit_tree_size", "zkgate_studies"}
        with urllib.request.urlopen(f"http://{gateway.metrics_address}/metrics", timeout=10) as reply:
            scraped = {family.name for family in text_string_to_metric_families(reply.read().decode())}
    finally:
        gateway.stop(grace=1)
    assert exported <= scraped
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    queries += [v["query"] for v in dashboard["templating"]["list"]]
    named = {re.sub(r"_(bucket|count|sum|total)$", "", name)
             for q in queries for name in re.findall(r"\b(?:grpc_server|zkgate)_[a-z_]+", q)}
    assert named and named <= {re.sub(r"_total$", "", n) for n in scraped}, named
    assert {"zkgate_submissions", "grpc_server_handled", "zkgate_proof_verification_seconds"} <= named
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    job = config["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics" and job["static_configs"][0]["targets"]
