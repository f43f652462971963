r"""Fold a new user into a fitted rating model: their factors from a few ratings.

A user who joins after the fit has no factor row ``p_u``, so the model cannot
score anything for them (cold start). Refitting the whole model for one user
is wasteful. Instead, ask them to rate a few items ``I``, keep everything the
model learned about the items fixed (``q_i``, and ``mu``, ``b_i`` if biased),
and give the user the row the fit itself would have given them: the minimiser
of the model's own objective restricted to this one user,

.. math:: J(p, b) = \sum_{i \in I} (r_i - \mu - b - b_i - p \cdot q_i)^2
          + \lambda_b\, b^2 + \lambda_p |I|\, \lVert p \rVert^2,
          \qquad p \ge 0

(an unbiased model has no ``mu``, ``b``, ``b_i``). The penalties are the
model's: ``lambda_p = reg_pu`` per rating, as in the fit (Luo et al., 2014;
ALS-WR, Zhou et al., 2008); ``lambda_b = reg_bu`` for
:class:`nmf_teach.biased_nmf.BiasedNMF`, and ``reg_bu |I|`` for
``NMF(biased=True)``, whose SGD penalises the bias once per rating.

**Unbiased model: non-negative least squares.** Stacking
``sqrt(lambda_p |I|)`` times the ``k x k`` identity under the rows ``q_i``
(``i in I``) writes ``J`` as one least-squares problem,

.. math:: \min_{p \ge 0} \lVert A p - y \rVert^2, \qquad
          A = \begin{pmatrix} Q_I \\ \sqrt{\lambda_p |I|}\, I_k \end{pmatrix}
          \;(|I| + k) \times k, \qquad
          y = \begin{pmatrix} r \\ 0 \end{pmatrix},

which ``scipy.optimize.nnls`` (the active-set method of Lawson & Hanson, 1974)
solves exactly: no learning rate, no epochs.

**Biased model: the bias in closed form first.** For a fixed ``p`` the best
bias is ``b(p) = sum_i (y_i - p . q_i) / (lambda_b + |I|)``, with
``y_i = r_i - mu - b_i``. Putting it back leaves
``(y - Q_I p)^T (I - 1 1^T / (lambda_b + |I|)) (y - Q_I p)``; that matrix is
``L^T L`` with ``L = I - a 1 1^T``, ``a = (1 - sqrt(lambda_b / (lambda_b + |I|))) / |I|``,
so ``p`` solves the NNLS above with rows ``L Q_I`` and targets ``L y``, and
then ``b = b(p)``.

Folding a training user in from all their training ratings gives back (up to
how far the fit converged) the row the model fitted for them: the fit
minimises the same ``J`` for each user, with the items fixed at the end.

Explained and used in ``notebooks/12_recommending.ipynb`` (a new user from
five ratings) and ``notebooks/13_nmf_on_your_own_data.ipynb``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from ._factor_model import FactorModel
from ._validation import find_columns

__all__ = ["FoldedInUser", "fold_in", "fold_in_scores"]


class FoldedInUser(NamedTuple):
    """A new user's parameters, found by :func:`fold_in`.

    ``factors``: the non-negative row ``p``, shape ``(k,)``; ``bias``: the user
    bias ``b`` (0.0 for an unbiased model); ``items``: the ids of the items the
    user rated, in the order given.
    """

    factors: np.ndarray
    bias: float
    items: list


def _ratings_series(ratings: Any) -> pd.Series:
    """The new user's ratings as a float Series indexed by item id, checked for shape."""
    if isinstance(ratings, pd.DataFrame):
        if ratings.shape[1] < 2:
            raise ValueError(
                "ratings must have an item and a rating column (named item and rating, or "
                f"its first two columns); it has {list(ratings.columns)}"
            )
        i_col, r_col = find_columns(ratings, ("item", "rating"))
        series = pd.Series(
            ratings.iloc[:, r_col].to_numpy(), index=ratings.iloc[:, i_col].to_numpy()
        )
    elif isinstance(ratings, pd.Series):
        series = ratings
    elif isinstance(ratings, Mapping):
        series = pd.Series(dict(ratings), dtype=object)
    else:
        raise TypeError(
            "ratings must be a pandas Series (item id -> rating), a dict {item: rating} or a "
            f"DataFrame with item and rating columns, got {type(ratings).__name__}"
        )
    if len(series) == 0:
        raise ValueError("ratings is empty: the new user must rate at least one item")
    if series.index.has_duplicates:
        repeated = series.index[series.index.duplicated()][0]
        raise ValueError(
            f"item {repeated!r} is rated more than once; keep one rating per item "
            f"(e.g. ratings[~ratings.index.duplicated(keep='last')])"
        )
    values = pd.to_numeric(series, errors="coerce")
    not_numbers = values.isna() & series.notna()
    if not_numbers.any():
        raise ValueError(
            f"ratings must be numbers, got {series[not_numbers].iloc[0]!r} for item "
            f"{series.index[not_numbers][0]!r}; convert them first"
        )
    return values.astype(np.float64)


def fold_in(model: FactorModel, ratings: Any) -> FoldedInUser:
    """The factors (and bias) of a new user, from a few ratings, the items held fixed.

    Minimises the model's objective for one user over ``p >= 0`` (and the bias
    ``b`` if the model is biased), with the item factors and biases fixed; see
    the module docstring for the objective and how it becomes one non-negative
    least-squares problem (``scipy.optimize.nnls``). Used in
    ``notebooks/12_recommending.ipynb`` and ``notebooks/13_nmf_on_your_own_data.ipynb``.

    Parameters
    ----------
    model : fitted nmf_teach.NMF or nmf_teach.biased_nmf.BiasedNMF
        A rating model with ``qi_`` (n_items, k), ``reg_pu`` and, if biased,
        ``global_mean_``, ``bi_`` and ``reg_bu``.
    ratings : pd.Series, dict or pd.DataFrame
        The new user's ratings: item id -> rating (a Series or a dict), or a
        DataFrame with ``item`` and ``rating`` columns (found by name, else its
        first two). Items must be known to the model, each rated once, with
        finite ratings inside ``model.rating_scale_`` (so never negative for a
        model fitted on non-negative ratings).

    Returns
    -------
    FoldedInUser
        ``factors``: shape (k,), all >= 0; ``bias``: float (0.0 if unbiased);
        ``items``: the rated item ids. Score items with :func:`fold_in_scores`.

    Raises
    ------
    TypeError
        For a model that is not a fitted ``NMF`` / ``BiasedNMF`` (e.g.
        ``ImplicitNMF``, whose objective also counts every unrated item), or
        ratings that are not a Series, dict or DataFrame.
    ValueError
        For empty ratings, an item rated twice, an item the model does not
        know, or a rating that is NaN, infinite, negative or outside the
        model's rating scale.

    Examples
    --------
    >>> from nmf_teach import NMF, datasets
    >>> model = NMF(n_factors=2, random_state=0).fit(datasets.surprise_example_ratings(), (1, 5))
    >>> new = fold_in(model, {"A": 5.0, "B": 1.0})
    >>> new.factors.shape, bool((new.factors >= 0).all())
    ((2,), True)
    """
    from .biased_nmf import BiasedNMF
    from .nmf import NMF

    if not isinstance(model, (NMF, BiasedNMF)):
        raise TypeError(
            f"fold_in folds a user into a rating model (nmf_teach.NMF or BiasedNMF), got "
            f"{type(model).__name__}; an implicit-feedback model also counts every item the "
            f"user did not watch (notebook 15, exercise 2, folds a user into ImplicitNMF)"
        )
    model._check_fitted()
    values = _ratings_series(ratings)
    items = values.index.tolist()
    unknown = [item for item in items if item not in model.item_index_]
    if unknown:
        raise ValueError(
            f"unknown item(s) {unknown[:5]!r}: the model was not fitted on them, so it has no "
            f"factors for them; keep only rated items in model.item_ids_ (they look like "
            f"{list(model.item_ids_[:3])!r})"
        )
    r = values.to_numpy()
    if not np.isfinite(r).all():
        item = items[int(np.flatnonzero(~np.isfinite(r))[0])]
        raise ValueError(
            f"the rating of item {item!r} is {values[item]}: ratings must be finite numbers; "
            f"leave out the items the user did not rate"
        )
    if (r < 0).any():
        item = items[int(np.flatnonzero(r < 0)[0])]
        raise ValueError(
            f"the rating of item {item!r} is negative ({values[item]}); ratings are on the "
            f"model's scale {model.rating_scale_}; rescale them as the training ratings were"
        )
    lo, hi = model.rating_scale_
    outside = (r < lo) | (r > hi)
    if outside.any():
        item = items[int(np.flatnonzero(outside)[0])]
        raise ValueError(
            f"the rating of item {item!r} ({values[item]}) is outside the model's rating scale "
            f"({lo}, {hi}); use the scale the model was fitted on"
        )

    rows = np.array([model.item_index_[item] for item in items])
    Q = model.qi_[rows]  # (|I|, k)
    n, k = Q.shape
    ridge = np.sqrt(model.reg_pu * n) * np.eye(k)
    if not model.biased:
        p, _ = nnls(np.vstack([Q, ridge]), np.concatenate([r, np.zeros(k)]))
        return FoldedInUser(p, 0.0, items)

    reg_b = model.reg_bu if isinstance(model, BiasedNMF) else model.reg_bu * n
    y = r - model.global_mean_ - model.bi_[rows]
    a = (1.0 - np.sqrt(reg_b / (reg_b + n))) / n
    L = np.eye(n) - a  # I - a 1 1^T
    p, _ = nnls(np.vstack([L @ Q, ridge]), np.concatenate([L @ y, np.zeros(k)]))
    bias = float((y - Q @ p).sum() / (reg_b + n))
    return FoldedInUser(p, bias, items)


def fold_in_scores(model: FactorModel, user: FoldedInUser) -> pd.Series:
    """Unclipped scores of every item for a folded-in user, indexed by item id.

    ``mu + b + b_i + p . q_i`` (biased model) or ``p . q_i`` (unbiased), for
    every item of ``model.item_ids_``, the items the user rated included (drop
    ``user.items`` before ranking). Clip to ``model.rating_scale_`` for
    predicted ratings. Used in ``notebooks/12_recommending.ipynb`` and
    ``notebooks/13_nmf_on_your_own_data.ipynb``.

    Returns
    -------
    pd.Series, shape (n_items,)
    """
    if not isinstance(user, FoldedInUser):
        raise TypeError(f"user must be the result of fold_in(model, ratings), got {user!r}")
    if len(user.factors) != model.qi_.shape[1]:
        raise ValueError(
            f"user has {len(user.factors)} factors but the model {model.qi_.shape[1]}: fold the "
            f"user in with this model"
        )
    scores = model.qi_ @ user.factors
    if model.biased:
        scores = scores + model.global_mean_ + user.bias + model.bi_
    return pd.Series(scores, index=pd.Index(model.item_ids_, name="item"), name="score")
