"""Input checks shared by every module of :mod:`nmf_teach`.

Bad input gets a clear error that names the problem and the fix, never NaN or a
silently wrong answer. Each function either returns clean arrays or raises
``ValueError`` (bad values) / ``TypeError`` (wrong kind of object).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: The column names a ratings table is read by (user id, item id, rating).
RATING_COLUMNS = ("user", "item", "rating")


def find_columns(data: pd.DataFrame, names: Sequence[str]) -> list[int]:
    """Positions of the columns ``names`` in ``data``, found by name, else by position.

    * every name is a column: those columns, wherever they are (so a frame with
      its ``item`` column before its ``user`` column is read correctly);
    * none of the names is a column: the first ``len(names)`` columns, in order
      (the layout ``surprise.Dataset.load_from_df`` takes);
    * only some are: by position, if each name found is at its own position
      (``["user_id", "movie_id", "rating"]``), else ``ValueError`` -- a frame is
      never read with its columns silently mixed up.

    ``names`` must be distinct strings. Raises ``ValueError`` if ``data`` has
    fewer columns than ``names`` or if a name is repeated among its columns.
    """
    names = list(names)
    if len(set(names)) != len(names) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"columns must be {len(names)} distinct column names, got {names!r}")
    columns = list(data.columns)
    labels = ", ".join(names)
    if len(columns) < len(names):
        raise ValueError(
            f"ratings need {_number_word(len(names))} columns ({labels}) but the DataFrame has "
            f"{len(columns)}: {columns}"
        )
    for name in names:
        if columns.count(name) > 1:
            raise ValueError(f"the DataFrame has more than one column named {name!r}; rename one")
    present = [name in columns for name in names]
    if all(present):
        return [columns.index(name) for name in names]
    if any(present):
        misplaced = [
            name for pos, name in enumerate(names) if name in columns and columns[pos] != name
        ]
        if misplaced:
            missing = [name for name in names if name not in columns]
            raise ValueError(
                f"the DataFrame has column(s) {misplaced} but not {missing}, so its columns "
                f"cannot be read by name, nor by position ({misplaced} is not where position "
                f"would put it); rename the columns to ({labels}), or pass columns=(...) "
                f"naming them"
            )
    return list(range(len(names)))


def _number_word(n: int) -> str:
    return {2: "two", 3: "three"}.get(n, str(n))


def check_ratings_frame(
    data: pd.DataFrame,
    *,
    allow_negative: bool = False,
    check_duplicates: bool = True,
    columns: Sequence[str] | None = None,
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Validate a long-form ratings table and return ``(users, items, ratings)``.

    The user id, item id and rating columns are found by name (``columns``,
    default ``("user", "item", "rating")``); a frame with none of those names
    is read by position, its first three columns being user id, item id and
    rating in that order (the layout ``surprise.Dataset.load_from_df`` takes).
    See :func:`find_columns` for the exact rule.
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
        If there are fewer than three columns, columns that can be read neither
        by name nor by position, no rows, missing ids, non-numeric / NaN /
        infinite / negative ratings, or the same (user, item) pair appears more
        than once.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"ratings must be a pandas DataFrame with columns (user, item, rating), "
            f"got {type(data).__name__}"
        )
    u_col, i_col, r_col = find_columns(data, RATING_COLUMNS if columns is None else columns)
    if len(data) == 0:
        raise ValueError("ratings are empty: pass at least one (user, item, rating) row")
    users = data.iloc[:, u_col]
    items = data.iloc[:, i_col]
    rating_col = data.iloc[:, r_col]
    for name, col in (("user", users), ("item", items)):
        if col.isna().any():
            raise ValueError(
                f"{name} ids contain missing values (row {int(np.flatnonzero(col.isna())[0])}); "
                f"drop or fill those rows first"
            )
    if pd.api.types.is_bool_dtype(rating_col) or not pd.api.types.is_numeric_dtype(rating_col):
        raise ValueError(
            f"ratings (column {data.columns[r_col]!r}) must be numeric, got dtype "
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


def check_random_state(random_state: object) -> np.random.RandomState:
    """The ``np.random.RandomState`` that ``random_state`` stands for (Surprise's rule).

    The rule of ``surprise.utils.get_rng`` and ``sklearn.utils.check_random_state``:

    * ``None``: NumPy's global RandomState (the one ``np.random.seed`` seeds), so
      results are not reproducible unless you seed it, as in Surprise;
    * an int: a new ``np.random.RandomState(random_state)``, the same draws every time;
    * a ``np.random.RandomState``: used as is (and advanced by each use).
    """
    if random_state is None:
        return np.random.mtrand._rand
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return np.random.RandomState(random_state)
    raise TypeError(
        f"random_state must be None (NumPy's global random state), an int seed or a "
        f"np.random.RandomState, got {random_state!r}"
    )
