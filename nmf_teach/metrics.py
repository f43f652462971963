"""How good are the predictions? Rating-error and top-N ranking metrics.

Two families of metrics, matching the two questions a recommender answers:

* **Rating prediction** -- "how many stars would user *u* give item *i*?" --
  is scored with :func:`rmse` and :func:`mae`. They give exactly the numbers
  ``surprise.accuracy.rmse`` / ``surprise.accuracy.mae`` give on the same
  predictions.
* **Top-N recommendation** -- "which *k* items should we show user *u*?" --
  is scored per user with :func:`precision_at_k`, :func:`recall_at_k` and
  :func:`ndcg_at_k` (binary relevance: an item is relevant or it is not), and
  averaged over users with :func:`ranking_metrics`. :func:`relevant_items`
  builds the "relevant" sets from a held-out ratings table.

RMSE and MAE are explained in ``notebooks/08_movielens_small.ipynb``;
the ranking metrics in ``notebooks/12_recommending.ipynb``.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from ._validation import check_positive_int, check_ratings_frame

__all__ = [
    "rmse",
    "mae",
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "ranking_metrics",
    "relevant_items",
]


# --------------------------------------------------------------------------
# Rating prediction: RMSE and MAE
# --------------------------------------------------------------------------


def _check_pair(y_true: object, y_pred: object) -> tuple[np.ndarray, np.ndarray]:
    """Return ``y_true, y_pred`` as equal-length, finite, 1-D float arrays."""
    arrays = []
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be a sequence of numbers: {exc}") from None
        if array.ndim != 1:
            raise ValueError(
                f"{name} must be 1-D (one rating per prediction), got shape {array.shape}; "
                f"flatten it with np.ravel"
            )
        arrays.append(array)
    true, pred = arrays
    if len(true) != len(pred):
        raise ValueError(
            f"y_true has {len(true)} ratings but y_pred has {len(pred)} predictions; "
            f"pass one prediction per true rating, in the same order"
        )
    if len(true) == 0:
        raise ValueError("no predictions to score: y_true and y_pred are empty")
    for name, array in (("y_true", true), ("y_pred", pred)):
        if not np.isfinite(array).all():
            row = int(np.flatnonzero(~np.isfinite(array))[0])
            raise ValueError(
                f"{name} contains NaN or inf (first at position {row}); "
                f"drop those rows or fix the model that produced them"
            )
    return true, pred


def rmse(y_true: Sequence[float] | np.ndarray, y_pred: Sequence[float] | np.ndarray) -> float:
    r"""Root mean squared error between true and predicted ratings.

    .. math:: \mathrm{RMSE} = \sqrt{\tfrac{1}{n} \textstyle\sum_j (r_j - \hat r_j)^2}

    Same value as ``surprise.accuracy.rmse`` on the same predictions. Explained in
    ``notebooks/08_movielens_small.ipynb``.

    Parameters
    ----------
    y_true : array-like, shape (n,)
        Observed ratings.
    y_pred : array-like, shape (n,)
        Predicted ratings, in the same order.

    Returns
    -------
    float
        The RMSE, in rating units (e.g. stars).

    Raises
    ------
    ValueError
        If the inputs are empty, of different lengths, not 1-D, or contain NaN/inf.


    Examples
    --------
    >>> rmse([4, 3, 5], [3.5, 3, 4])
    0.6454972243679028
    """
    true, pred = _check_pair(y_true, y_pred)
    return float(np.sqrt(np.mean((true - pred) ** 2)))


def mae(y_true: Sequence[float] | np.ndarray, y_pred: Sequence[float] | np.ndarray) -> float:
    r"""Mean absolute error between true and predicted ratings.

    .. math:: \mathrm{MAE} = \tfrac{1}{n} \textstyle\sum_j |r_j - \hat r_j|

    Same value as ``surprise.accuracy.mae`` on the same predictions. Explained in
    ``notebooks/08_movielens_small.ipynb``.

    Parameters
    ----------
    y_true : array-like, shape (n,)
        Observed ratings.
    y_pred : array-like, shape (n,)
        Predicted ratings, in the same order.

    Returns
    -------
    float
        The MAE, in rating units (e.g. stars).

    Raises
    ------
    ValueError
        If the inputs are empty, of different lengths, not 1-D, or contain NaN/inf.


    Examples
    --------
    >>> mae([4, 3, 5], [3.5, 3, 4])
    0.5
    """
    true, pred = _check_pair(y_true, y_pred)
    return float(np.mean(np.abs(true - pred)))


# --------------------------------------------------------------------------
# Top-N recommendation: precision, recall, nDCG at k (one user)
# --------------------------------------------------------------------------


def _hits_at_k(
    recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int
) -> np.ndarray:
    """Boolean array, shape (min(k, len(recommended)),): is the item at rank r relevant?"""
    k = check_positive_int(k, "k")
    if isinstance(recommended, (str, bytes)):
        raise TypeError(
            "recommended must be a list of item ids, not a single string; "
            "wrap one id in a list: [item]"
        )
    top = list(recommended)[:k]
    if len(set(top)) != len(top):
        duplicate = next(item for position, item in enumerate(top) if item in top[:position])
        raise ValueError(
            f"recommended lists item {duplicate!r} twice; a top-N list must not repeat "
            f"items (drop duplicates, keeping the first)"
        )
    relevant = set(relevant)
    return np.array([item in relevant for item in top], dtype=bool)


def _n_relevant(relevant: Collection[Hashable]) -> int:
    """Number of distinct relevant items; raise if there are none."""
    n = len(set(relevant))
    if n == 0:
        raise ValueError(
            "this user has no relevant items, so recall and nDCG are undefined "
            "(0/0); skip this user (ranking_metrics does so automatically)"
        )
    return n


def precision_at_k(
    recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int
) -> float:
    """Fraction of the first ``k`` recommendations that are relevant.

    Always divides by ``k``, even when fewer than ``k`` items were recommended
    (missing slots count as misses), so lists of different lengths compare fairly.

    Parameters
    ----------
    recommended : sequence of item ids, length m
        Ranked recommendations for one user, best first. Must not repeat items.
    relevant : collection of item ids
        The items that are relevant for this user (e.g. rated >= 4 in the test set).
        May be empty (then the precision is 0).
    k : int >= 1
        Cut-off: only the first ``k`` recommendations count.

    Returns
    -------
    float in [0, 1]

    Used in ``notebooks/12_recommending.ipynb``.

    Examples
    --------
    >>> precision_at_k(["a", "b", "c", "d"], {"a", "d", "z"}, k=2)
    0.5
    """
    hits = _hits_at_k(recommended, relevant, k)
    return float(hits.sum() / k)


def recall_at_k(recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """Fraction of the relevant items found among the first ``k`` recommendations.

    Used in ``notebooks/12_recommending.ipynb``.

    Parameters
    ----------
    recommended : sequence of item ids, length m
        Ranked recommendations for one user, best first. Must not repeat items.
    relevant : collection of item ids, non-empty
        The items that are relevant for this user.
    k : int >= 1
        Cut-off: only the first ``k`` recommendations count.

    Returns
    -------
    float in [0, 1]
        Note that it cannot reach 1 when ``len(relevant) > k``.

    Raises
    ------
    ValueError
        If ``relevant`` is empty: recall is 0/0 there, so skip such users.

    Examples
    --------
    >>> recall_at_k(["a", "b", "c", "d"], {"a", "d", "z"}, k=2)
    0.3333333333333333
    """
    n_relevant = _n_relevant(relevant)
    hits = _hits_at_k(recommended, relevant, k)
    return float(hits.sum() / n_relevant)


def ndcg_at_k(recommended: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    r"""Normalised discounted cumulative gain of the first ``k`` recommendations.

    Used in ``notebooks/12_recommending.ipynb``.

    With binary relevance :math:`rel_r \in \{0, 1\}` at rank :math:`r = 1, 2, \dots`:

    .. math::
        \mathrm{DCG@k} = \sum_{r=1}^{k} \frac{rel_r}{\log_2(r + 1)}, \qquad
        \mathrm{nDCG@k} = \frac{\mathrm{DCG@k}}{\mathrm{IDCG@k}},

    where the ideal :math:`\mathrm{IDCG@k} = \sum_{r=1}^{\min(k, |relevant|)} 1/\log_2(r+1)`
    is the DCG of a list that puts all relevant items first. A hit at rank 1
    counts fully, a hit at rank 3 counts half.

    Parameters
    ----------
    recommended : sequence of item ids, length m
        Ranked recommendations for one user, best first. Must not repeat items.
    relevant : collection of item ids, non-empty
        The items that are relevant for this user.
    k : int >= 1
        Cut-off: only the first ``k`` recommendations count.

    Returns
    -------
    float in [0, 1]
        1 exactly when the first ``min(k, |relevant|)`` recommendations are all relevant.

    Raises
    ------
    ValueError
        If ``relevant`` is empty: the ideal DCG is 0, so skip such users.

    Examples
    --------
    >>> round(ndcg_at_k(["x", "a"], {"a"}, k=2), 4)  # hit at rank 2: 1/log2(3)
    0.6309
    """
    n_relevant = _n_relevant(relevant)
    hits = _hits_at_k(recommended, relevant, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))  # rank r=1..k  ->  1/log2(r+1)
    dcg = float(discounts[: len(hits)][hits].sum())
    ideal = float(discounts[: min(k, n_relevant)].sum())
    return min(dcg / ideal, 1.0)  # min() only guards against round-off above 1


# --------------------------------------------------------------------------
# Averaging over users
# --------------------------------------------------------------------------


def ranking_metrics(
    recommendations: Mapping[Hashable, Sequence[Hashable]],
    relevant: Mapping[Hashable, Collection[Hashable]],
    k: int,
    *,
    per_user: bool = False,
) -> pd.DataFrame:
    """Precision@k, recall@k and nDCG@k averaged over users.

    Used in ``notebooks/12_recommending.ipynb``.

    A user is scored if they appear in ``recommendations`` **and** have at least
    one relevant item in ``relevant``; the other users are skipped, because
    recall and nDCG are undefined (0/0) without relevant items. The number of
    users scored is reported in column ``n_users``.

    Parameters
    ----------
    recommendations : dict user -> list of item ids
        Ranked top-N list per user, best first (e.g. from ``top_n_all``).
    relevant : dict user -> set of item ids
        Relevant items per user (e.g. from :func:`relevant_items` on the test set).
    k : int >= 1
        Cut-off.
    per_user : bool, default False
        Return one row per scored user instead of the average.

    Returns
    -------
    pd.DataFrame
        If ``per_user`` is false: one row (index ``[k]``, named ``"k"``) with columns
        ``precision``, ``recall``, ``ndcg`` (means over scored users) and
        ``n_users``. Handy to stack models with ``pd.concat({...})``.
        If ``per_user`` is true: shape (n_users, 3), indexed by user, columns
        ``precision``, ``recall``, ``ndcg``.

    Raises
    ------
    ValueError
        If no user has both recommendations and a relevant item.
    """
    k = check_positive_int(k, "k")
    if not isinstance(recommendations, Mapping) or not isinstance(relevant, Mapping):
        raise TypeError(
            "recommendations and relevant must be dicts keyed by user id "
            "(user -> list of items, user -> set of items)"
        )
    users = [u for u in recommendations if len(set(relevant.get(u, ()))) > 0]
    if not users:
        raise ValueError(
            f"no user in recommendations ({len(recommendations)} users) has a relevant item "
            f"in relevant ({len(relevant)} users); check that both use the same user ids "
            f"and that the relevance threshold is not too strict"
        )
    rows = {
        "precision": [precision_at_k(recommendations[u], relevant[u], k) for u in users],
        "recall": [recall_at_k(recommendations[u], relevant[u], k) for u in users],
        "ndcg": [ndcg_at_k(recommendations[u], relevant[u], k) for u in users],
    }
    table = pd.DataFrame(rows, index=pd.Index(users, name="user"))
    if per_user:
        return table
    summary = table.mean().to_frame().T
    summary["n_users"] = len(users)
    summary.index = pd.Index([k], name="k")
    return summary


def relevant_items(ratings: pd.DataFrame, *, threshold: float) -> dict[Hashable, set]:
    """Relevant items per user: those the user rated ``>= threshold``.

    Used in ``notebooks/12_recommending.ipynb``.

    Parameters
    ----------
    ratings : pd.DataFrame, shape (n_ratings, >= 3)
        Long-form ratings, columns (user, item, rating) first -- usually the test set.
    threshold : float
        Minimum rating for an item to count as relevant (e.g. 4.0 on a 0.5-5 scale).

    Returns
    -------
    dict user -> set of item ids
        Only users with at least one relevant item appear.
    """
    users, items, values = check_ratings_frame(ratings, allow_negative=True)
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold}")
    keep = values >= threshold
    liked = pd.DataFrame({"user": users.to_numpy()[keep], "item": items.to_numpy()[keep]})
    return {user: set(group) for user, group in liked.groupby("user", sort=False)["item"]}
