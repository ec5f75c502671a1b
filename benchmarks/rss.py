"""Peak resident memory of a process tree, sampled in a thread (shared by the benchmarks)."""

from __future__ import annotations

import threading

import psutil


class RssSampler(threading.Thread):
    """Peak resident memory of a process and its children [bytes], sampled every ``every_s``."""

    def __init__(self, pid: int, every_s: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.every_s, self.peak, self.stop = psutil.Process(pid), every_s, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            self.stop.wait(self.every_s)
