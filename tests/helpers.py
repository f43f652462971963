"""Test data shared by several test modules."""

import numpy as np
import pandas as pd


def random_ratings(seed: int, n_users: int = 30, n_items: int = 40, n: int = 300) -> pd.DataFrame:
    """Random (user, item) pairs without duplicates, mixed id types, half-star ratings."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(n_users * n_items, size=n, replace=False)
    return pd.DataFrame(
        {
            "user": [f"u{c // n_items}" for c in cells],
            "item": (cells % n_items) * 7 + 3,
            "rating": rng.integers(1, 11, size=n) / 2,
        }
    )
