"""A `datasheet` figure comes from its owner's own page; compilations are `secondary` (issue 12)."""

from __future__ import annotations

import pytest

from tokenfab.catalog import load_catalog
from tokenfab.catalog.provenance import check_datasheet, datasheet_problems


def test_bundled_catalog_datasheet_rows_cite_their_owner() -> None:
    problems = datasheet_problems(load_catalog())
    assert problems == [], "\n".join(problems)


def test_no_compilation_is_tagged_datasheet() -> None:
    """The audit's finding, checked directly: no offer or API price citing a compilation is `datasheet`."""
    cat = load_catalog()
    for kind in ("offers", "api_prices", "providers"):
        for row in cat.list(kind):
            src = row.source.lower()
            if any(m in src for m in ("gpt-tco", "souvara", "tokencost", "compilation")):
                assert row.kind != "datasheet", f"{kind}/{row.id}: {row.source}"


@pytest.mark.parametrize(
    ("source", "owners", "ok"),
    [
        ("scaleway.com/en/pricing/gpu (read 2026-11-30)", ["scaleway.com", "Scaleway"], True),
        ("https://www.scaleway.com/en/pricing/gpu", ["scaleway.com"], True),
        ("api-docs.deepseek.com/quick_start/pricing", ["DeepSeek"], True),
        ("NVIDIA H100 datasheet, table 1", ["NVIDIA"], True),
        ("docs.cloud.google.com/tpu/docs/v6e", ["Google"], True),
        ("scaleway.com GPU pricing via Souvara compilation 2026-09-26", ["scaleway.com"], False),
        ("crusoe.ai pricing via GPT-TCO reference", ["crusoe.ai", "Crusoe"], False),
        ("tweaktown 2024-03-13 (125 PF FP16)", ["Cerebras"], False),
        ("glennklockwood.com/garden/processors/B200 (NVIDIA datasheet-derived)", ["NVIDIA"], False),
        ("notscaleway.com/pricing", ["scaleway.com"], False),
        ("AgentOps-AI/tokencost model_prices.json", ["Groq"], False),
    ],
)
def test_rule_by_hand(source: str, owners: list[str], ok: bool) -> None:
    assert (check_datasheet(source, owners, "row") is None) is ok
