"""`tokenfab sovereignty`: an offer's or provider's jurisdiction, exposure and certifications."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .options import CatalogDir, Json
from .output import console, load, print_json


def sovereignty_cmd(
    subject: Annotated[str, typer.Argument(metavar="OFFER_OR_PROVIDER", help="An offer id or a provider id.")],
    preset: Annotated[str, typer.Option("--preset",
        help="none, eu-residency, eu-jurisdiction or secnumcloud [default: eu-jurisdiction].")] = "eu-jurisdiction",
    date: Annotated[Optional[str], typer.Option("--date", help="Evaluation date YYYY-MM-DD [default: today].")] = None,
    buyer_country: Annotated[Optional[str], typer.Option("--buyer-country", help="ISO code, for export controls.")] = None,
    catalog: CatalogDir = None, json_out: Json = False,
) -> None:
    """Jurisdiction, CLOUD Act exposure, data location, certifications, export control and
    supply chain of an offer or provider, and whether it passes a preset (with reasons)."""
    from .. import sovereignty

    rep = sovereignty(subject, preset=preset, date=date, buyer_country=buyer_country, catalog=load(catalog))
    if json_out:
        print_json(rep.to_dict())
        return
    badge = "[green]PASSES[/green]" if rep.passes else "[red]FAILS[/red]"
    console.print(f"{rep.subject}: {badge} preset '{rep.preset}' on {rep.date}")
    for reason in rep.reasons:
        console.print(f"  - {reason}", highlight=False)
    f = rep.facts
    console.print(f"  controlling country {f.controlling_country}, US CLOUD Act exposure: {f.us_cloud_act_exposed}, "
                  f"data in {', '.join(f.data_location)} (EU: {f.data_in_eu})", highlight=False)
    from ..policy.eu_framework import framework

    fw = framework()
    console.print(f"  SEAL {rep.seal_estimate} ({rep.seal_rule})", highlight=False)
    console.print(f"  {fw.framework} v{fw.version} ({fw.published}): per objective, weight, tokenfab's estimate "
                  "(rule) and any level published for this provider (none is official so far)", highlight=False)
    for o in f.eu_csf_objectives:
        lvl = "-" if o.seal_estimate is None else o.seal_estimate
        console.print(f"    {o.id} {o.objective} ({o.weight:.0%}): estimate {lvl}  [dim]({o.rule})[/dim]", highlight=False)
        for p in o.published:
            console.print(f"      published {p.assessment}: SEAL {p.level} by {p.assessor} ({p.as_of})", highlight=False)
    console.print(f"  export control: {f.export_control.detail}", highlight=False)
    if f.supply_chain is not None:
        sc = f.supply_chain
        console.print(f"  supply chain: {sc.vendor}, foundry {sc.foundry} ({sc.foundry_country}), "
                      f"HBM {sc.hbm_supplier or 'not published'}, packaging {sc.packaging or 'not published'}",
                      highlight=False)
