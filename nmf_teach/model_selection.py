"""Hold out ratings to measure a model honestly: train/test split and k-fold CV.

The splits are **identical** to Surprise's (``surprise.model_selection``) for the
same data and seed: same rows in each test set, in the same order, and training
rows in the same order too -- so a model fitted on our ``train_df`` sees the
users and items in the same order (same inner ids) as Surprise's ``trainset``.
That lets the course compare ``nmf_teach`` and Surprise fold by fold.

How Surprise splits ``n`` ratings (and so how we do):

1. number the rows ``0 .. n-1`` and shuffle the numbers with a
   ``np.random.RandomState`` (a new one seeded with ``random_state`` if it is an
   int, the one given, or NumPy's global one if ``None``);
2. k-fold: cut the shuffled numbers into ``n_splits`` consecutive blocks whose
   sizes differ by at most one (the first ``n % n_splits`` blocks get one extra
   row). Block *f* is the test set of fold *f*; the training set is everything
   before the block followed by everything after it;
3. train/test split: the first ``n - ceil(test_size * n)`` shuffled rows train,
   the rest test.

Used in ``notebooks/08_movielens_small.ipynb`` (split),
``notebooks/09_against_the_baselines.ipynb`` (the 5 folds every method is compared on) and
``notebooks/13_nmf_on_your_own_data.ipynb`` (tuning with :func:`cross_validate`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from tqdm import tqdm

from . import metrics
from ._validation import check_positive_int, check_random_state, check_ratings_frame

__all__ = ["train_test_split", "KFold", "cross_validate"]

RandomState = int | np.integer | np.random.RandomState | None


def _shuffled_positions(n: int, random_state: RandomState) -> np.ndarray:
    """Row numbers ``0..n-1`` shuffled exactly like ``surprise.utils.get_rng(...).shuffle``.

    Returns
    -------
    np.ndarray of int, shape (n,)
    """
    positions = np.arange(n)
    check_random_state(random_state).shuffle(positions)  # None: NumPy's global RandomState
    return positions


def _rows(data: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The rows of ``data`` at ``positions`` (in that order), with a fresh 0..m-1 index."""
    return data.iloc[positions].reset_index(drop=True)


def train_test_split(
    data: pd.DataFrame, test_size: float | int = 0.2, random_state: RandomState = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Randomly split ratings (rows) into a training and a test set.

    Used in ``notebooks/08_movielens_small.ipynb``.

    Same split, row for row, as ``surprise.model_selection.train_test_split(
    Dataset.load_from_df(data.iloc[:, :3], reader), test_size, random_state=...)``.

    Parameters
    ----------
    data : pd.DataFrame, shape (n_ratings, >= 3)
        Ratings, columns (user, item, rating) first. Extra columns are kept.
    test_size : float in (0, 1) or int in [1, n_ratings - 1], default 0.2
        Fraction of the ratings (rounded up) or number of ratings to hold out.
    random_state : int, np.random.RandomState or None, default None
        Seed for the shuffle. ``None`` uses NumPy's global random state (not
        reproducible); pass an int to get the same split every time.

    Returns
    -------
    train_df : pd.DataFrame, shape (n_ratings - n_test, n_columns)
    test_df : pd.DataFrame, shape (n_test, n_columns)
        Same columns as ``data``, index reset to 0..m-1.

    Raises
    ------
    ValueError
        For invalid ratings (see ``check_ratings_frame``) or a ``test_size`` that
        would leave the training or test set empty.
    """
    check_ratings_frame(data, allow_negative=True)
    n = len(data)
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.number)):
        raise TypeError(f"test_size must be a fraction or a number of ratings, got {test_size!r}")
    if isinstance(test_size, (float, np.floating)):
        if not 0 < test_size < 1:
            raise ValueError(
                f"test_size={test_size} as a fraction must be between 0 and 1 (e.g. 0.2)"
            )
        n_test = math.ceil(test_size * n)
    else:
        n_test = int(test_size)
    if not 1 <= n_test <= n - 1:
        raise ValueError(
            f"test_size={test_size} would put {n_test} of the {n} ratings in the test set; "
            f"both sets need at least one rating, so choose a test size between 1 and {n - 1}"
        )
    positions = _shuffled_positions(n, random_state)
    n_train = n - n_test
    return _rows(data, positions[:n_train]), _rows(data, positions[n_train:])


class KFold:
    """K-fold cross-validation over ratings, fold-for-fold identical to Surprise's.

    Used in ``notebooks/09_against_the_baselines.ipynb``.

    Each rating lands in exactly one test fold; each fold trains on the others.
    ``KFold(n_splits, random_state=s).split(data)`` gives the same folds as
    ``surprise.model_selection.KFold(n_splits, random_state=s).split(
    Dataset.load_from_df(data.iloc[:, :3], reader))``: the same test rows in the
    same order, and training rows in the order of Surprise's ``raw_trainset``.

    Parameters
    ----------
    n_splits : int >= 2, default 5
        Number of folds. Must not exceed the number of ratings.
    random_state : int, np.random.RandomState or None, default None
        Seed for the shuffle. With an int, every call to :meth:`split` gives the
        same folds. A ``RandomState`` is used (and advanced) as is; ``None`` uses
        NumPy's global random state. Ignored if ``shuffle`` is false.
    shuffle : bool, default True
        Shuffle the rows before cutting them into folds.

    Examples
    --------
    >>> ratings = pd.DataFrame({"user": [1, 1, 2, 2, 3], "item": [1, 2, 1, 3, 2],
    ...                         "rating": [4.0, 3.0, 5.0, 2.0, 4.0]})
    >>> [len(test) for _, test in KFold(n_splits=2, random_state=0).split(ratings)]
    [3, 2]
    """

    def __init__(
        self, n_splits: int = 5, random_state: RandomState = None, shuffle: bool = True
    ) -> None:
        self.n_splits = check_positive_int(n_splits, "n_splits", minimum=2)
        self.random_state = random_state
        self.shuffle = bool(shuffle)

    def __repr__(self) -> str:
        return (
            f"KFold(n_splits={self.n_splits}, random_state={self.random_state!r}, "
            f"shuffle={self.shuffle})"
        )

    def get_n_folds(self) -> int:
        """Number of folds (same name as Surprise's method)."""
        return self.n_splits

    def test_positions(self, n_ratings: int) -> list[np.ndarray]:
        """Row positions of each test fold, in Surprise's order.

        Parameters
        ----------
        n_ratings : int
            Number of rows to split.

        Returns
        -------
        list of ``n_splits`` int arrays
            Fold sizes are ``n // n_splits`` or one more (the first folds are larger).
        """
        n = check_positive_int(n_ratings, "n_ratings")
        if self.n_splits > n:
            raise ValueError(
                f"n_splits={self.n_splits} is larger than the number of ratings ({n}); "
                f"use at most {n} folds"
            )
        positions = _shuffled_positions(n, self.random_state) if self.shuffle else np.arange(n)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        return np.split(positions, np.cumsum(sizes)[:-1])

    def split(self, data: pd.DataFrame) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
        """Yield ``(train_df, test_df)`` for each fold.

        Parameters
        ----------
        data : pd.DataFrame, shape (n_ratings, >= 3)
            Ratings, columns (user, item, rating) first. Extra columns are kept.

        Yields
        ------
        train_df : pd.DataFrame, shape (n_ratings - n_test, n_columns)
            The other folds' rows: rows shuffled before the test block, then after it.
        test_df : pd.DataFrame, shape (n_test, n_columns)
            This fold's rows. Both frames have their index reset to 0..m-1.
        """
        check_ratings_frame(data, allow_negative=True)
        folds = self.test_positions(len(data))  # shuffle once, as Surprise does
        for f, test in enumerate(folds):
            train = np.concatenate(folds[:f] + folds[f + 1 :])
            yield _rows(data, train), _rows(data, test)


def _check_rating_scale(rating_scale: Any) -> tuple[float, float]:
    """Return ``rating_scale`` as ``(lo, hi)`` floats, or raise if it is not a finite pair."""
    bounds = np.asarray(rating_scale, dtype=np.float64).ravel()
    if bounds.shape != (2,) or not np.isfinite(bounds).all() or bounds[0] > bounds[1]:
        raise ValueError(
            f"rating_scale must be (lowest, highest) finite ratings, e.g. (0.5, 5.0), "
            f"got {rating_scale!r}"
        )
    return float(bounds[0]), float(bounds[1])


_MEASURES: dict[str, Callable[[Any, Any], float]] = {"rmse": metrics.rmse, "mae": metrics.mae}


def _model_maker(model: Any) -> Callable[[], Any]:
    """A function giving a fresh unfitted model per fold: clones an estimator, or a factory."""
    if hasattr(model, "get_params") and not isinstance(model, type):
        return lambda: clone(model)
    if callable(model):  # a class or a factory function (the older way to pass a model)
        return model
    raise TypeError(
        f"model must be an unfitted estimator with get_params (e.g. NMF(n_factors=15)) or a "
        f"function that builds one (e.g. lambda: MyModel()), got {type(model).__name__}"
    )


def cross_validate(
    model: Any,
    data: pd.DataFrame,
    cv: int | KFold = 5,
    *,
    measures: tuple[str, ...] | list[str] = ("rmse", "mae"),
    rating_scale: tuple[float, float] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Fit a fresh copy of ``model`` on each training fold and score it on the test fold.

    Used in ``notebooks/13_nmf_on_your_own_data.ipynb``, which tunes the number
    of factors and the penalty with it over a small grid. (Notebooks 09 and 10
    read the scores of ``benchmarks/run_all.py`` and ``benchmarks/tuning_log.py``,
    which cut the same folds with :class:`KFold` and fit one model per fold.)

    For each fold: ``fold_model = sklearn.base.clone(model)`` (an unfitted copy
    with the same parameters, as scikit-learn's and Surprise's ``cross_validate``
    do; ``model`` itself is left untouched),
    ``fold_model.fit(train_df, rating_scale=rating_scale)``, then
    ``pred = fold_model.predict_frame(test_df)`` and the measures of ``pred``
    against the test ratings.

    Parameters
    ----------
    model : estimator, or callable () -> model
        An unfitted model, e.g. ``NMF(n_factors=15, random_state=0)``: it is
        cloned for each fold, so it needs ``get_params`` (every ``nmf_teach``
        model has it). A model without ``get_params`` can be passed as a
        function (or class) that builds one, e.g. ``lambda: MyModel()``, called
        once per fold. The model needs ``fit(df, rating_scale=(lo, hi)) -> self``
        and ``predict_frame(df) -> np.ndarray`` of shape (len(df),).
    data : pd.DataFrame, shape (n_ratings, >= 3)
        Ratings: columns ``user``, ``item``, ``rating`` (found by name, else the
        first three columns, see :func:`nmf_teach._validation.check_ratings_frame`).
    cv : int or KFold, default 5
        Number of folds (shuffled with NumPy's global random state, like Surprise)
        or a :class:`KFold` -- pass ``KFold(5, random_state=0)`` for reproducible folds.
    measures : sequence of {"rmse", "mae"}, default ("rmse", "mae")
        Which errors to compute (case-insensitive).
    rating_scale : (float, float) or None, default None
        Passed to every ``fit``. ``None`` uses ``(min, max)`` of the ratings in
        the *whole* ``data``, so all folds share one scale (as one Surprise ``Reader``).
    progress : bool, default True
        Show a tqdm progress bar over the folds (on stderr). The bar prints
        timings, which change from run to run: pass ``False`` in a notebook
        whose outputs are compared (nbval), as notebook 13 does.

    Returns
    -------
    pd.DataFrame, shape (n_folds, 5 + len(measures))
        Columns ``fold`` (1, 2, ...), ``n_train``, ``n_test``, one column per
        measure, ``fit_time`` and ``test_time`` (seconds). ``df[measure].mean()``
        is the cross-validated error.

    Raises
    ------
    TypeError
        If ``model`` is neither an estimator (with ``get_params``) nor callable.
    ValueError
        For an unknown measure, an invalid ``cv`` or ``rating_scale``, or a model
        whose ``predict_frame`` returns the wrong number of predictions.
    """
    new_model = _model_maker(model)
    _, _, ratings = check_ratings_frame(data, allow_negative=True)
    if isinstance(measures, str):
        measures = (measures,)
    measures = [str(m).lower() for m in measures]
    unknown = [m for m in measures if m not in _MEASURES]
    if unknown or not measures:
        raise ValueError(f"unknown measures {unknown or measures}; choose from {sorted(_MEASURES)}")
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        cv = KFold(n_splits=int(cv))
    if not hasattr(cv, "split") or isinstance(cv, str):
        raise TypeError(f"cv must be a number of folds or a KFold, got {cv!r}")
    if rating_scale is None:
        rating_scale = (float(ratings.min()), float(ratings.max()))
    else:
        rating_scale = _check_rating_scale(rating_scale)

    n_folds = cv.get_n_folds() if hasattr(cv, "get_n_folds") else None
    rows = []
    folds = tqdm(cv.split(data), total=n_folds, desc="CV folds", disable=not progress)
    for fold, (train_df, test_df) in enumerate(folds, start=1):
        start = time.perf_counter()
        fold_model = new_model()
        fold_model.fit(train_df, rating_scale=rating_scale)
        fit_time = time.perf_counter() - start

        start = time.perf_counter()
        pred = np.asarray(fold_model.predict_frame(test_df), dtype=np.float64)
        test_time = time.perf_counter() - start
        if pred.shape != (len(test_df),):
            raise ValueError(
                f"model.predict_frame returned shape {pred.shape} for {len(test_df)} test "
                f"ratings; it must return one prediction per row, shape ({len(test_df)},)"
            )
        true = check_ratings_frame(test_df, allow_negative=True, check_duplicates=False)[2]
        row = {"fold": fold, "n_train": len(train_df), "n_test": len(test_df)}
        row.update({m: _MEASURES[m](true, pred) for m in measures})
        row.update({"fit_time": fit_time, "test_time": test_time})
        rows.append(row)
    return pd.DataFrame(rows)
