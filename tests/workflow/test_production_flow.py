"""Issue #17: the whole production flow through the CLI, as the parties would run it from README.md
and docs/gateway.md -- mutual TLS from `zkgate certs init` (no --dev anywhere), a published
schema, three hospitals each in its own --home registering against it by name, the study's
circuit from `zkgate requester circuit`, a phase-2 ceremony on it with zkgate's own tools (a
small powers of tau, two contributions and a beacon), create-study with the final key, holders
that fetch the key from the gateway (no --circuit-key), close, release, verify-study VERIFIED
by the regulator, audit verify OK."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from zkgate.cli import cli
from zkgate.study.simulate import PATIENT_SCHEMA, patient_table

pytestmark = pytest.mark.slow  # a ceremony and six chunk proofs: about a minute on the native backend

HOSPITALS = ("hospital-a", "hospital-b", "hospital-c")
RECORDS = 6
CHUNK = 4


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, f"zkgate {' '.join(map(str, args))}:\n{result.output}"
    return result


def run_json(*args):
    return json.loads(run(*args, "--json").stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    from zkgate.services.gateway.security import ServerTls
    from zkgate.services.gateway.server import Gateway, ServerConfig

    root = tmp_path_factory.mktemp("production")
    orgs = [*HOSPITALS, "pharma:requester", "fda:regulator"]
    run("certs", "init", "--out", root / "certs", *(a for org in orgs for a in ("--org", org)))
    server = Gateway(ServerConfig(data_dir=str(root / "gw"), port=0,
                                  tls=ServerTls.from_dir(root / "certs" / "gateway-bundle"))).start()
    yield root, server
    server.stop(grace=1)


def test_the_production_flow_end_to_end(gateway):
    root, server = gateway
    certs = root / "certs" / "bundles"

    def as_org(org):  # each party runs with its own bundle from `certs init`
        return ("--gateway", server.address, "--tls-dir", certs / org, "--org", org)

    info = json.loads(run("gateway", *as_org("fda"), "info", "--json").stdout)
    assert not info.get("dev_mode")

    # the key holder (the requester's organisation) and the published schema
    kh = root / "keyholder"
    run("keyholder", "init", "--home", kh)
    schema_file = root / "schema.json"
    schema_file.write_text(json.dumps({"columns": [{"name": c.name, "min": c.lo, "max": c.hi}
                                                   for c in PATIENT_SCHEMA.columns]}))
    run("requester", "publish-schema", "--name", "patients-v1", schema_file, *as_org("pharma"))

    # three hospitals, each in its own home, register against the schema by name
    rng = np.random.default_rng(17)
    tables = []
    for name in HOSPITALS:
        table = patient_table(rng, RECORDS)
        data = root / f"{name}.csv"
        with open(data, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(PATIENT_SCHEMA.names)
            writer.writerows(table.tolist())
        run("holder", "init", "--home", root / name, "--org", name)
        run("holder", "register-dataset", "--home", root / name, data, "--schema-name", "patients-v1",
            "--chunk", CHUNK, *as_org(name))
        tables.append(table)

    # the study's circuit, then a phase-2 ceremony on it (two contributions and a beacon)
    request = root / "study.json"
    request.write_text(json.dumps({"title": "patients aged 40-65", "participants": list(HOSPITALS),
                                   "filter": {"ranges": [{"column": "age", "min": 40, "max": 65}]},
                                   "statistics": [{"kind": "sum", "column": "cholesterol"}], "deadline_in": "1h"}))
    circuit = run_json("requester", "circuit", "--spec", request, "--out", root / "study.r1cs", *as_org("pharma"))
    power = max(4, math.ceil(math.log2(circuit["constraints"] + circuit["public"] + 1)))
    run("powersoftau", "new", "bn128", power, root / "p0.ptau")
    run("powersoftau", "contribute", root / "p0.ptau", root / "p1.ptau", "--name", "phase 1", "-e", "tau entropy")
    run("powersoftau", "prepare", "phase2", root / "p1.ptau", root / "pot.ptau")
    run("groth16", "setup", root / "study.r1cs", root / "pot.ptau", root / "k0.zkey")
    run("zkey", "contribute", root / "k0.zkey", root / "k1.zkey", "--name", "pharma", "-e", "first")
    run("zkey", "contribute", root / "k1.zkey", root / "k2.zkey", "--name", "fda", "-e", "second")
    run("zkey", "beacon", root / "k2.zkey", root / "final.zkey", "ab" * 32, 10, "--name", "beacon")

    opened = run_json("requester", "create-study", "--spec", request, "--key-holder", kh / "keyholder.card",
                      "--circuit-key", root / "final.zkey", *as_org("pharma"))
    study_id = opened["study_id"]
    assert not opened["dev_keys"]

    # each hospital fetches the study's key from the gateway (no --circuit-key) and submits
    for name in HOSPITALS:
        receipt = run_json("holder", "submit", "--home", root / name, study_id, *as_org(name))
        assert receipt["participant"] == name and receipt["in_audit_log"]
        assert list((root / name / "circuit-keys").glob("*.zkey"))

    run("requester", "close", study_id, *as_org("pharma"))
    released = run_json("keyholder", "release", "--home", kh, study_id, *as_org("pharma"))
    assert released["verifiable"]

    # the released numbers are the plain computation's
    cols = PATIENT_SCHEMA.names
    age, chol = cols.index("age"), cols.index("cholesterol")
    everyone = np.concatenate(tables)
    kept = everyone[(everyone[:, age] >= 40) & (everyone[:, age] <= 65)]
    assert released["values"][:2] == [len(kept), int(kept[:, chol].sum())]

    verdict = run("gateway", *as_org("fda"), "verify-study", study_id)
    assert "VERIFIED" in verdict.stdout
    assert "OK" in run("audit", "verify", "--gateway", server.address, "--tls-dir", certs / "fda", "--org", "fda",
                       "--log-key", info["log_key"]).stdout
