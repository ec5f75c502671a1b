from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def load_benchmark(name: str):
    """The script ``benchmarks/<name>.py`` as a module (benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@dataclass
class Proc:
    """What a command printed and returned (the shape of subprocess.CompletedProcess)."""

    returncode: int
    stdout: str
    stderr: str


def cli(*args: str, env: dict[str, str] | None = None) -> Proc:
    """Run the CLI in this process (fast): ``tokenfab.cli.run`` with captured output.
    Unexpected exceptions propagate, so a traceback fails the test that caused it."""
    from tokenfab.cli import run

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = run(list(args))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Proc(rc, out.getvalue(), err.getvalue())


def installed_script() -> str:
    """The ``tokenfab`` console script of the environment running the tests."""
    here = Path(sys.executable).parent / "tokenfab"
    return str(here) if here.exists() else (shutil.which("tokenfab") or "tokenfab")


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``tokenfab`` script in a fresh process (what a user runs, tracebacks included)."""
    full_env = {k: v for k, v in os.environ.items() if k != "TOKENFAB_CATALOG"}
    full_env.update(env or {})
    full_env.setdefault("COLUMNS", "200")
    return subprocess.run([installed_script(), *args], capture_output=True, text=True, env=full_env, cwd=cwd,
                          timeout=120)


def assert_one_line_error(proc: Proc | subprocess.CompletedProcess, *needles: str, code: int | None = None) -> str:
    """A refused input: non-zero exit (``code`` if given), no traceback, one 'error:' line naming the problem
    (after the usage line for usage errors)."""
    assert proc.returncode != 0, proc.stdout
    if code is not None:
        assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip() and not ln.startswith("Usage:")]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: "), lines[0]
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


@pytest.fixture(autouse=True)
def _no_overlay_env(monkeypatch):
    monkeypatch.delenv("TOKENFAB_CATALOG", raising=False)
