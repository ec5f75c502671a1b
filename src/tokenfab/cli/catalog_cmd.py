"""`tokenfab catalog ...`: list, show and validate catalog rows."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from ..catalog import Catalog
from ..errors import singular
from ..units import format_capacity, format_si, humanize
from .output import console, load, print_json, report_overrides

app = typer.Typer(help="Browse and validate the catalog (bundled data plus your overlay).", no_args_is_help=True)

CatalogOpt = Annotated[
    Optional[Path],
    typer.Option("--catalog", help="Overlay directory with your own rows (or set $TOKENFAB_CATALOG)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _fmt_flops(v: Any) -> str:
    return format_si(v, "FLOP/s") if v else "-"


def _fmt_price(rec: Any, attr: str) -> str:
    v = getattr(rec, attr)
    return f"{v:.2f} {rec.currency}" if v else "-"


# per kind: (header, function of the record) for the table view
COLUMNS: dict[str, list[tuple[str, Any]]] = {
    "accelerators": [
        ("vendor", lambda r: r.vendor),
        ("bf16 dense", lambda r: _fmt_flops(r.bf16_dense_flop_per_s)),
        ("fp8 dense", lambda r: _fmt_flops(r.fp8_dense_flop_per_s)),
        ("fp4 dense", lambda r: _fmt_flops(r.fp4_dense_flop_per_s)),
        ("memory", lambda r: format_capacity(r.memory_bytes)),
        ("bandwidth", lambda r: format_si(r.memory_bandwidth_bytes_per_s, "B/s")),
        ("TDP", lambda r: f"{r.tdp_w:.0f} W" if r.tdp_w else "-"),
        ("status", lambda r: r.status),
    ],
    "systems": [
        ("accelerator", lambda r: f"{r.accelerator} x{r.accelerators_per_system}"),
        ("scale-up", lambda r: str(r.scale_up_domain_size)),
        ("power", lambda r: format_si(r.system_power_w, "W")),
        ("price", lambda r: f"${r.street_price_usd:,.0f} ({r.kind_of('street_price_usd')})" if r.street_price_usd else "-"),
    ],
    "models": [
        ("arch", lambda r: r.architecture),
        ("layers", lambda r: str(r.num_layers)),
        ("attention", lambda r: r.attention),
        ("experts", lambda r: f"{r.experts_per_token}/{r.num_experts}" if r.num_experts else "dense"),
        ("params", lambda r: f"{r.params_total / 1e9:.1f}B" if r.params_total else "-"),
        ("active", lambda r: f"{r.params_active / 1e9:.1f}B" if r.params_active else "-"),
    ],
    "providers": [
        ("category", lambda r: r.category),
        ("HQ", lambda r: r.hq_country),
        ("control", lambda r: r.controlling_country),
        ("regions", lambda r: str(len(r.regions))),
        ("certifications", lambda r: ", ".join(sorted({f"{c.name} ({c.status})" for c in r.certifications})) or "-"),
        ("GPU prices", lambda r: "published" if r.publishes_gpu_prices else "not published"),
    ],
    "offers": [
        ("provider", lambda r: r.provider),
        ("region", lambda r: r.region),
        ("accelerator", lambda r: f"{r.accelerator} x{r.accelerator_count}"),
        ("on-demand /accel-h", lambda r: _fmt_price(r, "on_demand_price_per_accel_hour")),
        ("1y", lambda r: _fmt_price(r, "reserved_1y_price_per_accel_hour")),
        ("3y", lambda r: _fmt_price(r, "reserved_3y_price_per_accel_hour")),
        ("spot", lambda r: _fmt_price(r, "spot_price_per_accel_hour")),
    ],
    "grids": [
        ("country", lambda r: r.country + (f"-{r.subdivision}" if r.subdivision else "")),
        ("gCO2e/kWh life-cycle", lambda r: f"{r.carbon_gco2e_per_kwh:g} ({r.carbon_year})" if r.carbon_gco2e_per_kwh
         is not None else "-"),
        ("operational", lambda r: f"{r.carbon_operational_gco2e_per_kwh:g} ({r.carbon_operational_year})"
         if r.carbon_operational_gco2e_per_kwh is not None else "-"),
        ("price /kWh", lambda r: (f"{r.electricity_price_per_kwh:.4f} {r.price_currency} ({r.price_year})"
                                  if r.electricity_price_per_kwh else "-")),
    ],
    "facilities": [
        ("owner", lambda r: r.owner[:40]),
        ("country", lambda r: r.country),
        ("announced", lambda r: format_si(r.announced_power_w, "W")),
        ("operating", lambda r: format_si(r.operating_power_w, "W")),
        ("accelerators", lambda r: (f"{r.accelerator or '?'} x{r.accelerator_count:,}" if r.accelerator_count
                                    else (r.accelerator or "-"))),
        ("status", lambda r: r.status),
    ],
    "fx_rates": [
        ("currency", lambda r: r.currency),
        ("USD per unit", lambda r: f"{r.usd_per_unit:g}"),
        ("date", lambda r: str(r.rate_date)),
    ],
    "api_prices": [
        ("vendor", lambda r: r.vendor),
        ("model", lambda r: r.api_model),
        ("in /Mtok", lambda r: f"{r.input_price_per_mtok:g} {r.currency}"),
        ("out /Mtok", lambda r: f"{r.output_price_per_mtok:g} {r.currency}"),
    ],
    "stacks": [
        ("name", lambda r: r.name),
        ("vendors", lambda r: ", ".join(r.accelerator_vendors)),
        ("license", lambda r: r.license or "-"),
    ],
    "discounts": [
        ("provider", lambda r: r.provider),
        ("pricing", lambda r: r.pricing or "all"),
        ("discount", lambda r: f"{r.discount_frac:.0%}"),
    ],
    "speculative": [
        ("model", lambda r: r.model),
        ("method", lambda r: r.method),
        ("draft tokens", lambda r: str(r.draft_tokens)),
        ("acceptance", lambda r: f"{r.acceptance_rate:g}"),
        ("draft layers", lambda r: f"{r.draft_layers} ({r.draft_moe_layers} MoE)"),
    ],
}


def _load(catalog_dir: Path | None) -> Catalog:
    cat: Catalog = load(catalog_dir)
    return cat


@app.command("list")
def list_cmd(
    kind: Annotated[str, typer.Argument(help="accelerators, systems, models, providers, offers, grids, facilities, "
                                             "stacks, fx_rates, api_prices, discounts or speculative")],
    catalog: CatalogOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List every row of one kind with its key figures and provenance."""
    cat = _load(catalog)
    rows = cat.list(kind)
    if json_out:
        print_json([r.model_dump(mode="json", exclude_none=True) for r in rows])
        return
    table = Table(title=f"{kind} ({len(rows)})", show_lines=False)
    table.add_column("id", style="bold")
    for header, _ in COLUMNS[kind]:
        table.add_column(header)
    usd = kind == "grids"  # prices in several currencies: add the USD figure at the catalog's own rate
    if usd:
        table.add_column("USD/kWh")
    table.add_column("kind")
    table.add_column("as of")
    for r in rows:
        extra = [_grid_usd(cat, r)] if usd else []
        table.add_row(r.id, *[fn(r) for _, fn in COLUMNS[kind]], *extra, r.kind, str(r.as_of))
    console.print(table)
    if usd:
        console.print("Price bases differ (tax treatment, consumption band, energy-only); "
                      "`tokenfab catalog show ID` prints each row's price_basis.")


def _grid_usd(cat: Catalog, grid: Any) -> str:
    if grid.electricity_price_per_kwh is None:
        return "-"
    return f"{cat.to_usd(grid.electricity_price_per_kwh, grid.price_currency, grid.as_of):.4f}"


@app.command("show")
def show_cmd(
    row_id: Annotated[str, typer.Argument(metavar="ID", help="Any catalog id (accelerator, model, offer...).")],
    catalog: CatalogOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every figure of one row, each with its kind, plus source, date and origin."""
    from ..errors import UnknownIdError

    cat = _load(catalog)
    found = cat.find(row_id)
    if not found:
        raise UnknownIdError("ids", row_id, cat.all_ids())
    if json_out:
        out = []
        for kind, rec in found:
            d = rec.model_dump(mode="json", exclude_none=True)
            d["catalog_kind"] = kind
            d["origin"] = cat.origin(kind, rec.id)
            out.append(d)
        print_json(out[0] if len(out) == 1 else out)
        return
    for kind, rec in found:
        table = Table(title=f"{singular(kind)}{rec.id}", show_header=True)
        table.add_column("field")
        table.add_column("value", overflow="fold")
        table.add_column("kind")
        for name, value in rec.figures().items():
            if name in ("id", "source", "as_of", "kind", "notes", "field_kinds"):
                continue
            table.add_row(name, humanize(name, value), rec.kind_of(name))
        console.print(table)
        console.print(f"[bold]source:[/bold] {rec.source}", highlight=False)
        console.print(f"[bold]as of:[/bold] {rec.as_of}   [bold]kind:[/bold] {rec.kind}   "
                      f"[bold]origin:[/bold] {cat.origin(kind, rec.id)}", highlight=False)
        if rec.notes:
            console.print(f"[bold]notes:[/bold] {rec.notes}", highlight=False)


@app.command("stale")
def stale_cmd(
    older_than: Annotated[str, typer.Option("--older-than", help="Only figures at least this old: 180d, 26w, 6m, 1y "
                                            "(default: the staleness threshold, stale_after_days).")] = "",
    kind: Annotated[Optional[str], typer.Option("--kind", help="Only this catalog kind (offers, fx_rates, ...).")] = None,
    catalog: CatalogOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every dated figure (rows, egress, PUE, certifications) by age, oldest first."""
    from ..catalog.freshness import figures_by_age, parse_age, stale_after_days

    days = parse_age(older_than, "older_than") if older_than else stale_after_days()
    cat = _load(catalog)
    if kind is not None:
        cat.list(kind)  # an unknown kind: one line naming the known ones
    found = figures_by_age(cat, older_than_days=days, kinds=(kind,) if kind else ())
    if json_out:
        print_json([f.to_dict() for f in found])
        return
    table = Table(title=f"catalog figures at least {days} days old ({len(found)})")
    for col in ("kind", "id", "part", "as of", "age (days)", "overlay file", "source"):
        table.add_column(col, overflow="fold")
    for f in found:
        table.add_row(f.kind, f.id, f.part, f.as_of, str(f.age_days), f.file, f.source[:90])
    console.print(table)
    console.print("Overlay a fresher figure: copy the row into the named file in a directory you pass with "
                  "--catalog DIR (docs/catalog.md).")


@app.command("diff")
def diff_cmd(
    old: Annotated[str, typer.Argument(help="Older catalog directory, or 'bundled'.")],
    new: Annotated[str, typer.Argument(help="Newer catalog directory, or 'bundled'.")],
    json_out: JsonOpt = False,
) -> None:
    """Rows added and removed, and every figure changed, between two catalog directories."""
    from ..catalog.diff import diff_catalogs

    d = diff_catalogs(old, new)
    if json_out:
        print_json(d.to_dict())
        return
    table = Table(title=f"{old} -> {new}: {d.count('added')} added, {d.count('removed')} removed, "
                        f"{d.count('changed')} figures changed")
    for col in ("kind", "id", "change", "field", "old", "new"):
        table.add_column(col, overflow="fold")
    for c in d.changes:
        table.add_row(c.kind, c.id, c.change, c.field or "", _short(c.old), _short(c.new))
    console.print(table)
    if d.skipped:
        console.print(f"not compared (a file only one side has): {', '.join(d.skipped)}", highlight=False)


def _short(v: Any) -> str:
    text = "" if v is None else str(v)
    return text if len(text) <= 80 else text[:77] + "..."


@app.command("validate")
def validate_cmd(catalog: CatalogOpt = None) -> None:
    """Check every file (schema, units, provenance, references); exit 1 on any problem."""
    from ..catalog import validate_catalog

    cat, errors = validate_catalog(catalog)
    for err in errors:
        console.print(f"[red]error:[/red] {err}", highlight=False, soft_wrap=True)
    report_overrides(cat)
    from ..catalog.provenance import datasheet_problems

    for warning in datasheet_problems(cat):  # an overlay's provenance claims, checked like the bundled rows
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    counts = ", ".join(f"{len(v)} {k}" for k, v in cat.rows.items())
    if errors:
        console.print(f"catalog invalid: {len(errors)} problem(s); loaded {counts}", highlight=False)
        raise typer.Exit(1)
    console.print(f"catalog OK: {counts}", highlight=False)
