"""Worker processes for the commands that go over a corpus (`render DIR`, `test`, `diff`): one way to stream.

``stream(work, items, jobs=N, init=..., initargs=...)`` calls ``work(chunk)`` on chunks of ``items`` and yields
each item's result, in the order of ``items`` (``ordered=False``: as they come). With ``jobs=1`` everything runs
in this process; otherwise in ``jobs`` spawned processes, each set up once by ``init(*initargs)`` (compile a rule
pack there, not per file: packs do not pickle). Items are read lazily and at most ``2 x jobs`` chunks are in
flight, so memory does not grow with the corpus. ``work`` must be a module-level function, and its results
picklable (PodevalError is).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from multiprocessing import get_context
from typing import Any


def _chunks(items: Iterable, size: int, gate: threading.Semaphore | None) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            if gate is not None:
                gate.acquire()  # bounded in flight: released when a chunk's results come back
            yield chunk
            chunk = []
    if chunk:
        if gate is not None:
            gate.acquire()
        yield chunk


def stream(
    work: Callable[[list], list],
    items: Iterable,
    *,
    jobs: int = 1,
    init: Callable | None = None,
    initargs: tuple = (),
    chunk: int = 16,
    ordered: bool = True,
) -> Iterator[Any]:
    """The results of ``work`` over ``items``, one per item (see the module's docstring)."""
    if jobs <= 1:
        if init is not None:
            init(*initargs)
        for part in _chunks(items, chunk, None):
            yield from work(part)
        return
    gate = threading.Semaphore(2 * jobs)
    # spawn, not fork: a fresh interpreter per worker (fork with a pool's threads around can deadlock)
    with get_context("spawn").Pool(jobs, init, initargs) as pool:
        mapped = pool.imap if ordered else pool.imap_unordered
        for results in mapped(work, _chunks(items, chunk, gate)):
            gate.release()
            yield from results
