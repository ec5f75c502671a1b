"""`POST /api/bill`: a FOCUS bill sent in the body (the app's 64 kB body limit holds: a bill
larger than that is read with ``tokenfab bill`` on the command line), summarized and,
when asked, compared with the cheapest compliant plan. Same JSON as ``tokenfab bill --json``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import Field

from ..catalog import Catalog
from ..finops.move import MoveQuestion

MAX_BILL_CHARS = 60_000


class BillRequest(MoveQuestion):
    """A bill as FOCUS CSV text (the content of the file ``tokenfab bill FILE`` reads) and the
    ``--move`` options."""

    focus_csv: str = Field(min_length=1, max_length=MAX_BILL_CHARS, description="FOCUS CSV text, header first.")
    move: bool = Field(default=False, description="Price the move (tokenfab bill --move).")
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD (default: today).")


def answer(body: BillRequest, cat: Catalog) -> dict[str, Any]:
    """``tokenfab bill --json`` for the CSV in ``body`` (written to a private temporary file)."""
    from .. import bill_summary, move_bill

    with tempfile.TemporaryDirectory(prefix="tokenfab-bill-") as tmp:
        path = Path(tmp) / "bill.csv"
        path.write_text(body.focus_csv, encoding="utf-8")
        summary = bill_summary([path], catalog=cat, date=body.date)
    summary = summary.model_copy(update={"files": ("upload.csv",)})
    q = MoveQuestion(**body.model_dump(include=set(MoveQuestion.model_fields)))
    moved = move_bill(summary, q, catalog=cat, date=body.date) if body.move else None
    return {"summary": summary.to_dict(), "move": moved.to_dict() if moved else None}


def bill_routes(app: FastAPI, cat: Catalog, run: Any) -> None:
    @app.post("/api/bill")
    async def api_bill(body: BillRequest) -> dict[str, Any]:
        return dict(await run(None, lambda: answer(body, cat)))
