"""Cost per token (vectorized; every argument may be an array).

    $/M tokens = cost per hour / (tokens per second x 3600) x 1e6

``tok_per_s`` is the rate actually served (capacity x utilization). Input (prompt) tokens
are priced on the prefill share of the serving time and output tokens on the rest (the way
APIs price them); the headline figure puts all the cost on output tokens.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..units import HOURS_PER_YEAR, MTOK, SECONDS_PER_HOUR

HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0


def usd_per_mtok(cost_usd_per_hour: ArrayLike, tok_per_s: ArrayLike) -> np.ndarray:
    """Dollars per million tokens for a deployment costing ``cost_usd_per_hour`` that serves
    ``tok_per_s`` tokens per second [USD/Mtok]."""
    return np.asarray(cost_usd_per_hour, float) / (np.asarray(tok_per_s, float) * SECONDS_PER_HOUR) * MTOK


def split_by_phase(cost_usd_per_hour: ArrayLike, output_tok_per_s: ArrayLike, input_tok_per_s: ArrayLike,
                   prefill_share: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """($/M output tokens on the decode share of the time, $/M input tokens on the prefill share)."""
    share = np.asarray(prefill_share, float)
    cost = np.asarray(cost_usd_per_hour, float)
    return usd_per_mtok(cost * (1.0 - share), output_tok_per_s), usd_per_mtok(cost * share, input_tok_per_s)
