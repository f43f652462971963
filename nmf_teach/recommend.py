"""From predicted ratings to recommendations: top-N lists, a popularity baseline, coverage.

A rating model predicts a score for every (user, item) pair; to *recommend*, we
score all the items a user has not rated yet and keep the ``n`` best
(:func:`top_n` for one user, :func:`top_n_all` for many). The ranking uses the
model's **unclipped** score: clipped to the rating scale, every item predicted
at the top of the scale or above would tie (on MovieLens, user 1 of notebook 12
has hundreds of unseen movies predicted at 5 stars or more), and the list would
be decided by the order of the candidates. ``min_ratings`` leaves out items
with few training ratings, whose scores rest on little data. Users the model never
saw (cold start) have no factors, so they get an error pointing to the
non-personalised baseline :func:`popularity_top_n`. :func:`catalogue_coverage`
measures how much of the catalogue the recommendations use at all.

The model needs ``user_ids_`` and ``item_ids_`` (arrays of the raw ids it was
fitted on) and ``predict_frame(df) -> np.ndarray`` scoring the (user, item)
pairs in the first two columns of ``df`` -- e.g. a fitted ``nmf_teach.NMF``.
If ``predict_frame`` takes ``clip`` (every ``nmf_teach`` model does), it is
called with ``clip=False``; ``min_ratings`` needs ``item_rating_counts_``
(set by ``NMF`` and ``BiasedNMF``).

Used in ``notebooks/12_recommending.ipynb``.
"""

from __future__ import annotations

import inspect
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._validation import check_positive_int, check_ratings_frame, find_columns

__all__ = [
    "top_n",
    "top_n_all",
    "popularity_top_n",
    "item_cosine_top_n",
    "top_n_from_scores",
    "catalogue_coverage",
]

# top_n_all scores users in blocks of about this many (user, item) pairs,
# so that memory stays bounded (~8 MB of scores) on any catalogue size.
_MAX_PAIRS_PER_BATCH = 1_000_000


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------


def _user_list(users: Iterable[Hashable]) -> list:
    """``users`` as a list without repeats (first occurrence kept); raise if empty."""
    if isinstance(users, (str, bytes)) or not isinstance(users, Iterable):
        raise TypeError(f"users must be a list of user ids, got {users!r}; wrap one id: [user]")
    unique = list(dict.fromkeys(users))
    if not unique:
        raise ValueError("users is empty: pass at least one user id")
    return unique


def _check_known_users(model: Any, users: list) -> None:
    """Raise a cold-start error if some users were not in the model's training data."""
    known = getattr(model, "user_ids_", None)
    if known is None:
        raise TypeError(
            "model has no user_ids_: fit it first (recommending needs a fitted model "
            "with user_ids_, item_ids_ and predict_frame)"
        )
    unknown = [u for u, ok in zip(users, pd.Index(users).isin(known), strict=True) if not ok]
    if unknown:
        raise ValueError(
            f"unknown user(s) {unknown[:5]!r}{' ...' if len(unknown) > 5 else ''}: not in the "
            f"model's training data, so the model has no factors for them (cold start). "
            f"Recommend popular items instead with popularity_top_n(train, users), or check "
            f"the id type (the model's user ids look like {list(np.asarray(known)[:3])!r})"
        )


def _one_user(user: Any) -> Hashable:
    """``user`` if it can be one user id; ``TypeError`` for a list, an array, ..."""
    if not isinstance(user, Hashable) or isinstance(user, np.ndarray):
        raise TypeError(
            f"user must be one user id, got a {type(user).__name__}; for several users "
            f"call top_n_all(model, users)"
        )
    return user


def _candidate_items(
    model: Any, items: Iterable[Hashable] | None, min_ratings: int | None = None
) -> np.ndarray:
    """The items to score: ``items`` if given (checked), else ``model.item_ids_``.

    With ``min_ratings``, only those with at least that many training ratings
    (``model.item_rating_counts_``) are kept.
    """
    known = getattr(model, "item_ids_", None)
    if known is None:
        raise TypeError("model has no item_ids_: fit it first")
    if items is None:
        candidates = np.asarray(known)
    else:
        if isinstance(items, (str, bytes)):
            raise TypeError("items must be a list of item ids, not a single string")
        index = pd.Index(list(items))
        if len(index) == 0:
            raise ValueError("items is empty: pass at least one candidate item, or None for all")
        if index.has_duplicates:
            raise ValueError(
                f"items repeats {index[index.duplicated()][0]!r}; pass each "
                f"candidate once (e.g. pd.unique(items))"
            )
        unknown = index[~index.isin(known)]
        if len(unknown):
            raise ValueError(
                f"unknown item(s) {list(unknown[:5])!r}: the model was not fitted on them, so "
                f"it cannot score them; restrict items to model.item_ids_"
            )
        candidates = index.to_numpy()
    if min_ratings is None:
        return candidates
    min_ratings = check_positive_int(min_ratings, "min_ratings")
    counts = getattr(model, "item_rating_counts_", None)
    if counts is None:
        raise TypeError(
            f"{type(model).__name__} has no item_rating_counts_ (the number of training "
            f"ratings of each item), so min_ratings cannot be applied; choose the "
            f"candidates yourself and pass them as items=..."
        )
    rows = pd.Index(np.asarray(known)).get_indexer(candidates)
    kept = candidates[np.asarray(counts)[rows] >= min_ratings]
    if len(kept) == 0:
        raise ValueError(
            f"no candidate item has at least min_ratings={min_ratings} training ratings "
            f"(the most any has is {int(np.asarray(counts)[rows].max())}); lower min_ratings"
        )
    return kept


def _seen_frame(seen: pd.DataFrame | None) -> pd.DataFrame | None:
    """Check ``seen`` and return its user and item columns as ``user``, ``item``.

    The columns are found by name (``user``, ``item``), else they are the first
    two (the rule of :func:`nmf_teach._validation.find_columns`).
    """
    if seen is None:
        return None
    if not isinstance(seen, pd.DataFrame) or seen.shape[1] < 2:
        raise TypeError(
            "seen must be a ratings DataFrame with user and item columns (named user and "
            "item, or its first two), e.g. the training set, or None"
        )
    u_col, i_col = find_columns(seen, ("user", "item"))
    return pd.DataFrame(
        {"user": seen.iloc[:, u_col].to_numpy(), "item": seen.iloc[:, i_col].to_numpy()}
    )


# --------------------------------------------------------------------------
# Scoring and ranking (shared by top_n and top_n_all)
# --------------------------------------------------------------------------


def _takes_clip(model: Any) -> bool:
    """True if ``model.predict_frame`` has a ``clip`` parameter (every nmf_teach model)."""
    try:
        return "clip" in inspect.signature(model.predict_frame).parameters
    except (TypeError, ValueError):  # no signature to read
        return False


def _score_block(model: Any, users: list, items: np.ndarray) -> np.ndarray:
    """Unclipped scores, shape (len(users), len(items)), from one ``predict_frame`` call.

    ``predict_frame(pairs, clip=False)`` if the model takes ``clip``, else
    ``predict_frame(pairs)``.
    """
    pairs = pd.DataFrame(
        {
            "user": pd.Index(users).repeat(len(items)).to_numpy(),
            "item": np.tile(items, len(users)),
        }
    )
    options = {"clip": False} if _takes_clip(model) else {}
    scores = np.asarray(model.predict_frame(pairs, **options), dtype=np.float64)
    if scores.shape != (len(pairs),):
        raise ValueError(
            f"model.predict_frame returned shape {scores.shape} for {len(pairs)} pairs; "
            f"it must return one score per row"
        )
    if not np.isfinite(scores).all():
        raise ValueError("model.predict_frame returned NaN or inf scores; check the fitted model")
    return scores.reshape(len(users), len(items))


def _seen_mask(users: list, items: np.ndarray, seen: pd.DataFrame | None) -> np.ndarray:
    """Boolean, shape (len(users), len(items)): True where the user already rated the item."""
    mask = np.zeros((len(users), len(items)), dtype=bool)
    if seen is not None:
        rows = pd.Index(users).get_indexer(seen["user"])
        cols = pd.Index(items).get_indexer(seen["item"])
        found = (rows >= 0) & (cols >= 0)
        mask[rows[found], cols[found]] = True
    return mask


def _rank(scores: np.ndarray, excluded: np.ndarray, n: int) -> list[np.ndarray]:
    """For each row, the column positions of the ``n`` best non-excluded scores.

    Parameters
    ----------
    scores, excluded : np.ndarray, shape (n_users, n_items)

    Returns
    -------
    list of n_users int arrays, each of length <= n, best first; equal scores
    keep the candidate order (stable sort), so the result is deterministic.
    """
    order = np.argsort(-scores, axis=1, kind="stable")
    return [row[~skip[row]][:n] for row, skip in zip(order, excluded, strict=True)]


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def top_n(
    model: Any,
    user: Hashable,
    n: int = 10,
    *,
    seen: pd.DataFrame | None = None,
    items: Iterable[Hashable] | None = None,
    min_ratings: int | None = None,
) -> pd.DataFrame:
    """The ``n`` items with the highest unclipped score for one user.

    Used in ``notebooks/12_recommending.ipynb`` and
    ``notebooks/13_nmf_on_your_own_data.ipynb``.

    Items are ranked by the model's **unclipped** score, ``predict_frame(pairs,
    clip=False)``: for ``nmf_teach.NMF`` that is ``p_u . q_i`` (plus
    ``mu + b_u + b_i`` if biased), which can exceed the top of the rating scale.
    Clipped scores would tie at the top of the scale, and the list would be
    decided by the order of the candidates, not by the model.

    Parameters
    ----------
    model : fitted model
        Has ``user_ids_``, ``item_ids_`` and ``predict_frame(df) -> np.ndarray``
        (called with ``clip=False`` if it takes ``clip``).
    user : hashable
        One raw user id, as in the training data.
    n : int >= 1, default 10
        Length of the list (shorter if fewer candidates remain).
    seen : pd.DataFrame or None
        Ratings whose first two columns are (user, item), usually the training set;
        the items ``user`` rated there are not recommended again.
    items : sequence of item ids or None
        Candidate items (default: all of ``model.item_ids_``).
    min_ratings : int >= 1 or None, default None
        Only candidates with at least this many training ratings
        (``model.item_rating_counts_``) are recommended. Scores of items rated
        by one or two users rest on almost no data, and they are often the
        highest (notebook 12).

    Returns
    -------
    pd.DataFrame, shape (<= n, 3)
        Best first (index 0, 1, ...), columns ``item``; ``score``, the unclipped
        score the list is ranked by; and ``predicted_rating``, that score clipped
        to ``model.rating_scale_`` (what ``model.predict(user, item)`` returns;
        equal to ``score`` if the model has no ``rating_scale_``). Equal scores
        keep the order of the candidate items.

    Raises
    ------
    TypeError
        If ``user`` is not one id (a list: use :func:`top_n_all`), or
        ``min_ratings`` is given for a model without ``item_rating_counts_``.
    ValueError
        If ``user`` is unknown to the model (cold start: use
        :func:`popularity_top_n`, or fold the user in with
        :func:`nmf_teach.fold_in.fold_in`), ``n < 1``, ``items`` is empty,
        repeats an item or contains items unknown to the model, or no candidate
        has ``min_ratings`` ratings.
    """
    n = check_positive_int(n, "n")
    users = [_one_user(user)]
    _check_known_users(model, users)
    candidates = _candidate_items(model, items, min_ratings)
    scores = _score_block(model, users, candidates)
    best = _rank(scores, _seen_mask(users, candidates, _seen_frame(seen)), n)[0]
    score = scores[0, best]
    lo, hi = getattr(model, "rating_scale_", (-np.inf, np.inf))
    return pd.DataFrame(
        {"item": candidates[best], "score": score, "predicted_rating": np.clip(score, lo, hi)}
    )


def top_n_all(
    model: Any,
    users: Iterable[Hashable],
    n: int = 10,
    *,
    seen: pd.DataFrame | None = None,
    items: Iterable[Hashable] | None = None,
    min_ratings: int | None = None,
) -> dict[Hashable, list]:
    """Top-``n`` item lists for many users at once (same lists as :func:`top_n`).

    Used in ``notebooks/12_recommending.ipynb`` and
    ``notebooks/15_implicit_feedback.ipynb``.

    Scores whole blocks of users with one ``predict_frame(..., clip=False)``
    call each (about a million (user, item) pairs per block), then ranks each
    row by the unclipped score, as :func:`top_n` does.

    Parameters
    ----------
    model : fitted model
        Has ``user_ids_``, ``item_ids_`` and ``predict_frame(df) -> np.ndarray``.
    users : iterable of user ids
        Users to recommend for (repeats are ignored). All must be known to the model.
    n : int >= 1, default 10
        Length of each list.
    seen : pd.DataFrame or None
        Ratings (user, item first) whose items are excluded for their user.
    items : sequence of item ids or None
        Candidate items (default: all of ``model.item_ids_``).
    min_ratings : int >= 1 or None, default None
        Only candidates with at least this many training ratings are recommended.

    Returns
    -------
    dict user -> list of item ids
        Best first; the input to ``metrics.ranking_metrics`` and
        :func:`catalogue_coverage`.

    Raises
    ------
    ValueError
        As :func:`top_n`; the message lists the unknown (cold-start) users.
    """
    n = check_positive_int(n, "n")
    users = _user_list(users)
    _check_known_users(model, users)
    candidates = _candidate_items(model, items, min_ratings)
    seen = _seen_frame(seen)
    users_per_batch = max(1, _MAX_PAIRS_PER_BATCH // len(candidates))
    recommendations: dict[Hashable, list] = {}
    for start in range(0, len(users), users_per_batch):
        batch = users[start : start + users_per_batch]
        scores = _score_block(model, batch, candidates)
        for user, best in zip(
            batch, _rank(scores, _seen_mask(batch, candidates, seen), n), strict=True
        ):
            recommendations[user] = candidates[best].tolist()
    return recommendations


def popularity_top_n(
    train: pd.DataFrame, users: Iterable[Hashable], n: int = 10, *, min_ratings: int = 1
) -> dict[Hashable, list]:
    """Non-personalised baseline: recommend the most-rated items the user has not rated.

    Used in ``notebooks/12_recommending.ipynb``.

    Items are ranked by number of ratings in ``train`` (most first); ties go to the
    higher mean rating, then to the smaller item id. Works for any user, including
    users absent from ``train`` (cold start: they get the overall top ``n``).

    Parameters
    ----------
    train : pd.DataFrame, shape (n_ratings, >= 3)
        Training ratings, columns (user, item, rating) first.
    users : iterable of user ids
        Users to recommend for (repeats are ignored).
    n : int >= 1, default 10
        Length of each list.
    min_ratings : int >= 1, default 1
        Only items with at least this many ratings can be recommended.

    Returns
    -------
    dict user -> list of item ids
        Best first; shorter than ``n`` only if the user rated nearly everything.

    Raises
    ------
    ValueError
        For invalid ratings, empty ``users``, ``n < 1``, or when no item has
        ``min_ratings`` ratings.
    """
    rated_by, rated_items, ratings = check_ratings_frame(train, allow_negative=True)
    n = check_positive_int(n, "n")
    min_ratings = check_positive_int(min_ratings, "min_ratings")
    users = _user_list(users)

    stats = (
        pd.DataFrame({"item": rated_items.to_numpy(), "rating": ratings})
        .groupby("item")["rating"]
        .agg(count="size", mean="mean")
        .reset_index()
    )
    stats = stats[stats["count"] >= min_ratings]
    if stats.empty:
        raise ValueError(
            f"no item has at least min_ratings={min_ratings} ratings; lower min_ratings"
        )
    ranked = stats.sort_values(
        ["count", "mean", "item"], ascending=[False, False, True], kind="stable"
    )["item"].tolist()

    seen_by_user = (
        pd.DataFrame({"user": rated_by.to_numpy(), "item": rated_items.to_numpy()})
        .groupby("user")["item"]
        .agg(set)
        .to_dict()
    )
    recommendations = {}
    for user in users:
        seen = seen_by_user.get(user, set())
        # at most len(seen) of the first n + len(seen) items are skipped
        head = ranked[: n + len(seen)]
        recommendations[user] = [item for item in head if item not in seen][:n]
    return recommendations


def catalogue_coverage(
    recommendations: Mapping[Hashable, Sequence[Hashable]], n_items: int
) -> float:
    """Fraction of the catalogue that appears in at least one recommendation list.

    Used in ``notebooks/12_recommending.ipynb``.

    A popularity baseline recommends the same few items to everyone (low
    coverage); a personalised model should spread over more of the catalogue.

    Parameters
    ----------
    recommendations : dict user -> list of item ids
        E.g. from :func:`top_n_all` or :func:`popularity_top_n`.
    n_items : int >= 1
        Size of the catalogue (e.g. number of items in the training set).

    Returns
    -------
    float in [0, 1]
        ``len(distinct recommended items) / n_items``.

    Raises
    ------
    ValueError
        If ``recommendations`` is empty, or it holds more distinct items than
        ``n_items`` (then ``n_items`` is not the catalogue size).
    """
    n_items = check_positive_int(n_items, "n_items")
    if not isinstance(recommendations, Mapping):
        raise TypeError("recommendations must be a dict user -> list of item ids")
    if not recommendations:
        raise ValueError("recommendations is empty: there is nothing to measure coverage of")
    distinct = set().union(*(set(items) for items in recommendations.values()))
    if len(distinct) > n_items:
        raise ValueError(
            f"the recommendations use {len(distinct)} distinct items but n_items={n_items}; "
            f"n_items must be the catalogue size (e.g. train['item'].nunique())"
        )
    return len(distinct) / n_items


def item_cosine_top_n(
    train: pd.DataFrame, users: Iterable[Hashable], n: int = 10
) -> dict[Hashable, list]:
    """Item-item cosine baseline: recommend the unseen items most similar to the user's items.

    Used in ``notebooks/15_implicit_feedback.ipynb``.

    Every rating counts as an interaction (stars are ignored). With ``X`` the 0/1
    user-by-item matrix of ``train`` and ``n_i`` the number of users of item
    ``i``, the similarity of items ``j`` and ``i`` is the cosine of their columns,
    ``s_ji = (x_j . x_i) / sqrt(n_j n_i)``, and user ``u`` scores item ``i`` by
    ``sum_{j rated by u} s_ji`` (Sarwar et al., 2001; Deshpande & Karypis, 2004).
    Computed as ``(X D^-1/2 X^T) X D^-1/2`` for blocks of users, so no
    item-by-item matrix is built.

    Parameters
    ----------
    train : pd.DataFrame, shape (n_ratings, >= 3)
        Training ratings, columns (user, item, rating) first.
    users : iterable of user ids
        Users to recommend for (repeats are ignored); all must be in ``train``.
    n : int >= 1, default 10
        Length of each list.

    Returns
    -------
    dict user -> list of item ids
        Best first; items the user rated in ``train`` are left out; equal scores
        go to the item that comes first in ``train``'s order of first appearance.

    Raises
    ------
    ValueError
        For invalid ratings, empty ``users``, ``n < 1``, or users absent from
        ``train`` (cold start: use :func:`popularity_top_n`).
    """
    from scipy import sparse

    rated_by, rated_items, _ = check_ratings_frame(train, allow_negative=True)
    n = check_positive_int(n, "n")
    users = _user_list(users)
    u_codes, u_ids = pd.factorize(rated_by)
    i_codes, i_ids = pd.factorize(rated_items)
    rows = pd.Index(u_ids).get_indexer(users)
    if (rows < 0).any():
        unknown = [u for u, r in zip(users, rows, strict=True) if r < 0]
        raise ValueError(
            f"unknown user(s) {unknown[:5]!r}: they have no ratings in train, so there is "
            f"nothing to be similar to (cold start); use popularity_top_n(train, users)"
        )
    X = sparse.csr_matrix(
        (np.ones(len(u_codes)), (u_codes, i_codes)), shape=(len(u_ids), len(i_ids))
    )
    scale = sparse.diags(1.0 / np.sqrt(np.asarray(X.sum(axis=0)).ravel()))
    X_scaled = (X @ scale).tocsr()
    per_batch = max(1, _MAX_PAIRS_PER_BATCH // len(i_ids))
    recommendations: dict[Hashable, list] = {}
    for start in range(0, len(users), per_batch):
        batch = rows[start : start + per_batch]
        overlap = (X_scaled[batch] @ X.T).toarray()  # (batch, n_users)
        scores = np.asarray(overlap @ X_scaled)  # (batch, n_items)
        seen = X[batch].toarray() > 0
        for user, best in zip(
            users[start : start + per_batch], _rank(scores, seen, n), strict=True
        ):
            recommendations[user] = i_ids[best].tolist()
    return recommendations


def top_n_from_scores(
    scores: np.ndarray,
    users: Sequence[Hashable],
    items: Sequence[Hashable],
    n: int = 10,
    seen: pd.DataFrame | None = None,
) -> dict[Hashable, list]:
    """Top-``n`` lists from a dense score matrix (row = user, column = item).

    Used in ``notebooks/15_implicit_feedback.ipynb`` for models outside the
    package (scikit-learn's ``NMF``, EASE), whose scores are a matrix rather
    than a ``predict_frame``. Ranks exactly as :func:`top_n_all` does (stable
    sort, seen items left out).

    Parameters
    ----------
    scores : np.ndarray, shape (len(users), len(items))
        Finite scores, higher is better.
    users, items : sequences of ids
        The row and column ids of ``scores`` (no repeats).
    n : int >= 1, default 10
        Length of each list.
    seen : pd.DataFrame or None
        Ratings (user, item first) whose items are excluded for their user.

    Returns
    -------
    dict user -> list of item ids, best first.
    """
    n = check_positive_int(n, "n")
    users = list(users)
    items = np.asarray(list(items))
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (len(users), len(items)):
        raise ValueError(
            f"scores has shape {scores.shape} but there are {len(users)} users and "
            f"{len(items)} items; pass one row per user and one column per item"
        )
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or inf; check the model that produced them")
    if len(set(users)) != len(users) or len(set(items.tolist())) != len(items):
        raise ValueError("users and items must not repeat: one row / column per id")
    best = _rank(scores, _seen_mask(users, items, _seen_frame(seen)), n)
    return {user: items[b].tolist() for user, b in zip(users, best, strict=True)}
