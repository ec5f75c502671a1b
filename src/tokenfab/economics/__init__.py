"""Economics and energy: pure, vectorized functions (no catalog, no I/O).

``cost`` ($/M tokens, the prefill/decode split), ``ownership`` (TCO per accelerator-hour,
capital recovery, GPU debt, own-vs-rent break-even, rental obsolescence), ``siting`` (which
PUE and which grid apply), ``egress`` (egress tiers, exit cost under the EU Data Act),
``energy`` (power, J/token, carbon, embodied), ``facility`` (the gigawatt view).
"""
