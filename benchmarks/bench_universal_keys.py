#!/usr/bin/env python3
"""A universal key registered with the gateway once (issue 21): what CreateStudy uploads then.

    python benchmarks/bench_universal_keys.py [--capacity 8]

Through a dev-mode gateway on localhost (its own temporary data folder): `zkgate schema circuit` for
the patient schema (maxima 10 breakpoints, 4 cells, 6 moments, 1 bin, 1 survival bin, 24 coordinates),
`requester register-universal-key --dev-circuit-key` (development setup + upload + the gateway's
compile and comparison), two hospitals' data sets, then two questions opened with the registered key
and one with a key of its own: seconds and the bytes of each part of the CreateStudy upload.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from testsupport import run_cli as run  # noqa: E402  (the in-process CLI runner)
from testsupport import run_cli_json as run_json  # noqa: E402
from zkgate.services.gateway.server import Gateway, ServerConfig  # noqa: E402
from zkgate.study.patients import PATIENT_SCHEMA, export_tables, patient_table  # noqa: E402

QUESTIONS = ("SELECT COUNT(*) AS n, AVG(cholesterol) AS c FROM patients WHERE age BETWEEN 40 AND 80",
             "SELECT diagnosis, COUNT(*) AS n FROM patients WHERE sex = 1 GROUP BY diagnosis")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacity", type=int, default=8)
    cap = parser.parse_args().capacity
    tmp = Path(tempfile.mkdtemp(prefix="zkgate-bench-ukeys-"))
    server = Gateway(ServerConfig(data_dir=str(tmp / "gw"), port=0, dev_mode=True)).start()
    gw = ("--gateway", server.address)
    try:
        schema = tmp / "schema.json"
        schema.write_text(json.dumps({"columns": [{"name": c.name, "min": c.lo, "max": c.hi}
                                                  for c in PATIENT_SCHEMA.columns]}))
        key_json = tmp / "u.json"
        t = time.perf_counter()
        key_json.write_text(run("schema", "circuit", "--schema", schema, "--capacity", cap, "--max-terms", 10,
                                "--max-cells", 4, "--max-moments", 6, "--max-bins", 1, "--max-surv-bins", 1,
                                "--max-coordinates", 24, "--out", tmp / "u.r1cs").stdout)
        print(f"schema circuit: {time.perf_counter() - t:.2f} s, {json.loads(key_json.read_text())['constraints']} "
              "constraints")
        t = time.perf_counter()
        reg = run_json("requester", "register-universal-key", "--schema", schema, "--universal", key_json,
                       "--dev-circuit-key", tmp / "u.zkey", *gw)
        print(f"register-universal-key: {time.perf_counter() - t:.2f} s, .zkey {reg['zkey_bytes']} bytes")
        kh = tmp / "kh"
        run_json("keyholder", "init", "--home", kh)
        rng = np.random.default_rng(1)
        tables = {name: patient_table(rng, 10) for name in ("a", "b")}
        for name, data in zip(tables, export_tables(tmp / "data", PATIENT_SCHEMA, tables)):
            run("holder", "init", "--home", tmp / name, "--org", name)
            run_json("holder", "register-dataset", "--home", tmp / name, data, "--schema", schema, "--chunk", cap, *gw)
        common = ("--participant", "a", "--participant", "b", "--key-holder", kh / "keyholder.card",
                  "--universal", key_json, *gw)
        for label, sql, extra in (("registered key", QUESTIONS[0], ()), ("registered key", QUESTIONS[1], ()),
                                  ("its own key", QUESTIONS[1], ("--dev-circuit-key", tmp / "own.zkey"))):
            t = time.perf_counter()
            opened = run_json("requester", "create-study", "--sql", sql, *common, *extra)
            sizes = opened["uploaded_bytes"]
            print(f"create-study with {label}: {time.perf_counter() - t:.2f} s, upload {sum(sizes.values())} bytes "
                  f"{sizes}")
    finally:
        server.stop(grace=1)


if __name__ == "__main__":
    main()
