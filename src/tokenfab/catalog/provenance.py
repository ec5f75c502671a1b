"""What a provenance ``kind`` promises, checked: a ``datasheet`` figure comes from its owner.

``datasheet`` means the maker's or provider's own published page or document. A figure read
from a compilation, press article, tracker or wiki is ``secondary`` (its source names the
primary document where one exists); one computed from others is ``derived``. The rule below is
mechanical so that a reader can apply it by hand:

* the *first* citation of the source (the text before the first ``;``) starts with the owner's
  name or one of the owner's web domains (for an offer, a provider, an API price or a
  certification: the provider's ``domains``; for a chip, system or stack: its vendor; for a
  model: its Hugging Face page), and
* that citation names no secondary channel (:data:`SECONDARY_MARKERS`).

:func:`datasheet_problems` lists every row that breaks it; the bundled catalog has none (a test
enforces it) and ``tokenfab catalog validate`` prints the ones an overlay brings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from .market import ApiPrice, Offer, Provider
from .records import Record

# words that say a figure was read from someone other than its owner
SECONDARY_MARKERS: tuple[str, ...] = (
    "compilation", "gpt-tco", "souvara", "gpu cloud pricing and tco reference", "as quoted", "quoted in",
    "as summarised", "summarised at", "as reported", "reported by", "tabulated at", "transcribed", "as copied",
    "tracker", "wiki", "secondary", "tokencost", "litellm",
)


def first_citation(source: str) -> str:
    return source.split(";", 1)[0].strip()


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _starts_with_owner(citation: str, owners: Iterable[str]) -> bool:
    """The citation starts with an owner's name or domain, or with a web address on the owner's
    own domain (``api-docs.deepseek.com/...`` for DeepSeek, ``docs.cloud.google.com`` for Google)."""
    text = re.sub(r"^(https?://)?(www\.)?", "", _norm(citation))
    owners = [o for o in owners if o]
    if any(text.startswith(_norm(o)) for o in owners):
        return True
    words = text.split()
    if not words:
        return False
    first = words[0]
    keys = {_key(o) for o in owners} | {_key(o.split()[0]) for o in owners}
    keys = {k for k in keys if len(k) >= 3}
    if _key(first) in keys:  # "NVIDIA H100 datasheet", "Amazon Sustainability report"
        return True
    host = first.split("/", 1)[0]
    if "." not in host:
        return False
    domains = [o.lower() for o in owners if re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", o.lower())]
    if any(host == d or host.endswith("." + d) for d in domains):
        return True
    return bool(set(host.split(".")[:-1]) & keys)


def _secondary_marker(citation: str) -> str | None:
    text = _norm(citation)
    return next((m for m in SECONDARY_MARKERS if m in text), None)


def check_datasheet(source: str, owners: Iterable[str], what: str) -> str | None:
    """Why a ``datasheet`` source about ``what`` is not its owner's own document, or None."""
    owners = [o for o in owners if o]
    citation = first_citation(source)
    marker = _secondary_marker(citation)
    if marker is not None:
        return (f"{what}: kind datasheet but the source cites a secondary channel ({marker!r}): "
                f"{citation[:80]!r}. Fix: kind secondary, naming the primary document in the source")
    if not _starts_with_owner(citation, owners):
        return (f"{what}: kind datasheet but the source does not start with the owner's own page "
                f"({', '.join(owners[:4])}): {citation[:80]!r}. Fix: cite the owner's document first, or kind secondary")
    return None


def provider_owners(provider: Provider | None, fallback: str = "") -> list[str]:
    if provider is None:
        return [fallback]
    return [*provider.domains, provider.name, provider.id, *([provider.parent] if provider.parent else [])]


def _api_owners(cat: Any, row: ApiPrice) -> list[str]:
    providers = [p for p in cat.list("providers") if _norm(p.name).startswith(_norm(row.vendor))
                 or _norm(row.vendor).startswith(_norm(p.name))]
    owners = [row.vendor, row.vendor.replace(" ", "").lower()]
    for p in providers:
        owners += provider_owners(p)
    return owners


def _subrecords(p: Provider) -> Iterator[tuple[str, str, str]]:
    """(what, kind, source) for the provider's dated parts that carry a kind."""
    if p.egress is not None:
        yield f"providers/{p.id} egress", p.egress.kind, p.egress.source
    if p.pue is not None:
        yield f"providers/{p.id} pue", p.pue.kind, p.pue.source
    if p.wue is not None:
        yield f"providers/{p.id} wue", p.wue.kind, p.wue.source
    for r in p.regions:
        for name, fig in (("pue", r.pue), ("wue", r.wue)):
            if fig is not None:
                yield f"providers/{p.id} region {r.id} {name}", fig.kind, fig.source


def datasheet_problems(cat: Any) -> list[str]:
    """Every ``datasheet`` figure of the catalog whose source is not its owner's own (one line each)."""
    problems: list[str] = []

    def check(row: Record, what: str, owners: list[str], source: str | None = None, kind: str | None = None) -> None:
        if (kind or row.kind) == "datasheet":
            why = check_datasheet(source or row.source, owners, what)
            if why:
                problems.append(why)

    for kind in ("accelerators", "systems", "stacks"):
        for row in cat.list(kind):
            check(row, f"{kind}/{row.id}", [getattr(row, "vendor", "")])
    for row in cat.list("models"):
        org = str(getattr(row, "hf_repo", "") or "").split("/")[0]
        check(row, f"models/{row.id}", ["Hugging Face", "huggingface.co", "hf.co", org])
    for prov in cat.list("providers"):
        assert isinstance(prov, Provider)
        check(prov, f"providers/{prov.id}", provider_owners(prov))
        for what, kind_, source in _subrecords(prov):
            check(prov, what, provider_owners(prov), source=source, kind=kind_)
    for off in cat.list("offers"):
        assert isinstance(off, Offer)
        prov = cat.provider(off.provider) if cat.has("providers", off.provider) else None
        check(off, f"offers/{off.id}", provider_owners(prov, off.provider))
    for api in cat.list("api_prices"):
        assert isinstance(api, ApiPrice)
        check(api, f"api_prices/{api.id}", _api_owners(cat, api))
    return problems
