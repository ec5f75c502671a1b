"""Who and where a charge sits: a bill's provider names and region ids -> catalog provider,
country, jurisdiction. The facts are the catalog's (providers.yaml: controlling country,
regions and their countries); the rule is :mod:`tokenfab.policy.jurisdiction`'s (EU-27,
US CLOUD Act).

Jurisdiction of a charge: "US (CLOUD Act)" when the service provider or the host provider is
controlled from a CLOUD Act country (18 U.S.C. 2713 reaches data a US-controlled provider
holds wherever it is stored); "EU" when every known controller is in the EU-27 and the region
is in the EU-27; "non-EU (XX)" otherwise; "unknown" when no provider of the charge is in the
catalog (the spend is then shown apart, never counted as EU).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog.loader import Catalog
from ..catalog.market import Provider
from ..policy.jurisdiction import CLOUD_ACT_COUNTRIES, EU27, UNKNOWN_COUNTRY

# names providers write in ProviderName / ServiceProviderName that are not their catalog id or name
PROVIDER_ALIASES: dict[str, str] = {
    "amazon web services, inc.": "aws", "amazon": "aws", "microsoft": "azure", "microsoft corporation": "azure",
    "google": "gcp", "google cloud": "gcp", "google cloud platform": "gcp", "oracle": "oracle",
    "oracle cloud infrastructure": "oracle", "oci": "oracle", "ovh": "ovhcloud",
}
UNKNOWN = "unknown"
EU = "EU"
CLOUD_ACT = "US (CLOUD Act)"


@dataclass(frozen=True)
class Place:
    provider: str | None  # catalog provider id of the service provider
    host: str | None  # catalog provider id of the host provider (the service provider when none is billed)
    country: str  # ISO code of the region, UNKNOWN_COUNTRY when not known
    jurisdiction: str
    cloud_act_exposed: bool


def match_provider(catalog: Catalog, name: str | None) -> Provider | None:
    """The catalog provider a bill's provider name means (id, name or a known alias; case-insensitive)."""
    if not name:
        return None
    key = name.strip().lower()
    key = PROVIDER_ALIASES.get(key, key)
    if catalog.has("providers", key):
        return catalog.provider(key)
    for p in catalog.typed("providers", Provider):
        if p.name.lower() == key:
            return p
    return None


def place(catalog: Catalog, provider_name: str | None, host_name: str | None, region_id: str | None) -> Place:
    """Country and jurisdiction of charges billed by ``provider_name`` (hosted by ``host_name``) in ``region_id``."""
    sp = match_provider(catalog, provider_name)
    hp = match_provider(catalog, host_name) if host_name else sp
    country = UNKNOWN_COUNTRY
    for p in (hp, sp):
        region = p.region(region_id) if (p and region_id) else None
        if region is not None:
            country = region.country
            break
    controllers = [p.controlling_country for p in (sp, hp) if p is not None]
    exposed = any(c in CLOUD_ACT_COUNTRIES for c in controllers)
    if not controllers:
        juris = UNKNOWN
    elif exposed:
        juris = CLOUD_ACT
    elif all(c in EU27 for c in controllers) and country in EU27:
        juris = EU
    else:
        outside = sorted({c for c in [*controllers, country] if c not in EU27})
        juris = f"non-EU ({', '.join(outside)})"
    return Place(sp.id if sp else None, hp.id if hp else None, country, juris, exposed)
