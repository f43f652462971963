r"""Regularized NMF for rating prediction, exactly as ``surprise.NMF`` runs it.

The model (Luo, Zhou, Xia and Zhu, 2014, "An Efficient Non-Negative
Matrix-Factorization-Based Approach to Collaborative Filtering for Recommender
Systems", IEEE Trans. Industrial Informatics 10(2)) predicts

.. math:: \hat r_{ui} = p_u \cdot q_i
          \qquad\text{or, with biased=True,}\qquad
          \hat r_{ui} = \mu + b_u + b_i + p_u \cdot q_i

with non-negative user factors ``p_u`` (rows of ``pu_``, shape ``(n_users, k)``)
and item factors ``q_i`` (rows of ``qi_``, shape ``(n_items, k)``). It minimises
the squared error over the observed ratings ``K``, with each factor vector
regularized in proportion to its number of ratings (``|I_u|`` items of user
``u``, ``|U_i|`` users of item ``i``),

.. math:: \frac12 \sum_{(u,i)\in K} (r_{ui} - \hat r_{ui})^2
          + \frac{\lambda_u}{2} \sum_u |I_u| \lVert p_u \rVert^2
          + \frac{\lambda_i}{2} \sum_i |U_i| \lVert q_i \rVert^2

by the multiplicative updates of one epoch (all sums over the ratings of user
``u`` / item ``i``, every sum computed with the factors of the start of the epoch)::

    p_uf <- p_uf * sum_i q_if r_ui / (sum_i q_if r̂_ui + |I_u| reg_pu p_uf)
    q_if <- q_if * sum_u p_uf r_ui / (sum_u p_uf r̂_ui + |U_i| reg_qi q_if)

A factor that is exactly 0 stays 0 (it is never updated), as in Surprise.
Each update multiplies a non-negative number by a ratio of non-negative numbers,
so the factors stay non-negative (in the unbiased model).

The course derives these updates in ``notebooks/07_surprise_nmf.ipynb`` (and
checks them against Surprise there) and uses the model on real ratings from
``notebooks/08_movielens_small.ipynb`` on. With the default 50 epochs on tiny
data the updates may still oscillate (notebook 07 shows it).

Why this is fast: Surprise loops over the ratings in Cython, one rating at a
time. Here one epoch is five sums over the ratings (the dots ``p_u . q_i`` and
four per-user / per-item sums), each one vectorized operation on a sparsity
pattern that is built once in :meth:`NMF.fit` and reused every epoch; the item
sums run on a helper thread while the user sums run. How far this goes, and why
it stops at about 4x Surprise's speed on a 2-core machine (the five sums are
the whole epoch), is measured by ``benchmarks/speed_limits.py``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._factor_model import FactorModel
from ._validation import check_factor_model_params, check_rating_scale, check_ratings_frame

__all__ = ["NMF", "PredictionDetails"]


@dataclass(frozen=True)
class PredictionDetails:
    """A prediction with the same fields as ``surprise.Prediction``.

    ``est`` is clipped to the rating scale; ``was_impossible`` is true when the
    model had to fall back to the global mean (unbiased model, unknown user or item).
    """

    uid: Any
    iid: Any
    r_ui: float | None
    est: float
    was_impossible: bool


class _RatingsLayout:
    """The ratings as fixed sparse patterns, built once and reused every epoch.

    Ratings are kept in the order ``surprise.Trainset.all_ratings()`` yields
    them (users by inner id, each user's ratings in input order), so every sum
    below adds the same numbers in the same order as Surprise does.

    * ``by_user`` - CSR ``(n_users, n_items)``: ``by_user @ Q`` sums ``q_i`` times
      the matrix data over each user's ratings (data = ratings, or estimates).
    * ``by_item`` - CSR ``(n_items, n_users)``: the same per item; ``to_item_order``
      permutes a per-rating array into its order.
    * ``pairs`` - CSR ``(n_ratings, n_items * k)`` with row ``r`` holding ``p_u``
      at the columns of ``q_i``: ``pairs @ Q.ravel()`` gives every ``p_u . q_i``
      in one sparse product, without gathering an ``(n_ratings, k)`` copy of Q.
    """

    def __init__(
        self,
        user_rows: np.ndarray,
        item_rows: np.ndarray,
        ratings: np.ndarray,
        shape: tuple,
        k: int,
    ):
        n_users, n_items = shape
        n = len(ratings)
        self.user_rows, self.item_rows = user_rows, item_rows
        self.user_counts = np.bincount(user_rows, minlength=n_users)
        self.item_counts = np.bincount(item_rows, minlength=n_items)
        user_ptr = np.concatenate([[0], np.cumsum(self.user_counts)])
        self.user_ptr = user_ptr
        item_ptr = np.concatenate([[0], np.cumsum(self.item_counts)])
        self.to_item_order = np.argsort(item_rows, kind="stable")

        self.ratings_by_user = sp.csr_matrix((ratings, item_rows, user_ptr), shape=shape)
        self.est_by_user = sp.csr_matrix((np.zeros(n), item_rows, user_ptr), shape=shape)
        item_shape = (n_items, n_users)
        users_in_item_order = user_rows[self.to_item_order]
        ratings_in_item_order = ratings[self.to_item_order]
        self.ratings_by_item = sp.csr_matrix(
            (ratings_in_item_order, users_in_item_order, item_ptr), shape=item_shape
        )
        self.est_by_item = sp.csr_matrix(
            (np.zeros(n), users_in_item_order, item_ptr), shape=item_shape
        )
        pair_columns = (item_rows[:, None] * k + np.arange(k)).ravel()
        self.pairs = sp.csr_matrix(
            (np.zeros(n * k), pair_columns, np.arange(0, n * k + 1, k)), shape=(n, n_items * k)
        )
        # Row r of this view is row r of `pairs`: dots() writes p_u there in place.
        self.pairs_user_factors = self.pairs.data.reshape(n, k)
        self.user_rows_intp = user_rows.astype(np.intp)

    def dots(self, pu: np.ndarray, qi: np.ndarray) -> np.ndarray:
        """``p_u . q_i`` for every rating, shape ``(n_ratings,)``."""
        # Gather p_u into the buffer that `pairs` already holds: no 12 MB
        # allocation per epoch (mode="clip" skips a bounds check we do not need).
        np.take(pu, self.user_rows_intp, axis=0, out=self.pairs_user_factors, mode="clip")
        return self.pairs @ qi.ravel()

    def set_estimates(self, est: np.ndarray) -> None:
        self.est_by_user.data = est
        np.take(est, self.to_item_order, out=self.est_by_item.data)


def _multiplicative_step(
    factors: np.ndarray, numerator: np.ndarray, denominator: np.ndarray, count_reg: np.ndarray
) -> None:
    """In place: ``f <- f * num / (den + n_ratings * reg * f)``.

    ``count_reg`` is ``n_ratings * reg`` per row, shape ``(n_rows, 1)``. A factor
    that is 0 stays 0 (0 times a finite ratio), as Surprise never updates it. A
    zero denominator (possible only with ``reg = 0``) leaves the factor
    unchanged instead of producing NaN.
    """
    denominator += count_reg * factors
    if denominator.all():  # the usual case: a plain, fast elementwise update
        factors *= np.divide(numerator, denominator, out=numerator)
    else:
        factors *= np.divide(
            numerator, denominator, out=np.ones_like(numerator), where=denominator != 0
        )


class NMF(FactorModel):
    """Non-negative matrix factorization for ratings (Luo et al., 2014).

    Same parameters, defaults and results as ``surprise.NMF`` (scikit-surprise
    1.1.5): with the same ratings in the same row order and the same integer
    ``random_state``, predictions agree to within 1e-9.

    Parameters
    ----------
    n_factors : int, default 15
        Number of latent factors ``k``.
    n_epochs : int, default 50
        Number of passes of the multiplicative updates.
    biased : bool, default False
        Add a global mean and user/item biases, learned by SGD. Expensive: the
        bias updates are sequential (each rating's estimate uses the biases
        moved by the previous rating), so this mode loops over the users in
        Python every epoch (see ``_bias_sweep``): several times the cost of the
        unbiased mode (``python benchmarks/bench_fit.py --biased``). Prone to
        overfitting on small data (as Surprise warns).
    reg_pu, reg_qi : float, default 0.06
        Regularization of user and item factors.
    reg_bu, reg_bi : float, default 0.02
        Regularization of user and item biases (``biased=True`` only).
    lr_bu, lr_bi : float, default 0.005
        Learning rates of the biases (``biased=True`` only).
    init_low, init_high : float, default 0 and 1
        Factors start uniform in ``[init_low, init_high)``.
    random_state : int, numpy RandomState or None
        Seed of the initialization (``np.random.RandomState``).

    Attributes
    ----------
    pu_ : ndarray (n_users, n_factors)
        User factors, one row per user in order of first appearance.
    qi_ : ndarray (n_items, n_factors)
        Item factors.
    bu_, bi_ : ndarray (n_users,), (n_items,)
        Biases (zeros unless ``biased``).
    global_mean_ : float
        Mean of the training ratings.
    rating_scale_ : tuple (low, high)
        Predictions are clipped to it.
    user_ids_, item_ids_ : ndarray of raw ids
        Row ``r`` of ``pu_`` belongs to user ``user_ids_[r]`` (likewise items).
    user_index_, item_index_ : dict raw id -> row

    Examples
    --------
    >>> from nmf_teach import NMF
    >>> from nmf_teach.datasets import surprise_example_ratings
    >>> ratings = surprise_example_ratings()
    >>> model = NMF(n_factors=2, random_state=0).fit(ratings, rating_scale=(0.5, 5))
    >>> 0.5 <= model.predict(1, "B") <= 5
    True
    """

    def __init__(
        self,
        n_factors: int = 15,
        n_epochs: int = 50,
        biased: bool = False,
        reg_pu: float = 0.06,
        reg_qi: float = 0.06,
        reg_bu: float = 0.02,
        reg_bi: float = 0.02,
        lr_bu: float = 0.005,
        lr_bi: float = 0.005,
        init_low: float = 0,
        init_high: float = 1,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.biased = biased
        self.reg_pu = reg_pu
        self.reg_qi = reg_qi
        self.reg_bu = reg_bu
        self.reg_bi = reg_bi
        self.lr_bu = lr_bu
        self.lr_bi = lr_bi
        self.init_low = init_low
        self.init_high = init_high
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def _check_params(self) -> None:
        names = ("reg_pu", "reg_qi", "reg_bu", "reg_bi", "lr_bu", "lr_bi")
        check_factor_model_params(
            self.n_factors,
            self.n_epochs,
            self.init_low,
            self.init_high,
            {name: getattr(self, name) for name in names},
        )

    def fit(self, data: Any, rating_scale: tuple[float, float] | None = None) -> NMF:
        """Learn the factors from ratings; returns ``self``.

        Parameters
        ----------
        data : pandas.DataFrame or surprise.Trainset
            A DataFrame whose first three columns are user id, item id, rating
            (as ``surprise.Dataset.load_from_df`` takes), or a Surprise trainset.
        rating_scale : (low, high), optional
            Predictions are clipped to it. Defaults to the trainset's scale, or
            to the ratings' (min, max) for a DataFrame.
        """
        self._check_params()
        users, items, ratings, scale, inner_items = self._ratings_from(data, rating_scale)
        lo, hi = check_rating_scale(ratings, scale)

        # Inner ids in order of first appearance, as Surprise assigns them.
        user_rows, user_ids = pd.factorize(users, sort=False)
        item_rows, item_ids = pd.factorize(items, sort=False)
        if inner_items is not None:  # a trainset: keep its inner item ids
            item_ids = inner_items
            item_rows = pd.Index(item_ids).get_indexer(items)
        # Surprise visits the ratings user by user, each user's in input order.
        order = np.argsort(user_rows, kind="stable")
        user_rows, item_rows, ratings = user_rows[order], item_rows[order], ratings[order]
        n_users, n_items = len(user_ids), len(item_ids)

        self._set_ids(user_ids, item_ids)
        self.rating_scale_ = (float(lo), float(hi))
        self.global_mean_ = float(np.mean(ratings))
        self.n_ratings_ = len(ratings)

        rng = (
            self.random_state
            if isinstance(self.random_state, np.random.RandomState)
            else np.random.RandomState(self.random_state)
        )
        pu = rng.uniform(self.init_low, self.init_high, size=(n_users, self.n_factors))
        qi = rng.uniform(self.init_low, self.init_high, size=(n_items, self.n_factors))
        bu = np.zeros(n_users)
        bi = np.zeros(n_items)

        layout = _RatingsLayout(user_rows, item_rows, ratings, (n_users, n_items), self.n_factors)
        with ThreadPoolExecutor(max_workers=1) as pool:  # one helper thread, see _epoch
            for _ in range(self.n_epochs):
                self._epoch(layout, ratings, pu, qi, bu, bi, pool)

        self.pu_, self.qi_, self.bu_, self.bi_ = pu, qi, bu, bi
        return self

    def _epoch(
        self,
        layout: _RatingsLayout,
        ratings: np.ndarray,
        pu: np.ndarray,
        qi: np.ndarray,
        bu: np.ndarray,
        bi: np.ndarray,
        pool: ThreadPoolExecutor,
    ) -> None:
        """One epoch of Surprise's ``NMF.sgd``, in place on pu, qi (and bu, bi)."""
        est = layout.dots(pu, qi)  # p_u . q_i per rating, from the epoch's start factors
        if self.biased:
            est += self._bias_sweep(layout, ratings, est, bu, bi)
        layout.set_estimates(est)

        # Per-user / per-item sums over the ratings, as four sparse products.
        # The item sums do not depend on the user sums, and scipy's sparse
        # products release the GIL, so they run on the second thread meanwhile.
        item_sums = pool.submit(
            lambda: (
                layout.ratings_by_item @ pu,  # sum_u r_ui p_u
                layout.est_by_item @ pu,  # sum_u est_ui p_u
            )
        )
        user_num = layout.ratings_by_user @ qi  # sum_i r_ui q_i
        user_den = layout.est_by_user @ qi  # sum_i est_ui q_i
        item_num, item_den = item_sums.result()

        _multiplicative_step(pu, user_num, user_den, layout.user_counts[:, None] * self.reg_pu)
        _multiplicative_step(qi, item_num, item_den, layout.item_counts[:, None] * self.reg_qi)

    def _bias_sweep(
        self,
        layout: _RatingsLayout,
        ratings: np.ndarray,
        dots: np.ndarray,
        bu: np.ndarray,
        bi: np.ndarray,
    ) -> np.ndarray:
        """Sequential SGD on the biases; returns ``mu + b_u + b_i`` as each rating saw it.

        Surprise visits the ratings one by one: ``est = mu + b_u + b_i + p_u.q_i``,
        ``err = r - est``, then ``b_u += lr_bu (err - reg_bu b_u)`` and
        ``b_i += lr_bi (err - reg_bi b_i)``. Each step depends on the previous
        one, but the ratings come grouped by user, and within one user

        * every item appears once, so each ``b_i`` it meets still has the value
          left by the previous users: one vectorized read and one write;
        * ``b_u`` follows the linear recurrence ``b_u <- a b_u + lr_bu c``, with
          ``a = 1 - lr_bu (1 + reg_bu)`` and ``c = r - mu - b_i - p_u.q_i``,
          which ``scipy.signal.lfilter`` runs in C.

        So the loop is over users, not ratings. Results equal the one-by-one
        loop up to rounding (about 1e-14).
        """
        from scipy.signal import lfilter  # imported here: only the biased mode needs it

        mu, lr_bu, lr_bi, reg_bi = self.global_mean_, self.lr_bu, self.lr_bi, self.reg_bi
        decay = 1.0 - lr_bu * (1.0 + self.reg_bu)
        offsets = np.empty(len(ratings))
        for u in range(len(bu)):
            start, stop = layout.user_ptr[u], layout.user_ptr[u + 1]
            items = layout.item_rows[start:stop]
            bi_before = bi[items]
            c = ratings[start:stop] - mu - bi_before - dots[start:stop]
            bu_after, _ = lfilter([lr_bu], [1.0, -decay], c, zi=[decay * bu[u]])
            bu_before = np.concatenate(([bu[u]], bu_after[:-1]))
            offsets[start:stop] = mu + bu_before + bi_before
            err = c - bu_before  # = r - (mu + b_u + b_i + p_u.q_i)
            bi[items] = bi_before + lr_bi * (err - reg_bi * bi_before)
            bu[u] = bu_after[-1]
        return offsets

    def _ratings_from(
        self, data: Any, rating_scale: tuple[float, float] | None
    ) -> tuple[Any, Any, np.ndarray, tuple[float, float] | None, np.ndarray | None]:
        """Raw users, items, ratings, scale and (for a trainset) its item order."""
        if isinstance(data, pd.DataFrame):
            users, items, ratings = check_ratings_frame(data)
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
            return (*self._ratings_from(frame, tuple(scale))[:4], inner_items)
        raise TypeError(
            "data must be a pandas DataFrame (user, item, rating columns) or a "
            f"surprise.Trainset, got {type(data).__name__}"
        )

    # --------------------------------------------------------------- predicting
    def predict_details(self, uid: Any, iid: Any, r_ui: float | None = None) -> PredictionDetails:
        """Predict one rating from raw ids, with Surprise's fallback and clipping.

        Known user and item: ``p_u . q_i`` (plus ``mu + b_u + b_i`` if biased).
        Unknown user or item: the unbiased model cannot predict and returns the
        global mean with ``was_impossible=True``; the biased model returns
        ``mu`` plus the biases it knows. The estimate is clipped to the rating scale.
        """
        self._check_fitted()
        u = self.user_index_.get(uid)
        i = self.item_index_.get(iid)
        impossible = False
        if self.biased:
            est = self.global_mean_
            est += self.bu_[u] if u is not None else 0.0
            est += self.bi_[i] if i is not None else 0.0
            if u is not None and i is not None:
                est += float(np.dot(self.qi_[i], self.pu_[u]))
        elif u is not None and i is not None:
            est = float(np.dot(self.qi_[i], self.pu_[u]))
        else:
            est, impossible = self.global_mean_, True
        lo, hi = self.rating_scale_
        est = max(lo, min(hi, est))
        return PredictionDetails(uid, iid, r_ui, float(est), impossible)

    def predict(self, uid: Any, iid: Any) -> float:
        """Predicted rating of user ``uid`` for item ``iid`` (raw ids), a float.

        Computed one at a time exactly as Surprise does; :meth:`predict_frame`
        is its vectorized form.
        """
        return self.predict_details(uid, iid).est
