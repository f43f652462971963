"""What every fitted factor model of the package shares: ids, repr and prediction.

A model predicts ``r̂_ui = p_u . q_i`` (plus ``mu + b_u + b_i`` if ``biased``)
from its fitted ``pu_``, ``qi_``, ``bu_``, ``bi_``, ``global_mean_`` and
``rating_scale_``; subclasses (:class:`nmf_teach.NMF`,
:class:`nmf_teach.biased_nmf.BiasedNMF`) only differ in how they fit them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class FactorModel:
    """Base class: raw-id maps, a short repr, and vectorized prediction."""

    biased: bool

    def __repr__(self) -> str:
        defaults = type(self)()
        changed = [
            f"{name}={value!r}"
            for name, value in vars(self).items()
            if not name.endswith("_") and value != getattr(defaults, name, object())
        ]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _set_ids(self, user_ids: Any, item_ids: Any) -> None:
        """Store the raw ids: row ``r`` of ``pu_`` is user ``user_ids_[r]`` (same for items)."""
        self.user_ids_ = np.asarray(user_ids, dtype=object)
        self.item_ids_ = np.asarray(item_ids, dtype=object)
        self.user_index_ = {uid: row for row, uid in enumerate(self.user_ids_)}
        self.item_index_ = {iid: row for row, iid in enumerate(self.item_ids_)}

    def _check_fitted(self) -> None:
        if not hasattr(self, "pu_"):
            name = type(self).__name__
            raise ValueError(f"this {name} is not fitted yet: call fit(ratings) first")

    def predict(self, uid: Any, iid: Any) -> float:
        """Predicted rating of user ``uid`` for item ``iid`` (raw ids), a float.

        The one-pair form of :meth:`predict_frame` (same fallbacks and clipping),
        computed directly: a dictionary look-up and one dot product.
        """
        self._check_fitted()
        u, i = self.user_index_.get(uid), self.item_index_.get(iid)
        if self.biased:
            est = self.global_mean_
            est += self.bu_[u] if u is not None else 0.0
            est += self.bi_[i] if i is not None else 0.0
            if u is not None and i is not None:
                est += float(np.dot(self.qi_[i], self.pu_[u]))
        elif u is not None and i is not None:
            est = float(np.dot(self.qi_[i], self.pu_[u]))
        else:
            est = self.global_mean_
        lo, hi = self.rating_scale_
        return float(max(lo, min(hi, est)))

    def predict_frame(self, data: pd.DataFrame) -> np.ndarray:
        """Predict every row of ``data`` (user, item first); shape ``(len(data),)``.

        Known user and item: ``p_u . q_i`` (plus ``mu + b_u + b_i`` if biased).
        An unknown user or item: the unbiased model returns the global mean; the
        biased one returns ``mu`` plus the biases it knows (as Surprise does).
        Every estimate is clipped to ``rating_scale_``.
        """
        self._check_fitted()
        if not isinstance(data, pd.DataFrame) or data.shape[1] < 2:
            raise ValueError("data must be a DataFrame whose first two columns are user, item")
        u = pd.Index(self.user_ids_).get_indexer(data.iloc[:, 0].to_numpy())
        i = pd.Index(self.item_ids_).get_indexer(data.iloc[:, 1].to_numpy())
        known_u, known_i = u >= 0, i >= 0
        both = known_u & known_i
        dots = np.einsum("rf,rf->r", self.pu_[u[both]], self.qi_[i[both]])
        est = np.full(len(data), self.global_mean_)
        if self.biased:
            est[known_u] += self.bu_[u[known_u]]
            est[known_i] += self.bi_[i[known_i]]
            est[both] += dots
        else:
            est[both] = dots
        lo, hi = self.rating_scale_
        return np.clip(est, lo, hi)
