"""What every factor model of the package shares: parameters, ids, input and prediction.

A model predicts ``r̂_ui = p_u . q_i`` (plus ``mu + b_u + b_i`` if ``biased``)
from its fitted ``pu_``, ``qi_``, ``bu_``, ``bi_``, ``global_mean_`` and
``rating_scale_``; subclasses (:class:`nmf_teach.NMF`,
:class:`nmf_teach.biased_nmf.BiasedNMF`) only differ in how they fit them.

The estimator contract is scikit-learn's: every constructor argument is stored
unchanged as an attribute of the same name, so ``get_params``, ``set_params``
and ``sklearn.base.clone`` work (:func:`nmf_teach.model_selection.cross_validate`
clones the model for each fold); what ``fit`` learns ends with ``_``; using a
model before ``fit`` raises :class:`NotFittedError`.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numba import njit, prange
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from ._ratings_index import RatingsIndex, index_ratings
from ._validation import (
    check_rating_scale,
    check_ratings_frame,
    duplicate_pair_error,
    find_columns,
)

__all__ = ["FactorModel", "NotFittedError", "PredictionDetails"]


@dataclass(frozen=True)
class PredictionDetails:
    """One prediction with what it is based on (fields named as in ``surprise.Prediction``).

    ``uid``, ``iid``: the raw ids asked for; ``r_ui``: the true rating if you
    passed it, else None; ``est``: the estimate, clipped to the rating scale;
    ``was_impossible``: true when the model had no factors to use and fell back
    to the global mean (unbiased model, unknown user or item).
    """

    uid: Any
    iid: Any
    r_ui: float | None
    est: float
    was_impossible: bool


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers (int32) in order of first appearance, and the distinct values."""
    rows, uniques = pd.factorize(values, sort=False)
    return rows.astype(np.int32), uniques


class FactorModel(BaseEstimator):
    """Base class: parameters (``get_params``), raw-id maps, ratings input and prediction.

    Fitted attributes every subclass sets: ``pu_`` (n_users, k), ``qi_``
    (n_items, k), ``bu_`` (n_users,), ``bi_`` (n_items,), ``global_mean_``,
    ``rating_scale_``, ``n_ratings_`` (the number of training ratings), and
    through :meth:`_set_ids` ``user_ids_``, ``item_ids_``, ``user_index_``,
    ``item_index_``. Models fitted through :meth:`_index_ratings` (``NMF``,
    ``BiasedNMF``) also set ``item_rating_counts_`` (n_items,), the number of
    training ratings of each item, which ``recommend.top_n(..., min_ratings=...)`` reads.

    A fitted model pickles like any Python object (``pickle.dump(model, file)``)
    and predicts exactly the same after ``pickle.load`` (``tests/test_factor_model.py``;
    ``notebooks/13_nmf_on_your_own_data.ipynb`` saves and loads one).
    """

    biased: bool

    def __repr__(self) -> str:
        """``ClassName(param=value, ...)`` with the parameters that differ from the defaults."""
        defaults = type(self)().get_params(deep=False)
        params = self.get_params(deep=False)
        changed = [
            f"{name}={params[name]!r}"
            for name in inspect.signature(type(self).__init__).parameters  # in __init__'s order
            if name in params and not _same(params[name], defaults.get(name, object()))
        ]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        # Plain text only: notebooks show the one-line repr, not scikit-learn's HTML diagram.
        return {"text/plain": repr(self)}

    @property
    def _repr_html_(self) -> Any:
        raise AttributeError("FactorModel shows as plain text")

    # ------------------------------------------------------------------ input
    def _ratings_from(
        self,
        data: Any,
        rating_scale: tuple[float, float] | None,
        *,
        allow_negative: bool = False,
        columns: Any = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float] | None, np.ndarray | None]:
        """Raw users, items, ratings, scale and (for a trainset) its item order.

        ``data`` is a ratings DataFrame (columns found as
        :func:`nmf_teach._validation.check_ratings_frame` does) or a
        ``surprise.Trainset``, whose rating scale is used if ``rating_scale`` is None.
        """
        if isinstance(data, pd.DataFrame):
            users, items, ratings = check_ratings_frame(
                data, allow_negative=allow_negative, check_duplicates=False, columns=columns
            )
            return users.to_numpy(), items.to_numpy(), ratings, rating_scale, None
        if hasattr(data, "all_ratings") and hasattr(data, "to_raw_uid"):  # a surprise.Trainset
            triples = list(data.all_ratings())
            if not triples:
                raise ValueError("the trainset holds no ratings")
            frame = pd.DataFrame(
                {
                    "user": [data.to_raw_uid(u) for u, _, _ in triples],
                    "item": [data.to_raw_iid(i) for _, i, _ in triples],
                    "rating": [r for _, _, r in triples],
                }
            )
            # all_ratings() yields users in inner-id order, so first appearance
            # gives the trainset's user ids; items need the trainset's own order.
            scale = rating_scale if rating_scale is not None else data.rating_scale
            inner_items = np.array([data.to_raw_iid(i) for i in data.all_items()], dtype=object)
            found = self._ratings_from(frame, tuple(scale), allow_negative=allow_negative)
            return (*found[:4], inner_items)
        raise TypeError(
            "data must be a pandas DataFrame (user, item, rating columns) or a "
            f"surprise.Trainset, got {type(data).__name__}"
        )

    def _index_ratings(
        self,
        data: Any,
        rating_scale: tuple[float, float] | None,
        *,
        allow_negative: bool = False,
        columns: Any = None,
    ) -> tuple[RatingsIndex, np.ndarray]:
        """Read, check and index the ratings; set the ids, ``rating_scale_`` and ``n_ratings_``.

        Users and items get rows in order of first appearance (a trainset keeps
        its own item order), as Surprise assigns inner ids. Returns the ratings
        grouped by user (:func:`nmf_teach._ratings_index.index_ratings`, each
        user's ratings in input order: Surprise's order) and the ratings in input order.
        """
        users, items, ratings, scale, inner_items = self._ratings_from(
            data, rating_scale, allow_negative=allow_negative, columns=columns
        )
        lo, hi = check_rating_scale(ratings, scale)
        user_rows, user_ids = _factorize(users)
        item_rows, item_ids = _factorize(items)
        if inner_items is not None:  # a trainset: keep its inner item ids
            item_ids = inner_items
            item_rows = pd.Index(item_ids).get_indexer(items).astype(np.int32)
        index, repeated = index_ratings(user_rows, item_rows, ratings, len(user_ids), len(item_ids))
        del user_rows, item_rows
        if repeated >= 0:
            raise duplicate_pair_error(pd.Series(users), pd.Series(items), repeated)
        self._set_ids(user_ids, item_ids)
        self.rating_scale_ = (float(lo), float(hi))
        self.n_ratings_ = len(ratings)
        self.item_rating_counts_ = index.item_counts.copy()
        return index, ratings

    def _set_ids(self, user_ids: Any, item_ids: Any) -> None:
        """Store the raw ids: row ``r`` of ``pu_`` is user ``user_ids_[r]`` (same for items)."""
        self.user_ids_ = np.asarray(user_ids, dtype=object)
        self.item_ids_ = np.asarray(item_ids, dtype=object)
        self.user_index_ = {uid: row for row, uid in enumerate(self.user_ids_)}
        self.item_index_ = {iid: row for row, iid in enumerate(self.item_ids_)}
        self.__dict__.pop("_warned_unknown_ids", None)  # a new fit warns afresh
        self._id_lookup()  # build the pd.Index look-ups now, once per fit

    def _id_lookup(self) -> tuple[pd.Index, pd.Index]:
        """``pd.Index`` of the user ids and of the item ids, built once per fit."""
        cache = self.__dict__.get("_id_lookup_cache")
        if cache is None or cache[0] is not self.user_ids_ or cache[1] is not self.item_ids_:
            cache = (
                self.user_ids_,
                self.item_ids_,
                pd.Index(self.user_ids_),
                pd.Index(self.item_ids_),
            )
            self._id_lookup_cache = cache
        return cache[2], cache[3]

    def _check_fitted(self) -> None:
        if not hasattr(self, "pu_"):
            name = type(self).__name__
            raise NotFittedError(f"this {name} is not fitted yet: call fit(ratings) first")

    # ------------------------------------------------------------- predicting
    def predict_details(self, uid: Any, iid: Any, r_ui: float | None = None) -> PredictionDetails:
        """Predict one rating from raw ids, with Surprise's fallbacks and clipping.

        Known user and item: ``p_u . q_i`` (plus ``mu + b_u + b_i`` if biased).
        An unknown user or item has no factors: the unbiased model cannot
        predict and returns the global mean with ``was_impossible=True``; the
        biased model returns ``mu`` plus the biases it knows (``mu + b_i`` for a
        new user, ``mu`` if both are new), as ``surprise.BaselineOnly`` does.
        The estimate is clipped to ``rating_scale_``. Raises ``TypeError`` if
        ``uid`` or ``iid`` is not one id (e.g. a list: use :meth:`predict_frame`).
        """
        self._check_fitted()
        _check_one_id(uid, "uid", "user")
        _check_one_id(iid, "iid", "item")
        u, i = self.user_index_.get(uid), self.item_index_.get(iid)
        impossible = False
        if self.biased:
            est = self.global_mean_
            est += self.bu_[u] if u is not None else 0.0
            est += self.bi_[i] if i is not None else 0.0
            if u is not None and i is not None:
                est += _dot(self.pu_[u], self.qi_[i])
        elif u is not None and i is not None:
            est = _dot(self.pu_[u], self.qi_[i])
        else:
            est, impossible = self.global_mean_, True
        lo, hi = self.rating_scale_
        return PredictionDetails(uid, iid, r_ui, float(max(lo, min(hi, est))), impossible)

    def predict(self, uid: Any, iid: Any, *, strict: bool = False) -> float:
        """Predicted rating of user ``uid`` for item ``iid`` (raw ids), a float.

        ``predict_details(uid, iid).est``: same formula, fallbacks and clipping
        as :meth:`predict_frame`, computed for one pair (a dictionary look-up
        and one dot product), one at a time exactly as Surprise does.

        A user or item the model was not fitted on has no factors, so the
        prediction falls back to the global mean (plus the biases the model
        knows, if biased). That is rarely what a caller meant (a typo, an id of
        the wrong type, a new user): the first time this model meets such an id,
        ``predict`` warns (``UserWarning`` naming the id and the fallback);
        ``strict=True`` raises ``ValueError`` instead.

        Raises
        ------
        TypeError
            If ``uid`` or ``iid`` is not one id (a list or an array: use
            :meth:`predict_frame` for many pairs).
        ValueError
            With ``strict=True``, if ``uid`` or ``iid`` is unknown to the model.
        """
        details = self.predict_details(uid, iid)
        looked_up = (("user", uid, self.user_index_), ("item", iid, self.item_index_))
        unknown = [(kind, raw) for kind, raw, index in looked_up if raw not in index]
        if unknown:
            names = " and ".join(f"{kind} {raw!r}" for kind, raw in unknown)
            fallback = (
                "the global mean plus the biases the model knows"
                if self.biased
                else "the global mean"
            )
            if strict:
                raise ValueError(
                    f"unknown {names}: not in the model's training data, so the model has no "
                    f"factors for it (cold start). Check the id and its type (the model's user "
                    f"ids look like {list(self.user_ids_[:3])!r}, item ids like "
                    f"{list(self.item_ids_[:3])!r}), or drop strict=True to get {fallback}"
                )
            warned = self.__dict__.setdefault("_warned_unknown_ids", set())
            fresh = [pair for pair in unknown if pair not in warned]
            if fresh:
                warned.update(fresh)
                warnings.warn(
                    f"unknown {names}: not in the model's training data, so predict returns "
                    f"{fallback} ({details.est:.3f}); pass strict=True to raise instead "
                    f"(this model warns once per unknown id)",
                    UserWarning,
                    stacklevel=2,
                )
        return details.est

    def predict_frame(
        self, data: pd.DataFrame, *, clip: bool = True, columns: Any = None
    ) -> np.ndarray:
        """Predict every (user, item) row of ``data``; shape ``(len(data),)``.

        The user and item columns are found by name (``columns``, default
        ``("user", "item")``), else they are the first two columns (the rule of
        :func:`nmf_teach._validation.find_columns`); other columns are ignored.

        Known user and item: ``p_u . q_i`` (plus ``mu + b_u + b_i`` if biased).
        An unknown user or item: the unbiased model returns the global mean; the
        biased one returns ``mu`` plus the biases it knows (as Surprise does).
        Unlike :meth:`predict`, this does not warn: a test set routinely holds
        users or items the training set lacks.
        With ``clip=True`` (default) every estimate is clipped to ``rating_scale_``;
        ``clip=False`` returns the model's formula as is (e.g. to average models
        before clipping).
        """
        self._check_fitted()
        if not isinstance(data, pd.DataFrame):
            raise TypeError(
                f"data must be a DataFrame with user and item columns, got {type(data).__name__}"
            )
        if data.shape[1] < 2:
            raise ValueError(
                "data must be a DataFrame with user and item columns (named user, item, or "
                f"its first two columns); it has {list(data.columns)}"
            )
        u_col, i_col = find_columns(data, ("user", "item") if columns is None else columns)
        user_lookup, item_lookup = self._id_lookup()
        u = user_lookup.get_indexer(data.iloc[:, u_col].to_numpy())
        i = item_lookup.get_indexer(data.iloc[:, i_col].to_numpy())
        known_u, known_i = u >= 0, i >= 0
        both = known_u & known_i
        dots = _pair_scores(self.pu_, self.qi_, u[both], i[both])
        est = np.full(len(data), self.global_mean_)
        if self.biased:
            est[known_u] += self.bu_[u[known_u]]
            est[known_i] += self.bi_[i[known_i]]
            est[both] += dots
        else:
            est[both] = dots
        if not clip:
            return est
        lo, hi = self.rating_scale_
        return np.clip(est, lo, hi)


@njit(cache=True)
def _dot(p: np.ndarray, q: np.ndarray) -> float:
    """``p . q``, the factors one by one in order (Surprise's order)."""
    total = 0.0
    for f in range(len(p)):
        total += p[f] * q[f]
    return total


@njit(cache=True, parallel=True)
def _pair_scores(P: np.ndarray, Q: np.ndarray, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """``out[t] = P[users[t]] . Q[items[t]]``, shape ``(len(users),)``, without gathering rows.

    Scoring a million pairs this way needs no ``(n_pairs, k)`` copy of the factors.
    """
    out = np.zeros(len(users))
    for t in prange(len(users)):
        u, i = users[t], items[t]
        total = 0.0
        for f in range(P.shape[1]):
            total += P[u, f] * Q[i, f]
        out[t] = total
    return out


def _check_one_id(value: Any, name: str, kind: str) -> None:
    """Raise ``TypeError`` if ``value`` cannot be one raw id (a list, an array, ...)."""
    if not isinstance(value, Hashable) or isinstance(value, np.ndarray):
        raise TypeError(
            f"{name} must be one {kind} id, got a {type(value).__name__}; to predict many "
            f"(user, item) pairs, put them in a DataFrame and call predict_frame(df)"
        )


def _same(a: Any, b: Any) -> bool:
    """``a == b`` for parameter values, False where ``==`` is not a plain yes or no."""
    try:
        return a is b or bool(a == b)
    except (TypeError, ValueError):
        return False
