"""`tokenfab model import`: a catalog entry from a Hugging Face config.json on disk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .output import console, note, print_json

if TYPE_CHECKING:
    from ..catalog.model_spec import ModelSpec

app = typer.Typer(help="Work with model architectures.", no_args_is_help=True)

_PARAMS_NOTE = (
    "params_total/params_active computed by tokenfab from the architecture "
    "(embeddings and LM head included, norms and biases excluded)."
)


def _row_with_params(spec: ModelSpec, where: Path) -> dict[str, Any]:
    """The catalog row of ``spec`` with its derived parameter counts, validated again."""
    from pydantic import ValidationError

    from ..catalog.model_spec import ModelSpec
    from ..deployment.problem import param_counts as spec_param_counts
    from ..errors import input_error_from

    total, active = spec_param_counts(spec)
    data = spec.model_dump()
    data.update(
        params_total=round(total),
        params_active=round(active),
        field_kinds={"params_total": "derived", "params_active": "derived"},
        notes=_PARAMS_NOTE,
    )
    try:
        checked = ModelSpec.model_validate(data)
    except ValidationError as exc:
        raise input_error_from(exc, str(where), "check the sizes in config.json against the model card") from None
    row = checked.model_dump(mode="json", exclude_none=True)
    row.update(params_total=round(total), params_active=round(active))  # whole counts, not 8.2e9 as a float
    return row


@app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="A config.json (or a folder holding one).")],
    model_id: Annotated[str | None, typer.Option("--id", help="Catalog id (default: from the config).")] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="Overlay directory: the entry is added to DIR/models.yaml.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="With --save: replace a row with the same id in DIR/models.yaml.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of YAML.")] = False,
) -> None:
    """Read a Hugging Face config.json and print (or save) a models catalog entry.

    Everything is checked before anything is printed or written: a bad config, an id
    already in DIR/models.yaml (without --force) or a DIR that cannot hold the file
    gives one error line and leaves DIR untouched.
    """
    import yaml

    from ..catalog.hf_config import read_hf_config
    from ..catalog.writer import plan_model_save
    from ..errors import InputError

    if force and save is None:
        raise InputError("--force only applies with --save DIR. Fix: add --save DIR, or drop --force")
    spec = read_hf_config(path, model_id)
    row = _row_with_params(spec, path)
    pending = plan_model_save(save, row, force=force) if save is not None else None
    target = pending.commit() if pending is not None else None  # nothing printed if this fails
    if json_out:
        print_json(row)
    else:
        console.print(yaml.safe_dump([row], sort_keys=False, allow_unicode=True), highlight=False, end="")
    if pending is not None:
        verb = "replaced" if pending.replaced else "saved"
        note(f"{verb} {spec.id!r} in {target}; use it with --catalog {save}")
