"""Random draws the planners share: uniform numbers, smooth wobbles, weighted choices."""

from __future__ import annotations

import math

import numpy as np


def uniform(rng, a, b) -> float:
    return float(rng.uniform(a, b))


def wobble(rng, t: np.ndarray, amp: float, fmin: float = 0.1, fmax: float = 0.6, k: int = 3) -> np.ndarray:
    """A smooth random signal: k sinusoids, |signal| <= amp."""
    out = np.zeros_like(t)
    for _ in range(k):
        out += np.sin(2 * math.pi * rng.uniform(fmin, fmax) * t + rng.uniform(0, 2 * math.pi))
    return amp * out / k


def pick(rng, table):
    items = list(table.items()) if isinstance(table, dict) else list(table)
    p = np.array([wt for _, wt in items], float)
    return items[int(rng.choice(len(items), p=p / p.sum()))][0]
