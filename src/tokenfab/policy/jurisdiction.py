"""Which law reaches data: EU membership and the US CLOUD Act (18 U.S.C. 2713, which reaches
data held by a US-controlled provider "regardless of whether ... located within or outside of
the United States")."""

from __future__ import annotations

EU27: frozenset[str] = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
CLOUD_ACT_COUNTRIES: frozenset[str] = frozenset({"US"})
# providers that are a non-EU parent's EU-operated sovereign entity (SEAL-2 class in analyses)
EU_OPERATED_SOVEREIGN_ENTITIES: frozenset[str] = frozenset({"aws-esc"})
UNKNOWN_COUNTRY = "ZZ"  # a price page that fixes no country
