"""Issue #17, part 3: circuit keys are fetched from the gateway (and checked against the spec),
schemas are published once and registered against by name.  No proving: seconds."""

from __future__ import annotations

import csv
import hashlib
import json

import grpc
import numpy as np
import pytest
from click.testing import CliRunner

from testsupport import dev_gateway
from zkgate.cli import cli
from zkgate.prover.ceremony.phase2 import contribute
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.parties import roles
from zkgate.services.parties.holder_home import HolderHome
from zkgate.study.simulate import PATIENT_SCHEMA, patient_table

HOSPITALS = ("hospital-a", "hospital-b")
SCHEMA_OBJ = {"columns": [{"name": c.name, "min": c.lo, "max": c.hi} for c in PATIENT_SCHEMA.columns]}


def run(*args, ok=True):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0 and "Traceback" not in result.output, result.output
    return result


def run_json(*args):
    return json.loads(run(*args, "--json").stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


@pytest.fixture(scope="module")
def world(gateway, tmp_path_factory):
    """A published schema, two holders registered against it by name, a dev study whose key was uploaded."""
    root = tmp_path_factory.mktemp("keys")
    gw = ("--gateway", gateway.address)
    schema = root / "schema.json"
    schema.write_text(json.dumps(SCHEMA_OBJ, indent=1))
    published = run_json("requester", "publish-schema", "--name", "patients-v1", schema, *gw)
    homes = []
    rng = np.random.default_rng(3)
    for name in HOSPITALS:
        data = root / f"{name}.csv"
        with open(data, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(PATIENT_SCHEMA.names)
            writer.writerows(patient_table(rng, 6).tolist())
        home = root / name
        run("holder", "init", "--home", home, "--org", name)
        run_json("holder", "register-dataset", "--home", home, data, "--schema-name", "patients-v1", "--chunk", 4, *gw)
        homes.append(home)
    run("keyholder", "init", "--home", root / "kh")
    zkey = root / "study.zkey"
    opened = run_json("requester", "create-study", "--title", "count", *(f"--participant={h}" for h in HOSPITALS),
                      "--range", "age:40:65", "--key-holder", root / "kh" / "keyholder.card",
                      "--dev-circuit-key", zkey, *gw)
    return dict(root=root, gw=gw, homes=homes, zkey=zkey, study_id=opened["study_id"], published=published,
                schema=schema)


# -- schemas ------------------------------------------------------------------------------------------
def test_publish_schema_is_idempotent_and_logged(gateway, world):
    gw, published = world["gw"], world["published"]
    canonical = json.dumps(SCHEMA_OBJ, sort_keys=True, separators=(",", ":"))
    assert published["schema_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    size_before = gateway.store.audit_read(lambda log: log.size)
    # the same columns written differently: same schema, nothing logged again
    other_spelling = world["root"] / "same.json"
    other_spelling.write_text(json.dumps(SCHEMA_OBJ["columns"]))
    again = run_json("requester", "publish-schema", "--name", "patients-v1", other_spelling, *gw)
    assert again == published
    assert gateway.store.audit_read(lambda log: log.size) == size_before
    kinds = [entry.kind for _, entry in gateway.store.audit_entries(0, size_before)]
    assert kinds.count("schema") == 1


def test_publish_schema_with_other_content_is_already_exists(world):
    changed = dict(SCHEMA_OBJ, columns=[dict(SCHEMA_OBJ["columns"][0], max=121), *SCHEMA_OBJ["columns"][1:]])
    path = world["root"] / "changed.json"
    path.write_text(json.dumps(changed))
    out = run("requester", "publish-schema", "--name", "patients-v1", path, *world["gw"], ok=False).output
    assert "already published with other columns" in out and world["published"]["schema_sha256"] in out
    bad = world["root"] / "bad.json"
    bad.write_text(json.dumps({"columns": [{"name": "age", "min": 5}]}))
    assert "columns[0].max" in run("requester", "publish-schema", "--name", "x", bad, *world["gw"], ok=False).output


def test_schemas_are_listed_and_registered_by_name(gateway, world):
    gw = world["gw"]
    listed = json.loads(run("gateway", "schemas", "--json", *gw).stdout)["schemas"]
    assert [s["name"] for s in listed] == ["patients-v1"] and listed[0]["schema"] == SCHEMA_OBJ
    assert "patients-v1" in run("gateway", *gw, "schemas").stdout
    with GatewayClient(gateway.address) as client:
        for dataset in client.list_datasets():
            assert json.loads(dataset.schema_json) == [[c.name, c.lo, c.hi] for c in PATIENT_SCHEMA.columns]
        with pytest.raises(GatewayCallError) as caught:
            client.get_schema("nope")
        assert caught.value.code == grpc.StatusCode.NOT_FOUND and "gateway schemas" in caught.value.details
    out = run("holder", "register-dataset", "--home", world["homes"][0], world["root"] / "hospital-a.csv",
              "--schema-name", "nope", "--name", "other", *gw, ok=False).output
    assert "no schema named 'nope'" in out
    out = run("holder", "register-dataset", "--home", world["homes"][0], world["root"] / "hospital-a.csv",
              "--schema-name", "patients-v1", "--schema", world["schema"], *gw, ok=False).output
    assert "one of them" in out


# -- circuit keys fetched, not mailed -----------------------------------------------------------------
def test_the_study_key_is_downloaded_in_chunks_checked_and_cached(gateway, world, monkeypatch):
    study_id = world["study_id"]
    holder = HolderHome.open(world["homes"][0])
    with GatewayClient(gateway.address) as client:
        _, spec = roles.fetch_spec(client, study_id)
        sizes = []
        messages = []
        keys = roles.fetch_circuit_key(client, holder, study_id, spec, dev=True, progress=messages.append,
                                       download_bar=lambda total: _Bar(total, sizes))
        cached = holder.circuit_key_path(spec.vk_hash.hex())
        assert cached.read_bytes() == world["zkey"].read_bytes()
        assert keys.vk_hash == spec.vk_hash and keys.pk is not None
        assert sizes and sum(sizes[1:]) == sizes[0] == world["zkey"].stat().st_size
        # a second fetch uses the cache
        roles.fetch_circuit_key(client, holder, study_id, spec, dev=True, progress=messages.append)
        assert "cached" in messages[-1]
        # without --dev a development key is refused
        with pytest.raises(roles.RoleError, match="--dev"):
            roles.fetch_circuit_key(client, holder, study_id, spec, dev=False)
        # every served message stays within the advertised chunk size
        info = client.gateway_info()
        parts = list(client.study.GetProvingKey(_ref(study_id)))
        assert parts[0].WhichOneof("part") == "header"
        assert all(len(p.chunk) <= info.chunk_size for p in parts[1:])
        assert hashlib.sha256(b"".join(p.chunk for p in parts[1:])).hexdigest() == parts[0].header.sha256


def test_a_tampered_key_from_the_gateway_is_refused_naming_both_hashes(gateway, world, tmp_path):
    """A gateway serving another key (here: its store row pointed at a re-contributed key) is caught."""
    study_id = world["study_id"]
    other = tmp_path / "other.zkey"
    contribute(world["zkey"], other, name="someone else", entropy="tampering")
    blob = gateway.store.put_blob(other.read_bytes())
    with gateway.store._lock:
        gateway.store._db.execute("UPDATE study_proving_keys SET zkey_blob = ? WHERE study_id = ?", (blob, study_id))
    try:
        home = world["homes"][1]  # no cached key in this home
        out = run("holder", "submit", "--home", home, study_id, "--dev", *world["gw"], ok=False).output
        with GatewayClient(gateway.address) as client:
            _, spec = roles.fetch_spec(client, study_id)
        assert "refused the circuit key the gateway served" in out.replace("\n", " ")
        assert spec.vk_hash.hex() in out.replace("\n", "")
        holder = HolderHome.open(home)
        assert not holder.circuit_key_path(spec.vk_hash.hex()).exists()  # nothing kept
        assert holder.pending_submission(study_id) is None  # nothing proved
    finally:
        original = gateway.store.put_blob(world["zkey"].read_bytes())
        with gateway.store._lock:
            gateway.store._db.execute("UPDATE study_proving_keys SET zkey_blob = ? WHERE study_id = ?",
                                      (original, study_id))


def test_create_study_refuses_a_proving_key_that_is_not_the_studys(gateway, world, tmp_path):
    """The gateway checks an uploaded .zkey against the circuit keys of the study."""
    from zkgate.study.keys import CircuitKeys

    other = tmp_path / "other.zkey"
    contribute(world["zkey"], other, name="x", entropy="other key")
    with GatewayClient(gateway.address) as client:
        study = client.get_study(world["study_id"])
        context = client.public_context(world["study_id"])
        keys = CircuitKeys.from_bytes(study.circuit_keys)
        with pytest.raises(GatewayCallError) as caught:
            client.create_study(study.spec, keys.to_bytes(), context, other.read_bytes())
        assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert "proving_key" in caught.value.details and keys.vk_hash.hex() in caught.value.details
        with pytest.raises(GatewayCallError) as caught:
            client.create_study(study.spec, keys.to_bytes(), context, b"not a zkey")
        assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT and gateway.config.data_dir not in caught.value.details


def test_a_study_without_an_uploaded_key_says_where_to_get_it(gateway, world):
    with GatewayClient(gateway.address) as client:
        with pytest.raises(GatewayCallError) as caught:
            client.download_proving_key("ab" * 32, world["root"] / "x.zkey")
        assert caught.value.code == grpc.StatusCode.NOT_FOUND
    assert not (world["root"] / "x.zkey").exists() and not (world["root"] / "x.zkey.part").exists()


def _ref(study_id):
    from zkgate.services.v1 import study_pb2

    return study_pb2.StudyRef(study_id=study_id)


class _Bar:
    def __init__(self, total, sizes):
        self.sizes = sizes
        sizes.append(total)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        self.sizes.append(n)
