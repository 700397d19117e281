"""Chunk proofs as Dask tasks on the data holder's own cluster (issue #25).

A contribution's chunk proofs are independent: each chunk's witness and Groth16 proof can run
on any worker.  :class:`DaskProver` fans them out over a Dask distributed cluster — an existing
scheduler (``tcp://host:8786``, ``tls://host:8786``) or a ``LocalCluster`` of N worker
processes (``local:N``) — and hands the results back in chunk order.

Trust: Dask moves pickled code and data, so whoever runs the scheduler can run code on the
workers and read the records they are sent.  The cluster must be the data holder's own; a
scheduler beyond localhost is refused without Dask's TLS security configuration (mutual TLS:
the holder's CA, a client certificate and key), see :func:`load_security`.

Randomness: each task draws the commitment randomness ρ and the proof's blinding scalars r, s
from the operating system's CSPRNG (:mod:`secrets`) in the worker process that runs it, so
forked or spawned workers never share an RNG state.

``dask`` and ``distributed`` are imported lazily (``pip install 'zkgate[dask]'``): importing
this module costs nothing.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from zkgate.bn254 import FrArray
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.errors import InvalidInputError, ZkgateError
from zkgate.prover.groth16.prove import prove
from zkgate.study.circuit import chunk_statistics, commit
from zkgate.study.errors import StudyError
from zkgate.study.universal_circuit import chunk_inputs, compile_for

INSTALL_HINT = "install Dask with `pip install 'zkgate[dask]'` (dask[distributed])"
LOCAL_PREFIX = "local:"
MAX_LOCAL_WORKERS = 256


class DaskSetupError(StudyError, InvalidInputError):
    """A --dask address or --dask-tls configuration that cannot be used (or Dask is not installed)."""


class DaskProvingError(StudyError):
    """The cluster did not deliver every chunk proof (workers lost beyond Dask's retries, a task failed)."""


@dataclass(frozen=True)
class DaskTarget:
    """Where chunk proofs run: a LocalCluster of ``local_workers`` processes, or ``address``."""

    address: str | None = None
    local_workers: int = 0
    tls_config: str | None = None

    @property
    def is_local(self) -> bool:
        return self.address is None

    def describe(self) -> str:
        return f"a local Dask cluster of {self.local_workers} worker process(es)" if self.is_local else \
            f"the Dask scheduler at {self.address}" + (" (TLS)" if self.tls_config else "")


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_target(address: str, tls_config: str | None = None) -> DaskTarget:
    """Check a ``--dask`` value (``local:N`` or a scheduler address) against ``--dask-tls``.

    A scheduler beyond localhost needs ``tls_config`` and a ``tls://`` address: the scheduler can
    run code on the holder's workers, so the holder must reach its own scheduler over mutual TLS."""
    address = address.strip()
    if address.startswith(LOCAL_PREFIX):
        n = address[len(LOCAL_PREFIX):]
        if not n.isdigit() or not 1 <= int(n) <= MAX_LOCAL_WORKERS:
            raise DaskSetupError(f"--dask {address!r}: local:N needs N worker processes, 1 to {MAX_LOCAL_WORKERS} "
                                 "(e.g. local:2)")
        if tls_config is not None:
            raise DaskSetupError("--dask-tls applies to a scheduler address; a local:N cluster runs on this machine")
        return DaskTarget(None, int(n))
    if not address:
        raise DaskSetupError("--dask needs local:N or a scheduler address such as tls://scheduler.example:8786")
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or not parts.port:
        raise DaskSetupError(f"--dask {address!r}: expected local:N or a scheduler address tcp://HOST:PORT or "
                             "tls://HOST:PORT")
    if tls_config is None and not _is_loopback(parts.hostname):
        raise DaskSetupError(
            f"--dask {address!r} is not on this machine: a Dask scheduler can run code on the workers and read the "
            "records they prove, so it must be your own and reached over mutual TLS — pass --dask-tls CONFIG (Dask's "
            "TLS security configuration, see docs/scale.md) and a tls:// address")
    if tls_config is not None and parts.scheme != "tls":
        raise DaskSetupError(f"--dask {address!r}: with --dask-tls the scheduler address must be tls://HOST:PORT")
    if tls_config is not None:
        load_tls_config(tls_config)  # refused now, before anything is proved
    return DaskTarget(f"{parts.scheme}://{parts.netloc}", 0, tls_config)


def load_tls_config(path: str) -> dict[str, str]:
    """Read Dask's TLS security configuration (YAML, Dask's own config layout) for the client.

    ``distributed.comm.tls``: ``ca-file``, ``client.cert`` and ``client.key`` (relative paths are
    relative to the file).  Returns the absolute paths; encryption is always required."""
    try:
        import yaml  # a dependency of dask; only needed with --dask-tls
    except ImportError:
        raise DaskSetupError(f"--dask-tls needs Dask: {INSTALL_HINT}") from None

    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text())
    except OSError as exc:
        raise DaskSetupError(f"--dask-tls {path}: cannot read it ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise DaskSetupError(f"--dask-tls {path}: not YAML ({exc})") from None
    try:
        tls = doc["distributed"]["comm"]["tls"]
        found = {"ca": tls["ca-file"], "cert": tls["client"]["cert"], "key": tls["client"]["key"]}
    except (KeyError, TypeError):
        raise DaskSetupError(
            f"--dask-tls {path}: expected Dask's layout distributed: comm: tls: with ca-file, client: cert and "
            "client: key (see docs/scale.md)") from None
    out = {}
    for name, value in found.items():
        if not isinstance(value, str) or not value:
            raise DaskSetupError(f"--dask-tls {path}: {name} must be a file path")
        f = Path(value) if Path(value).is_absolute() else p.parent / value
        if not f.is_file():
            raise DaskSetupError(f"--dask-tls {path}: {name} file {f} does not exist")
        out[name] = str(f.resolve())
    return out


def _distributed():
    try:
        import distributed
    except ImportError:
        raise DaskSetupError(f"--dask needs Dask: {INSTALL_HINT}") from None
    return distributed


@dataclass(frozen=True)
class ChunkProof:
    """One chunk's witness + proof as a task returns it (the holder's private view)."""

    index: int
    statistics: list[int]
    rho: int
    point: tuple[int, int]
    proof: object
    public: list[int]
    witness_s: float
    prove_s: float
    worker: str


def prove_chunk(spec, pk, index: int, rows, elements, salt, root) -> ChunkProof:
    """Statistics, ρ (OS CSPRNG, drawn here), Pedersen commitment, witness and Groth16 proof of one
    chunk — the same steps as in-process proving (:meth:`Contributor.contribute`)."""
    t0 = time.perf_counter()
    circuit = compile_for(spec)  # per-shape or universal (issue 21); memory and disk cache: once per worker
    s = chunk_statistics(spec, rows)
    rho = secrets.randbelow(L)
    pt = commit(s, rho)
    witness = circuit.solve(chunk_inputs(spec, elements, salt, root, rho, pt, s), check=False)
    t1 = time.perf_counter()
    proof, public = prove(pk, FrArray(witness, check=False))  # r, s from secrets, in this process
    t2 = time.perf_counter()
    return ChunkProof(index, s, rho, pt, proof, public, t1 - t0, t2 - t1, f"{socket.gethostname()}:{os.getpid()}")


def _raise_task_error(future) -> None:
    """A chunk task that raised (after its retries): a ZkgateError as it is, anything else named."""
    exc = future.exception()
    if isinstance(exc, ZkgateError):
        raise exc
    index = future.key.rsplit("-", 1)[-1]
    raise DaskProvingError(
        f"chunk {index}'s proof failed on a Dask worker: {type(exc).__name__}: {exc} (the workers need the same "
        "zkgate version as this machine, installed with `pip install 'zkgate[dask]'`)") from exc


def _worker_pid() -> int:
    return os.getpid()


class DaskProver:
    """A Dask client (and, for ``local:N``, its LocalCluster) that proves contributions' chunks.

    Use as a context manager; one session can prove several contributions (the proving key is
    scattered to every worker once per distinct key).  ``retries``: re-runs of a task that raised;
    a task lost with its worker is rescheduled by Dask itself (up to the scheduler's
    ``distributed.scheduler.allowed-failures``).  ``timeout``: seconds to connect and to wait for
    each next chunk (None: no limit on proving)."""

    def __init__(self, target: DaskTarget, *, retries: int = 3, timeout: float | None = None,
                 connect_timeout: float = 60.0) -> None:
        self.target = target
        self.retries = retries
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.client = None
        self.cluster = None
        self._scattered: dict[int, tuple[object, object]] = {}

    def __enter__(self) -> DaskProver:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        distributed = _distributed()
        import logging

        if self.target.is_local:
            # worker processes (each draws its own randomness), one task thread each (the kernels hold
            # the GIL), and this machine's cores shared out among their OpenMP kernels
            n = self.target.local_workers
            threads = str(max(1, (os.cpu_count() or 1) // n))
            self.cluster = distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                silence_logs=logging.ERROR, host="127.0.0.1", env={"ZKGATE_THREADS": threads, "OMP_NUM_THREADS": threads})
            self.client = distributed.Client(self.cluster, timeout=self.connect_timeout)
            self.client.wait_for_workers(self.target.local_workers, timeout=self.connect_timeout)
        else:
            security = None
            if self.target.tls_config:
                files = load_tls_config(self.target.tls_config)
                security = distributed.Security(tls_ca_file=files["ca"], tls_client_cert=files["cert"],
                                                tls_client_key=files["key"], require_encryption=True)
            try:
                self.client = distributed.Client(self.target.address, security=security, timeout=self.connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise DaskSetupError(f"cannot reach {self.target.describe()}: {exc}") from None

    def close(self) -> None:
        self._scattered.clear()
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def worker_pids(self) -> dict[str, int]:
        """Each worker's address and process id (tests kill one)."""
        return self.client.run(_worker_pid)

    def _scatter_key(self, pk):
        held = self._scattered.get(id(pk))
        if held is None or held[0] is not pk:
            future = self.client.scatter(pk, broadcast=True, hash=False)  # every worker holds one copy
            held = self._scattered[id(pk)] = (pk, future)
        return held[1]

    def prove_chunks(self, spec, pk, commitment, progress=None) -> list[ChunkProof]:
        """Prove every chunk of ``commitment`` for ``spec``; the results in chunk order, one per chunk.

        ``progress(done, total)`` is called as chunks finish."""
        if self.client is None:
            raise DaskProvingError("the Dask session is not started")
        distributed = _distributed()
        pk_future = self._scatter_key(pk)
        [spec_future] = self.client.scatter([spec], hash=False)
        run = uuid.uuid4().hex[:12]
        c = commitment
        futures = [
            self.client.submit(prove_chunk, spec_future, pk_future, k, c.chunk_rows(k), c.chunk_elements[k],
                               c.chunk_salts[k], c.chunk_roots[k], key=f"zkgate-chunk-{run}-{k}", pure=False,
                               retries=self.retries)
            for k in range(c.n_chunks)
        ]
        n = len(futures)
        if progress is not None:
            progress(0, n)
        try:
            done = 0
            for future in distributed.as_completed(futures, timeout=self.timeout):
                if future.status == "error":
                    _raise_task_error(future)
                done += 1
                if progress is not None:
                    progress(done, n)
            results = self.client.gather(futures)
        except distributed.client.FutureCancelledError as exc:
            raise DaskProvingError(f"a chunk proof was cancelled on {self.target.describe()}: {exc}") from None
        except distributed.scheduler.KilledWorker as exc:
            raise DaskProvingError(f"chunk proof {exc.task!r} was lost with its worker too many times "
                                   f"({exc}): the workers may be running out of memory") from None
        except TimeoutError:
            raise DaskProvingError(f"no chunk proof finished within {self.timeout} s on {self.target.describe()}") \
                from None
        finally:
            for future in futures:
                future.release()
        out = list(results)
        if [r.index for r in out] != list(range(n)):
            raise DaskProvingError("the cluster returned chunk proofs out of order or twice")
        return out


__all__ = ["ChunkProof", "DaskProver", "DaskProvingError", "DaskSetupError", "DaskTarget", "load_tls_config",
           "parse_target", "prove_chunk"]
