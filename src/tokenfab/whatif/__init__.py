"""What if: Monte Carlo over the catalog's uncertain inputs and named shocks, on the one
evaluation (``deployment.candidates``), in-process or on Ray."""
