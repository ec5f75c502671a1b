"""Running CLI reproductions through the installed ``tokenfab`` script, all at once.

Each case names its arguments, the exit code it must end with, text the output must hold and
files written to its own folder first (``{dir}`` in an argument is that folder). A refused
input (exit 2) must print exactly one ``error:`` line (after the usage line for usage errors),
never a traceback, ``nan`` or ``inf``.
"""

from __future__ import annotations

import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import run_cli


@dataclass
class Case:
    args: list[str]
    rc: int
    needles: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)  # name -> text, written to the case's own folder


def run_cases(cases: dict[str, Case], tmp_path_factory: Any) -> dict[str, subprocess.CompletedProcess]:
    """Every case in a fresh process, six at a time."""
    folders: dict[str, Path] = {}
    for name, case in cases.items():
        folders[name] = tmp_path_factory.mktemp(name)
        for fname, text in case.files.items():
            (folders[name] / fname).write_text(text, encoding="utf-8")

    def one(name: str, case: Case) -> subprocess.CompletedProcess:
        return run_cli(*[a.replace("{dir}", str(folders[name])) for a in case.args])

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {name: pool.submit(one, name, case) for name, case in cases.items()}
        return {name: f.result() for name, f in futures.items()}


def check_case(name: str, case: Case, proc: subprocess.CompletedProcess, help_cases: tuple[str, ...] = ()) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode == case.rc, (name, proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in out, proc.stderr
    assert not re.search(r"\b(nan|inf|NaN|Infinity)\b", proc.stdout), proc.stdout[:2000]
    if case.rc == 2:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        if name not in help_cases:
            errors = [ln for ln in lines if not ln.startswith("Usage:")]
            assert len(errors) == 1 and errors[0].startswith("error: "), proc.stderr
            assert len(errors[0]) < 400, errors[0]
        else:
            assert "Commands:" in proc.stderr
    for needle in case.needles:
        assert needle in out, (needle, out[-2000:])
    if proc.returncode == 0 and "--json" in case.args:
        json.loads(proc.stdout)  # valid, strict JSON
