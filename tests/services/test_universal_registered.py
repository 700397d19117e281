"""A universal key registered with the gateway once (issue 21): `requester register-universal-key`,
then two different questions open with `create-study --universal KEY.json` alone (no key in the
CreateStudy upload), holders prove both with the key the gateway serves, the second is released and
verified.  Refused: a study whose universal parameters differ from the registered key's, a key of
another circuit than its parameters', a development key on a gateway outside dev mode, and the
reserved name through ProverService.RegisterCircuit."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import shutil
import subprocess

import grpc
import numpy as np
import pytest

from testsupport import REPO_ROOT, dev_gateway
from testsupport import run_cli as run
from testsupport import run_cli_json as run_json
from zkgate.prover.formats.zkey import read_zkey, write_zkey
from zkgate.prover.formats.zkey_records import MpcParams, decode_mpc_params, encode_mpc_params
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.parties.keyholder_home import read_card
from zkgate.services.parties.roles import choose_registrations, request_question
from zkgate.services.parties.study_request import build_request
from zkgate.study.catalog import Registration
from zkgate.study.keys import CircuitKeys
from zkgate.study.patients import PATIENT_SCHEMA, export_tables, patient_table
from zkgate.study.requester import open_study
from zkgate.study.spec import StudySpec
from zkgate.study.statistics import moments
from zkgate.study.statistics.numbers import to_json
from zkgate.study.universal_circuit import compile_universal
from zkgate.study.universal_registry import params_from_json, params_json

HAVE_DASK = importlib.util.find_spec("distributed") is not None
pytestmark = pytest.mark.slow  # compiles the universal circuit, proves chunks for two holders: native backend only

HOSPITALS = ("hospital-a", "hospital-b")
FIRST = "SELECT COUNT(*) AS n, AVG(cholesterol) AS chol FROM patients WHERE age BETWEEN 40 AND 80"
SECOND = ("SELECT diagnosis, COUNT(*) AS n, CORR(age, sbp) AS r FROM patients WHERE sex = 1 AND bmi >= 18 "
          "GROUP BY diagnosis")
MAXIMA = ("--max-terms", 10, "--max-cells", 4, "--max-moments", 6, "--max-bins", 1, "--max-surv-bins", 1,
          "--max-coordinates", 24)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


@pytest.fixture(scope="module")
def setup(gateway, tmp_path_factory):
    """The schema's universal circuit (KEY.json), a development key of it registered once, a key holder
    and two hospitals' registered data sets (10 records each, chunks of 8: two chunks)."""
    tmp = tmp_path_factory.mktemp("universal")
    gw = ("--gateway", gateway.address)
    schema = tmp / "schema.json"
    schema.write_text(json.dumps({"columns": [{"name": c.name, "min": c.lo, "max": c.hi} for c in PATIENT_SCHEMA.columns]}))
    key_json = tmp / "universal.json"
    key_json.write_text(run("schema", "circuit", "--schema", schema, "--capacity", 8, *MAXIMA,
                            "--out", tmp / "universal.r1cs").stdout)
    zkey = tmp / "universal.zkey"
    registered = run_json("requester", "register-universal-key", "--schema", schema, "--universal", key_json,
                          "--dev-circuit-key", zkey, *gw)
    kh = tmp / "keyholder"
    run_json("keyholder", "init", "--home", kh)
    rng = np.random.default_rng(11)
    tables = {name: patient_table(rng, 10) for name in HOSPITALS}
    homes = []
    for name, data in zip(HOSPITALS, export_tables(tmp / "data", PATIENT_SCHEMA, tables)):
        home = tmp / name
        run("holder", "init", "--home", home, "--org", name)
        run_json("holder", "register-dataset", "--home", home, data, "--schema", schema, "--chunk", 8, *gw)
        homes.append(home)
    return dict(tmp=tmp, gw=gw, schema=schema, key_json=key_json, zkey=zkey, registered=registered, kh=kh,
                tables=tables, homes=homes)


def test_register_once_then_questions_upload_no_key(gateway, setup):
    s = setup
    gw, registered = s["gw"], s["registered"]
    assert registered["dev_only"] and not registered["already_registered"]
    assert registered["vk_hash"] == CircuitKeys.from_zkey(s["zkey"]).vk_hash.hex()
    again = run_json("requester", "register-universal-key", "--schema", s["schema"], "--universal", s["key_json"],
                     "--circuit-key", s["zkey"], *gw)
    assert again["already_registered"] and again["vk_hash"] == registered["vk_hash"]
    listed = run_json("gateway", *gw, "universal-keys")["universal_keys"]
    assert [k["vk_hash"] for k in listed] == [registered["vk_hash"]]

    parts = [a for h in HOSPITALS for a in ("--participant", h)]
    card = ("--key-holder", s["kh"] / "keyholder.card")
    opened = [run_json("requester", "create-study", "--sql", sql, *parts, *card, "--universal", s["key_json"], *gw)
              for sql in (FIRST, SECOND)]
    for o in opened:  # the study names the registered key: no circuit keys, no proving key in the upload
        assert o["circuit_key"] == f"registered:{registered['vk_hash']}"
        assert o["uploaded_bytes"]["proving_key"] == 0 and o["uploaded_bytes"]["circuit_keys"] == 0
    zkey_bytes = s["zkey"].stat().st_size
    assert sum(opened[0]["uploaded_bytes"].values()) < zkey_bytes  # what the upload saved (see the report)

    with GatewayClient(gateway.address) as client:
        specs = [StudySpec.from_bytes(client.get_study(o["study_id"]).spec) for o in opened]
        for o in opened:  # GetProvingKey serves the registered .zkey for both studies
            served = s["tmp"] / f"served-{o['study_id'][:8]}.zkey"
            assert client.download_proving_key(o["study_id"], served) == hashlib.sha256(s["zkey"].read_bytes()).hexdigest()
    assert all(sp.universal is not None and sp.vk_hash.hex() == registered["vk_hash"] for sp in specs)

    for o in opened:
        for i, home in enumerate(s["homes"]):  # no --circuit-key: each holder fetches the served key (cached)
            on_dask = ("--dask", "local:2") if o is opened[1] and i == 0 and HAVE_DASK else ()  # issue 25's Dask
            run_json("holder", "submit", "--home", home, o["study_id"], "--dev", *on_dask, *gw)
    study_id = opened[1]["study_id"]
    run_json("requester", "close", study_id, *gw)
    released = run_json("keyholder", "release", "--home", s["kh"], study_id, *gw)
    rows = [dict(zip(PATIENT_SCHEMA.names, r)) for t in s["tables"].values() for r in t.tolist()]
    truth = to_json(moments.truth(specs[1].question, PATIENT_SCHEMA, rows))
    assert {k: released["statistics"][k] for k in truth} == truth
    verified = run("gateway", *gw, "verify-study", study_id, "--dev")
    assert verified.stdout.splitlines()[0] == "VERIFIED"
    auditor = REPO_ROOT / "examples" / "node-auditor"
    if shutil.which("node") and (auditor / "node_modules" / "snarkjs").is_dir():  # it says what it does not check
        proc = subprocess.run(["node", "audit.js", "--gateway", gateway.address, "--study", study_id, "--dev"],
                              cwd=auditor, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "universal contribution circuit" in proc.stdout and "checks NOTHING of this study" in proc.stdout
        assert "zkgate gateway verify-study" in proc.stdout


def _refusal(call) -> GatewayCallError:
    with pytest.raises(GatewayCallError) as caught:
        call()
    return caught.value


def test_study_with_other_parameters_than_the_registered_key_refused(gateway, setup):
    s = setup
    with GatewayClient(gateway.address) as client:
        key = next(k for k in client.list_universal_keys() if k.vk_hash == s["registered"]["vk_hash"])
        params = params_from_json(key.params_json)
        request = build_request(None, title="t", participants=HOSPITALS, ranges=(), equals=(), stats=(), quorum=None,
                                deadline=None, deadline_in=None, sql=FIRST)
        registrations = choose_registrations(client, request)
        assert all(isinstance(r, Registration) for r in registrations)
        card = read_card(str(s["kh"] / "keyholder.card"))
        info = client.gateway_info()
        wider = dataclasses.replace(params, max_cells=5)  # the key's vk hash, other maxima
        spec, _ = open_study(title="t", registrations=registrations, question=request_question(request, PATIENT_SCHEMA),
                             quorum=2, deadline=request.deadline, public_context=card.public_context,
                             gateway_key=info.study_signing_key, key_holder_key=card.signing_key,
                             keys=CircuitKeys.from_bytes(key.circuit_keys), dev_mode=True, universal=wider)
        refused = _refusal(lambda: client.create_study(spec.to_bytes(), b"", card.public_context.to_bytes()))
        assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
        assert "max_cells 5 (the key's: 4)" in refused.details, refused.details

        # a registered key's parameters cannot be claimed for another circuit: the gateway compiles it
        other = params_json(wider)
        refused = _refusal(lambda: client.register_universal_key(other, s["zkey"].read_bytes()))
        assert refused.code == grpc.StatusCode.ALREADY_EXISTS, refused.details  # a registration never changes
        # the ProverService does not let anyone else name a circuit as a universal key
        refused = _refusal(lambda: client.register_circuit(s["zkey"].read_bytes(), name="universal-key " + other))
        assert refused.code == grpc.StatusCode.INVALID_ARGUMENT and "reserved" in refused.details


def test_key_of_another_circuit_refused(gateway, setup, tmp_path):
    """A key made for the circuit of other maxima (5 moments per cell, not 6), registered under these
    parameters: the gateway compiles the circuit of the parameters it is given and compares it with the key."""
    other_key = tmp_path / "other.zkey"
    with GatewayClient(gateway.address) as client:
        params = params_from_json(next(iter(client.list_universal_keys())).params_json)
        write_zkey(other_key, CircuitKeys.dev(compile_universal(dataclasses.replace(params, max_moments=5))).pk)
        refused = _refusal(lambda: client.register_universal_key(params_json(params), other_key.read_bytes()))
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a key of the universal circuit of these parameters" in refused.details, refused.details


def test_keys_without_a_ceremony_refused_outside_dev_mode(setup, tmp_path):
    """Outside dev mode: a development key, a key whose transcript holds no contribution (its delta is
    random, but nobody can show where it came from) and a key with no phase-2 contribution at all
    (gamma2 == delta2: proofs can be forged) are refused, and nothing is registered."""
    from zkgate.services.gateway.server import Gateway, ServerConfig

    s = setup
    pk = read_zkey(s["zkey"])
    no_transcript, uncontributed = tmp_path / "bare.zkey", tmp_path / "uncontributed.zkey"
    write_zkey(no_transcript, dataclasses.replace(
        pk, contributions=encode_mpc_params(MpcParams(decode_mpc_params(pk.contributions).cs_hash, ()))))
    write_zkey(uncontributed, dataclasses.replace(pk, delta2=pk.gamma2))
    server = Gateway(ServerConfig(data_dir=str(tmp_path / "gw"), port=0, dev_mode=False)).start()
    try:
        out = run("requester", "register-universal-key", "--schema", s["schema"], "--universal", s["key_json"],
                  "--circuit-key", s["zkey"], "--gateway", server.address, ok=False)
        assert out.exit_code != 0 and "DEVELOPMENT-ONLY" in out.output, out.output
        with GatewayClient(server.address) as client:
            text = client_params(s["key_json"].read_text(), s["schema"])
            refused = _refusal(lambda: client.register_universal_key(text, no_transcript.read_bytes()))
            assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
            assert "transcript holds no phase-2 contribution" in refused.details, refused.details
            refused = _refusal(lambda: client.register_universal_key(text, uncontributed.read_bytes()))
            assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and "gamma2 == delta2" in refused.details
            assert client.list_universal_keys() == []
    finally:
        server.stop(grace=1)


def client_params(key_json: str, schema_file) -> str:
    """The registered form of what `zkgate schema circuit` printed (as register-universal-key sends it)."""
    from zkgate.services.parties.roles import universal_params
    from zkgate.services.wire import load_schema

    printed = json.loads(key_json)
    schema = load_schema(json.loads(schema_file.read_text()), str(schema_file))
    return params_json(universal_params(printed, schema, printed["capacity"]))
