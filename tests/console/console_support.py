"""Console test helpers: run a real small study on a gateway; serve a console with uvicorn on a free port."""

from __future__ import annotations

import threading
import time

import numpy as np

from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayClient
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

HOSTILE_TITLE = "<script>alert(1)</script>"


def run_study(address: str, title: str, *, holders: int = 2, records: int = 8, chunk: int = 8, seed: int = 3,
              submit: int | None = None, release: bool = True) -> str:
    """Register ``holders`` hospitals, open a study titled ``title``, let ``submit`` of them (all by
    default) prove and submit; with ``release``, close it and publish the key holder's release.
    Returns the study id."""
    rng = np.random.default_rng(seed)
    names = [f"h{seed}-{i}" for i in range(holders)]
    tables = [patient_table(rng, records) for _ in names]
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, t), chunk) for t in tables]
    keys = [SigningKey.generate() for _ in names]
    registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    with GatewayClient(address) as client:
        for registration in registrations:
            client.register_dataset(registration.to_bytes())
        info = client.gateway_info()
        he = KeyHolder.create("bfv-4096")
        context = he.public_context()
        key_holder_key = SigningKey.generate()
        spec, circuit_keys = open_study(
            title=title, registrations=registrations, filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
            quorum=holders, deadline=int(time.time()) + 3600, public_context=context,
            gateway_key=info.study_signing_key, key_holder_key=key_holder_key.public, keys="dev", dev_mode=True,
        )
        study = client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes())
        for name, commitment, key in list(zip(names, commitments, keys))[: holders if submit is None else submit]:
            contribution = Contributor(name, commitment, key, dev_mode=True).contribute(spec, context, circuit_keys)
            client.submit(study.study_id, contribution.submission.to_bytes())
        if release:
            client.close_study(study.study_id)
            aggregate = Aggregate.from_bytes(client.aggregate(study.study_id))
            record = PublicRecord.from_bytes(client.public_record(study.study_id))
            published = StudyKeyHolder(spec, he, key_holder_key).release(aggregate, list(record.submissions))
            client.publish_release(study.study_id, published.to_bytes())
    return study.study_id


class ServedConsole:
    """A console served by uvicorn in a thread (plain HTTP on localhost, or browser mutual TLS)."""

    def __init__(self, app, tls=None) -> None:
        from zkgate.services.console.server import make_server

        self.server = make_server(app, "127.0.0.1", 0, tls)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the console did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
