"""Economics, energy and sovereignty: pure functions and readable rules.

``cost`` (rent and ownership per token, break-even, GPU debt), ``egress`` (egress
tiers, exit cost under the EU Data Act), ``energy`` (power, J/token, carbon, embodied),
``facility`` (the gigawatt view), ``sovereignty`` (facts and presets with reasons).
"""
