"""`tokenfab model import`: a catalog entry from a Hugging Face config.json on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .output import console, note, print_json

app = typer.Typer(help="Work with model architectures.", no_args_is_help=True)


@app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="A config.json (or a folder holding one).")],
    model_id: Annotated[Optional[str], typer.Option("--id", help="Catalog id (default: from the config).")] = None,
    save: Annotated[
        Optional[Path], typer.Option("--save", help="Overlay directory: the entry is added to DIR/models.yaml.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of YAML.")] = False,
) -> None:
    """Read a Hugging Face config.json and print (or save) a models catalog entry."""
    import yaml

    from ..adapters import spec_param_counts
    from ..catalog.hf_config import read_hf_config

    spec = read_hf_config(path, model_id)
    total, active = spec_param_counts(spec)
    spec = spec.model_copy(
        update={
            "params_total": round(total),
            "params_active": round(active),
            "field_kinds": {"params_total": "derived", "params_active": "derived"},
            "notes": "params_total/params_active computed by tokenfab from the architecture "
            "(embeddings and LM head included, norms and biases excluded).",
        }
    )
    row = spec.model_dump(mode="json", exclude_none=True)
    if json_out:
        print_json(row)
    else:
        console.print(yaml.safe_dump([row], sort_keys=False, allow_unicode=True), highlight=False, end="")
    if save is not None:
        from ..catalog.files import upsert_yaml_row

        target = save / "models.yaml"
        upsert_yaml_row(target, row)
        note(f"saved {spec.id!r} to {target}; use it with --catalog {save}")
