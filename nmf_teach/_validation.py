"""Input checks shared by every module of :mod:`nmf_teach`.

Bad input gets a clear error that names the problem and the fix, never NaN or a
silently wrong answer. Each function either returns clean arrays or raises
``ValueError`` (bad values) / ``TypeError`` (wrong kind of object).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def check_ratings_frame(
    data: pd.DataFrame, *, allow_negative: bool = False, check_duplicates: bool = True
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Validate a long-form ratings table and return ``(users, items, ratings)``.

    ``data`` is a DataFrame whose first three columns are user id, item id and
    rating, in that order (the layout ``surprise.Dataset.load_from_df`` takes).
    Ids may be any hashable values; ratings must be finite numbers, and
    non-negative unless ``allow_negative`` is true. The models pass
    ``check_duplicates=False`` and look for repeated pairs themselves, on the
    grouped ratings (:func:`nmf_teach._ratings_index.first_repeated_pair`), which
    needs far less memory than hashing every pair here; they raise
    :func:`duplicate_pair_error`.

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame.
    ValueError
        If there are fewer than three columns, no rows, missing ids,
        non-numeric / NaN / infinite / negative ratings, or the same
        (user, item) pair appears more than once.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"ratings must be a pandas DataFrame with columns (user, item, rating), "
            f"got {type(data).__name__}"
        )
    if data.shape[1] < 3:
        raise ValueError(
            f"ratings need three columns (user, item, rating) but the DataFrame has "
            f"{data.shape[1]}: {list(data.columns)}"
        )
    if len(data) == 0:
        raise ValueError("ratings are empty: pass at least one (user, item, rating) row")
    users = data.iloc[:, 0]
    items = data.iloc[:, 1]
    rating_col = data.iloc[:, 2]
    for name, col in (("user", users), ("item", items)):
        if col.isna().any():
            raise ValueError(
                f"{name} ids contain missing values (row {int(np.flatnonzero(col.isna())[0])}); "
                f"drop or fill those rows first"
            )
    if pd.api.types.is_bool_dtype(rating_col) or not pd.api.types.is_numeric_dtype(rating_col):
        raise ValueError(
            f"ratings (third column {data.columns[2]!r}) must be numeric, got dtype "
            f"{rating_col.dtype}; convert them with pd.to_numeric first"
        )
    ratings = rating_col.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(ratings)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"ratings contain NaN or inf (first at row {row}: {ratings[row]}); "
            f"drop those rows: a missing rating is a missing row, not a NaN"
        )
    if not allow_negative and (ratings < 0).any():
        row = int(np.flatnonzero(ratings < 0)[0])
        raise ValueError(
            f"NMF needs non-negative ratings, but row {row} has {ratings[row]}; "
            f"shift the ratings (e.g. subtract the minimum) so that all are >= 0"
        )
    if check_duplicates:
        duplicated = pd.DataFrame({"u": users.to_numpy(), "i": items.to_numpy()}).duplicated()
        if duplicated.any():
            raise duplicate_pair_error(users, items, int(np.flatnonzero(duplicated.to_numpy())[0]))
    return users, items, ratings


def duplicate_pair_error(users: pd.Series, items: pd.Series, row: int) -> ValueError:
    """The error for a (user, item) pair that ``row`` repeats from an earlier row."""
    user, item = users.iloc[[row]].tolist()[0], items.iloc[[row]].tolist()[0]  # plain Python
    return ValueError(
        f"duplicate (user, item) pair ({user!r}, {item!r}) at row "
        f"{row}; keep one rating per pair, e.g. df.drop_duplicates(subset=[user, item], "
        f"keep='last')"
    )


def check_matrix(R: np.ndarray, *, name: str = "R") -> np.ndarray:
    """Validate a dense ratings matrix: 2-D, non-empty, entries finite and >= 0.

    NaN entries are allowed and mean "missing"; they are returned unchanged.
    """
    try:
        R = np.asarray(R, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric 2-D array: {exc}") from None
    if R.ndim != 2:
        raise ValueError(f"{name} must be 2-D (users x items), got shape {R.shape}")
    if R.size == 0:
        raise ValueError(f"{name} is empty (shape {R.shape}); it needs at least one entry")
    if np.isinf(R).any():
        raise ValueError(f"{name} contains inf; replace it with a finite rating or NaN (missing)")
    if (R < 0).any():
        raise ValueError(
            f"{name} has negative entries (min {np.nanmin(R)}); NMF needs R >= 0, "
            f"so shift the ratings first"
        )
    return R


def check_positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_factor_model_params(
    n_factors: object,
    n_epochs: object,
    init_low: float,
    init_high: float,
    non_negative: dict[str, object],
) -> None:
    """Check the parameters every factor model shares; raise on the first bad one.

    ``n_factors`` >= 1 and ``n_epochs`` >= 0 are integers; ``non_negative`` maps
    names to numbers that must be finite and >= 0 (penalties, learning rates);
    factors start uniform in ``[init_low, init_high)``, so ``0 <= init_low < init_high``.
    """
    check_positive_int(n_factors, "n_factors", minimum=1)
    check_positive_int(n_epochs, "n_epochs", minimum=0)
    for name, value in non_negative.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"{name} must be a number, got {value!r}")
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if not (np.isfinite(init_low) and np.isfinite(init_high)):
        raise ValueError("init_low and init_high must be finite")
    if init_low < 0:
        raise ValueError(
            f"init_low must be >= 0 so that the factors start non-negative, got {init_low}"
        )
    if init_high <= init_low:
        raise ValueError(f"init_high ({init_high}) must be greater than init_low ({init_low})")


def check_rating_scale(
    ratings: np.ndarray, rating_scale: tuple[float, float] | None
) -> tuple[float, float]:
    """Return ``(low, high)``: ``rating_scale``, or the ratings' (min, max) if None.

    Raises ``ValueError`` if the scale is not a finite, ordered pair or if it
    excludes some of the ratings.
    """
    if rating_scale is None:
        return float(ratings.min()), float(ratings.max())
    lo, hi = rating_scale
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
        raise ValueError(f"rating_scale must be a finite (low, high) pair, got {rating_scale}")
    if ratings.min() < lo or ratings.max() > hi:
        raise ValueError(
            f"rating_scale {tuple(rating_scale)} excludes some ratings (they range from "
            f"{ratings.min()} to {ratings.max()}); widen the scale or fix the ratings"
        )
    return float(lo), float(hi)
