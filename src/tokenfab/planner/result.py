"""The answer to a planning question: the Pareto front (typed evaluations), what ruled the
rest out and the nearest misses. Immutable; ``to_dict`` is the JSON the CLI and web print."""

from __future__ import annotations

import csv
import io
from typing import Any

from ..deployment.result import Evaluation
from ..inputs import ResultModel
from .scenario import Scenario


class PlanResult(ResultModel):
    scenario: Scenario
    front: tuple[Evaluation, ...]
    rejected: dict[str, int]
    candidates_evaluated: int
    feasible: int
    nearest_misses: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    elapsed_s: float = 0.0

    def rows(self) -> list[dict[str, Any]]:
        """The front as flat rows (one level of scalar fields per evaluation)."""
        return [e.flat() for e in self.front]

    def to_csv(self) -> str:
        """The front as CSV, one row per candidate, every scalar field as a column (the union
        over the rows: owned rows have ownership columns, rented rows price columns; a field a row
        lacks is an empty cell)."""
        rows = self.rows()
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(dict.fromkeys(k for r in rows for k in r)), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()

    def to_frame(self) -> Any:
        """The front as a pandas DataFrame (flat rows)."""
        import pandas as pd

        return pd.DataFrame(self.rows())
