r"""Reading learned factors against genres: correlations, each factor's best genre, chance.

Does a factor "mean" a genre? A direct test: over a set of movies, correlate
the loadings of factor ``f`` (column ``f`` of the item factors ``Q``, shape
``(n_movies, k)``) with the 0/1 indicator of genre ``g`` (column ``g`` of a
genre table ``G``, shape ``(n_movies, n_genres)``, e.g. from
:func:`nmf_teach.datasets.genre_matrix`). With ``z(.)`` the column-wise
z-scores (mean 0, standard deviation 1, ``ddof=0``), the ``k x n_genres``
table of Pearson correlations is

.. math:: C = z(Q)^\top z(G) / n_{\text{movies}}.

A factor that *is* a genre would reach ``|C_fg|`` near 1. Some correlation
appears by chance alone, more so with many genres to choose from; the chance
level of a factor's best ``|C_fg|`` is estimated by shuffling which movie has
which genres (a permutation test) and keeping a high quantile of the best
``|C_fg|`` of every factor in every shuffle.

Used in ``notebooks/11_what_the_factors_mean.ipynb`` (the full look at 15
factors), ``notebooks/14_benefits_measured.ipynb`` (non-negative against signed
factors) and ``notebooks/15_implicit_feedback.ipynb`` (implicit factors).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "best_genres",
    "chance_level",
    "columnwise_corr",
    "genre_correlations",
    "standardize",
]


def _as_2d(a: Any, name: str) -> np.ndarray:
    """``a`` as a finite 2-D float array, or a clear error."""
    try:
        array = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric table (array or DataFrame): {exc}") from None
    if array.ndim != 2 or array.shape[0] < 2:
        raise ValueError(
            f"{name} must be 2-D with one row per movie (at least 2), got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or inf; drop or fill those rows first")
    return array


def _column_names(a: Any, prefix: str, n: int) -> list:
    if isinstance(a, pd.DataFrame):
        return list(a.columns)
    return [f"{prefix}{j + 1}" for j in range(n)]


def standardize(a: Any, *, name: str = "a") -> np.ndarray:
    """Column-wise z-scores ``(a - mean) / std`` (``ddof=0``), shape of ``a``.

    Raises ``ValueError`` if a column is constant (its correlation with
    anything is undefined), naming the column.
    """
    array = _as_2d(a, name)
    std = array.std(axis=0)
    if (std == 0).any():
        j = int(np.flatnonzero(std == 0)[0])
        label = _column_names(a, "column ", array.shape[1])[j]
        raise ValueError(
            f"column {label!r} of {name} is constant over these rows, so its correlation "
            f"is undefined; drop it first (e.g. genres.loc[:, genres.std() > 0])"
        )
    return (array - array.mean(axis=0)) / std


def columnwise_corr(A: Any, B: Any) -> np.ndarray:
    """Correlation of column ``j`` of ``A`` with column ``j`` of ``B``, for every ``j``.

    ``A`` and ``B``: same shape ``(n_rows, n_columns)``, rows matched (e.g. the
    item factors of two fits over the same movies). Returns shape ``(n_columns,)``.
    Used in ``notebooks/11_what_the_factors_mean.ipynb`` (learned against starting factors).
    """
    a, b = standardize(A, name="A"), standardize(B, name="B")
    if a.shape != b.shape:
        raise ValueError(f"A and B must have the same shape, got {a.shape} and {b.shape}")
    return (a * b).mean(axis=0)


def _check_rows(Q: np.ndarray, G: np.ndarray) -> None:
    if Q.shape[0] != G.shape[0]:
        raise ValueError(
            f"Q has {Q.shape[0]} rows but genres {G.shape[0]}: pass one row per movie in both, "
            f"in the same order (e.g. genres.loc[movie_ids])"
        )


def genre_correlations(Q: Any, genres: Any) -> pd.DataFrame:
    """Correlation of every factor with every genre, ``z(Q)^T z(G) / n`` (module docstring).

    Parameters
    ----------
    Q : array or DataFrame, shape (n_movies, k)
        Item factors of the movies to use (e.g. those with >= 20 ratings).
    genres : array or DataFrame, shape (n_movies, n_genres)
        0/1 genre indicators of the same movies, same order.

    Returns
    -------
    pd.DataFrame, shape (k, n_genres)
        Index: ``Q``'s column names (``F1 .. Fk`` for an array), named ``factor``;
        columns: the genre names.
    """
    q = standardize(Q, name="Q")
    g = standardize(genres, name="genres")
    _check_rows(q, g)
    return pd.DataFrame(
        q.T @ g / len(q),
        index=pd.Index(_column_names(Q, "F", q.shape[1]), name="factor"),
        columns=_column_names(genres, "genre ", g.shape[1]),
    )


def best_genres(Q: Any, genres: Any) -> pd.DataFrame:
    """For each factor, the genre with the largest ``|correlation|``, and that correlation.

    Returns
    -------
    pd.DataFrame, shape (k, 3)
        Index ``factor``; columns ``genre``, ``r`` (signed correlation) and ``|r|``.
    """
    corr = genre_correlations(Q, genres)
    best = np.abs(corr.to_numpy()).argmax(axis=1)
    r = corr.to_numpy()[np.arange(len(corr)), best]
    return pd.DataFrame({"genre": corr.columns[best], "r": r, "|r|": np.abs(r)}, index=corr.index)


def chance_level(
    Q: Any, genres: Any, *, n_shuffles: int = 100, seed: int = 0, quantile: float = 0.95
) -> float:
    """How large a factor's best ``|correlation|`` with a genre gets by chance.

    Shuffles the rows of the genre table (which movie has which genres)
    ``n_shuffles`` times with ``np.random.default_rng(seed)``, records the
    best ``|correlation|`` of every factor each time, and returns the
    ``quantile`` of those ``k * n_shuffles`` numbers. A factor whose real best
    ``|r|`` is above it is linked to some genre more than chance allows.

    Returns
    -------
    float
    """
    if isinstance(n_shuffles, bool) or not isinstance(n_shuffles, (int, np.integer)):
        raise TypeError(f"n_shuffles must be an integer, got {n_shuffles!r}")
    if n_shuffles < 1:
        raise ValueError(f"n_shuffles must be >= 1, got {n_shuffles}")
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be between 0 and 1, got {quantile}")
    z_factors = standardize(Q, name="Q")
    z_genres = standardize(genres, name="genres")
    _check_rows(z_factors, z_genres)
    rng = np.random.default_rng(seed)
    best = []
    for _ in range(n_shuffles):
        shuffled = z_genres[rng.permutation(len(z_genres))]
        best.extend(np.abs(z_factors.T @ shuffled / len(z_factors)).max(axis=1))
    return float(np.quantile(best, quantile))
