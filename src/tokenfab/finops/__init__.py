"""FinOps: read FOCUS cost and usage exports (DuckDB, out of core), summarize what tokens,
accelerators and egress really cost and under which jurisdiction, price the move to a
compliant plan, and export a plan as FOCUS-shaped rows. See docs/finops.md."""
