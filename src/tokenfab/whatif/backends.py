"""Where the chunks run: in this process (default, needs nothing) or on Ray (the
``distributed`` extra): a local Ray instance, or an existing cluster at ``address``.

A job is a list of (rows, inputs, chunk seed, chunk size) tuples; both backends return the
chunks' results in job order, so the concatenated samples are identical for the same seed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ..catalog.uncertainty import UncertainInput
from ..errors import InputError
from .rows import Rows
from .sampling import run_chunk

Backend = Literal["local", "ray"]
BACKENDS: tuple[str, ...] = ("local", "ray")
Job = tuple[Rows, Sequence[UncertainInput], np.random.SeedSequence, int]


def run_local(jobs: Sequence[Job]) -> list[dict[str, np.ndarray]]:
    return [run_chunk(*j) for j in jobs]


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise InputError(f"backend = 'ray' needs Ray ({exc.name} is missing): pip install 'ray>=2.9', or from a "
                         "clone pip install '.[distributed]'; or use backend = 'local'") from None
    return ray


def _reachable(address: str, timeout_s: float = 3.0) -> None:
    """Refuse an address whose host:port does not answer (instead of waiting on Ray's retries)."""
    import socket

    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            return
    except (OSError, ValueError):
        pass
    raise InputError(f"address = {address!r}: nothing answers there; pass the Ray head node's host:port "
                     "(ray start --head prints it) or drop --address for a local Ray instance")


def run_ray(jobs: Sequence[Job], address: str | None = None, num_cpus: int | None = None) -> list[dict[str, np.ndarray]]:
    """Run the chunks as Ray tasks: connects to ``address`` or starts a local Ray instance
    (no dashboard, worker logs not forwarded) when none is running in this process."""
    ray = _ray()
    if not ray.is_initialized():
        if address:
            _reachable(address)
        try:
            if address:
                ray.init(address=address, log_to_driver=False, include_dashboard=False)
            else:
                ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise InputError(f"address = {address!r}: cannot connect to or start Ray ({str(exc)[:120]}); "
                             "pass the head node's host:port or drop --address for a local instance") from None
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    n_batches = min(len(jobs), 4 * cpus)  # a few tasks per CPU: chunks of 4,096 samples are too small alone
    bounds = np.linspace(0, len(jobs), n_batches + 1).astype(int)
    task = ray.remote(_run_batch)
    shipped: dict[int, Any] = {}
    for rows, *_ in jobs:  # each distinct row set goes to the object store once
        if id(rows) not in shipped:
            shipped[id(rows)] = ray.put(rows)
    refs = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        batch = jobs[lo:hi]
        keys = list(dict.fromkeys(id(j[0]) for j in batch))
        refs.append(task.remote([keys.index(id(j[0])) for j in batch], [(tuple(j[1]), j[2], j[3]) for j in batch],
                                *[shipped[k] for k in keys]))
    return [part for got in ray.get(refs) for part in got]


def _run_batch(which: list[int], rest: list[tuple[Any, np.random.SeedSequence, int]], *row_sets: Rows
               ) -> list[dict[str, np.ndarray]]:
    """A Ray task: consecutive chunks, each exactly as ``run_local`` runs it."""
    return [run_chunk(row_sets[w], inputs, seed, n) for w, (inputs, seed, n) in zip(which, rest)]


def run(jobs: Sequence[Job], backend: str = "local", address: str | None = None) -> list[dict[str, np.ndarray]]:
    if backend not in BACKENDS:
        raise InputError(f"backend = {backend!r}: use one of {', '.join(BACKENDS)}")
    if backend == "ray":
        return run_ray(jobs, address)
    if address:
        raise InputError(f"address = {address!r} needs backend = 'ray'; add --backend ray or drop --address")
    return run_local(jobs)
