"""errors.run_script, the benchmarks' entry point: a tokenfab error is one line and its own exit code,
a closed pipe ends the run quietly, a bug keeps its traceback."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tokenfab.errors import DoesNotFitError, InputError, run_script

# a script that prints far more than a pipe holds, so the reader's early exit breaks the pipe
LOUD = ("from tokenfab.errors import run_script\n"
        "import sys\n"
        "def main():\n"
        "    for _ in range(200_000):\n"
        "        print('x' * 80)\n"
        "sys.exit({call})\n")


def _raise(exc: BaseException):
    def main() -> int:
        raise exc
    return main


def test_a_tokenfab_error_is_one_line_and_its_code(capsys):
    assert run_script(_raise(InputError("isl = -1: must be >= 1"))) == 2
    assert capsys.readouterr().err == "error: isl = -1: must be >= 1\n"
    assert run_script(_raise(DoesNotFitError("the model does not fit"))) == 3


def test_a_plain_return_is_the_exit_code():
    assert run_script(lambda: None) == 0
    assert run_script(lambda: 1) == 1


def test_a_bug_keeps_its_traceback():
    with pytest.raises(ZeroDivisionError):
        run_script(lambda: 1 // 0)


@pytest.mark.parametrize("call, quiet", [("run_script(main)", True), ("main()", False)])
def test_a_closed_pipe_ends_quietly_and_without_it_would_not(call, quiet):
    proc = subprocess.run(f'"{sys.executable}" -c "$SCRIPT" | head -1', shell=True, capture_output=True, text=True,
                          env={"SCRIPT": LOUD.format(call=call), "PYTHONPATH": str(ROOT / "src")}, timeout=60)
    assert proc.stdout == "x" * 80 + "\n"
    assert ("BrokenPipeError" not in proc.stderr) is quiet


@pytest.mark.skipif(importlib.util.find_spec("aiconfigurator_core") is not None,
                    reason="with tokenfab[measured] installed the benchmark runs instead")
def test_a_measured_benchmark_without_its_extra_says_so_in_one_line():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "attention_kernels.py")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: fidelity = 'measured' needs NVIDIA aiconfigurator's kernel database: pip install 'tokenfab[measured]'"]
