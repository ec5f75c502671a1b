"""Speculative decoding and multi-token prediction per model (``data/speculative.yaml``):
which draft a model ships or has published (``mtp`` heads, an EAGLE-3 ``draft`` head), its
shape in units of the target's layers, and the default draft length and acceptance rate,
each with its source. Data only; the physics is ``engine.speculative``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .records import Record

SpeculativeKind = Literal["mtp", "draft"]


class SpeculativeMethod(Record):
    """One way to speculate for one model. ``draft_layers`` decoder layers of the target's
    width (``draft_moe_layers`` of them MoE) per drafted token; ``draft_tokens`` drafted per
    step by default; ``acceptance_rate`` [-] the probability that a drafted token is accepted
    (per token; tokens per step follow from it, docs/engine.md)."""

    model: Annotated[str, Field(min_length=1, max_length=80)]
    method: SpeculativeKind
    draft: Annotated[str, Field(min_length=1, max_length=200)]  # what drafts: MTP module, draft head repository
    draft_layers: Annotated[int, Field(ge=1, le=16)]
    draft_moe_layers: Annotated[int, Field(ge=0, le=16)] = 0
    draft_tokens: Annotated[int, Field(ge=1, le=16)]
    acceptance_rate: Annotated[float, Field(gt=0, lt=1)]

    @model_validator(mode="after")
    def _moe_within(self) -> SpeculativeMethod:
        if self.draft_moe_layers > self.draft_layers:
            raise ValueError(f"draft_moe_layers {self.draft_moe_layers} > draft_layers {self.draft_layers}")
        return self
