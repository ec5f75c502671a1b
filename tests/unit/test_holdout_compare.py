"""benchmarks/holdout_compare.py against hand-made dumps: identical trees show no difference; a
tree whose every error is halved is better with an interval that excludes zero; out-of-fold rows
are paired and pooled with the holdout."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import load_benchmark


def _module():
    return load_benchmark("holdout_compare")


def _dump(path: Path, ratios: dict[str, list[float]]) -> Path:
    out = {name: {f"{name[:2]}{i}": {"predicted": 100.0 * r, "measured": 100.0, "model": "m", "accelerator": "a",
                                     "stack": "s"} for i, r in enumerate(rs)} for name, rs in ratios.items()}
    path.write_text(json.dumps(out))
    return path


def test_identical_trees_show_no_difference(tmp_path, capsys):
    ratios = {"holdout": [1.2, 0.9, 1.5, 1.0], "measured": [1.1, 0.8]}
    a, b = _dump(tmp_path / "a.json", ratios), _dump(tmp_path / "b.json", ratios)
    _module().compare(a, b)
    out = capsys.readouterr().out
    # holdout APE 0.2, 0.1, 0.5, 0 -> MAPE 20 %; B - A exactly 0 in every resample
    assert "A: MAPE 20.00%" in out and "B - A: +0.00%, 90 % interval [+0.00%, +0.00%]" in out
    assert "no difference the rows can show" in out and "moved most (predicted / measured, A -> B): none" in out


def test_halved_errors_are_better_and_pooled(tmp_path, capsys):
    a = _dump(tmp_path / "a.json", {"holdout": [1.2, 0.8, 1.4], "measured": [1.0], "leave-one-model-out": [1.6, 0.6]})
    b = _dump(tmp_path / "b.json", {"holdout": [1.1, 0.9, 1.2], "measured": [1.0], "leave-one-model-out": [1.3, 0.8]})
    _module().compare(a, b)
    out = capsys.readouterr().out
    # holdout: 0.2, 0.2, 0.4 -> 0.1, 0.1, 0.2: MAPE 26.67 % -> 13.33 %, every resample improves
    assert "B - A: -13.33%" in out and "B better" in out
    # pooled: holdout + the two out-of-fold rows (0.6, 0.4 -> 0.3, 0.2): 5 rows, 36 % -> 18 %
    assert "holdout + leave-one-model-out: out of sample, 5 rows in both files" in out
    assert "A: MAPE 36.00%" in out and "B: MAPE 18.00%" in out
    assert "A: rows beyond 1.6x: le0 1.60x" not in out  # 1.6 itself is not beyond
    assert "A: rows beyond 1.6x: le1 1.67x" in out  # 1 / 0.6


def test_a_missing_or_foreign_file_is_one_line_and_exit_2(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    good = _dump(tmp_path / "a.json", {"holdout": [1.0], "measured": [1.0]})
    foreign = tmp_path / "f.json"
    foreign.write_text("[1, 2]")
    for bad, says in ((tmp_path / "absent.json", "cannot read it as a --dump file"),
                      (foreign, "not a --dump file (it needs the keys holdout, measured)")):
        proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "holdout_compare.py"), "--compare",
                               str(good), str(bad)], capture_output=True, text=True, timeout=120)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1, proc.stderr
        assert lines[0].startswith(f"error: --compare {bad}: ") and says in lines[0]
