"""Biased NMF fitted by projected coordinate descent: NMF on top of a bias baseline.

The model predicts

.. math:: \\hat r_{ui} = \\mu + b_u + b_i + p_u \\cdot q_i,
          \\qquad p_u \\ge 0,\\; q_i \\ge 0,

a global mean ``mu``, a user bias ``b_u`` and an item bias ``b_i`` (signed
numbers, not factors), plus the dot product of a non-negative user factor row
``p_u`` (``pu_``, shape ``(n_users, k)``) and a non-negative item factor row
``q_i`` (``qi_``, shape ``(n_items, k)``). The biases carry what a simple
"this user rates high, this film is liked" model explains; the non-negative
factors only have to add each user's *extra* liking for some kinds of item.

Objective, over the observed ratings ``K`` (``|I_u|``: number of ratings of
user ``u``; ``|U_i|``: of item ``i``)::

    J = sum_{(u,i) in K} (r_ui - r̂_ui)^2
        + reg_bu sum_u b_u^2 + reg_bi sum_i b_i^2
        + reg_pu sum_u |I_u| ||p_u||^2 + reg_qi sum_i |U_i| ||q_i||^2

The factor penalties are weighted by the number of ratings, as in
``surprise.NMF`` (Luo et al., 2014) and ALS-WR (Zhou et al., 2008).

Algorithm (``fit``):

1. **Baseline.** ``bias_epochs`` sweeps of alternating least squares on the
   biases alone, exactly as ``surprise.BaselineOnly`` (ALS, defaults
   ``reg_i=10, reg_u=15, n_epochs=10``) computes them::

       b_i <- sum_{u in U_i} (r_ui - mu - b_u) / (reg_bi + |U_i|)   for every item, then
       b_u <- sum_{i in I_u} (r_ui - mu - b_i) / (reg_bu + |I_u|)   for every user.

   After this step ``bu_`` and ``bi_`` equal ``BaselineOnly``'s biases (they
   are the fitted biases when ``n_epochs=0``).
2. **Factors.** Start ``p, q`` uniform in ``[init_low, init_high)`` and run
   ``n_epochs`` epochs. One epoch minimises ``J`` exactly over one block of
   unknowns at a time, in this order: all ``b_u`` then all ``b_i`` (same
   formulas with ``p_u . q_i`` also subtracted), then for each factor
   ``f = 0 .. k-1`` the column ``p_{:f}`` and then the column ``q_{:f}``::

       e_ui  = r_ui - r̂_ui + p_uf q_if          (residual without factor f)
       p_uf <- max(0, sum_i q_if e_ui / (sum_i q_if^2 + reg_pu |I_u|))
       q_if <- max(0, sum_u p_uf e_ui / (sum_u p_uf^2 + reg_qi |U_i|))

   Each update solves a one-dimensional convex quadratic over ``[0, inf)``
   (the unconstrained minimiser, clipped at 0), so the factors stay
   non-negative and ``J`` never increases (``objective_`` records it after
   every epoch). This is coordinate descent with a projection, the scheme of
   HALS (Cichocki & Phan, 2009) and CCD++ (Yu, Hsieh, Si & Dhillon, 2012,
   "Scalable Coordinate Descent Approaches to Parallel Matrix Factorization
   for Recommender Systems", ICDM), here with biases and a non-negativity clip.

How it runs: the residual ``e_ui = r_ui - r̂_ui`` of every rating is kept in
one array, and each block update is a loop over the ratings compiled by numba
(``_refit_user_biases``, ``_refit_item_biases``, ``_factor_sweep``), with
chunks of users on all cores: within one column ``f`` no user's update
depends on another user's, and the sums of the item updates are made in the
same pass over the ratings (see ``nmf_teach._ratings_index``). One epoch
costs ``O(k * n_ratings)``; the kernels also run as plain Python (``.py_func``,
or ``NUMBA_DISABLE_JIT=1``).

With ``biased=False`` there is no ``mu`` and no bias: ``r̂_ui = p_u . q_i`` is a
plain NMF of the ratings fitted by the same coordinate descent.

The course builds and tunes this model in
``notebooks/10_making_nmf_competitive.ipynb``; its section "Building the fit
from scratch" derives every update above (one factor entry is a one-variable
quadratic, and clipping its minimiser at 0 is exact for one variable), writes
the algorithm in numpy on a small slice of MovieLens, and checks it against
this class to rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from ._factor_model import FactorModel
from ._validation import check_factor_model_params, check_positive_int, check_random_state

__all__ = ["BiasedNMF"]


class BiasedNMF(FactorModel):
    """Non-negative factors on top of user and item biases (projected coordinate descent).

    The objective and the updates are in the module docstring; notebook 10
    (``notebooks/10_making_nmf_competitive.ipynb``, section "Building the fit
    from scratch") derives them and rebuilds ``fit`` in numpy.

    Parameters
    ----------
    n_factors : int, default 100
        Number of non-negative latent factors ``k``.
    n_epochs : int, default 20
        Epochs of coordinate descent on biases and factors (0: biases only).
    reg_pu, reg_qi : float, default 0.08
        Penalty per rating on ``||p_u||^2`` and ``||q_i||^2`` (multiplied by
        the number of ratings of the user / item).
    reg_bu, reg_bi : float, default 15 and 10
        Penalties on ``b_u^2`` and ``b_i^2`` (``BaselineOnly``'s ``reg_u``, ``reg_i``).
    bias_epochs : int, default 10
        Sweeps of the bias-only baseline before the factors start.
    biased : bool, default True
        False: no global mean and no biases, ``r̂ = p_u . q_i`` (plain NMF).
    init_low, init_high : float, default 0 and 0.1
        Factors start uniform in ``[init_low, init_high)``.
    random_state : int, numpy RandomState or None, default None
        The random numbers of the initialization: an int seeds a new
        ``np.random.RandomState``, a RandomState is used as is, None uses
        NumPy's global one (``np.random.seed``).

    Attributes
    ----------
    pu_ : ndarray (n_users, n_factors), all >= 0
    qi_ : ndarray (n_items, n_factors), all >= 0
    bu_, bi_ : ndarray (n_users,), (n_items,)
        Biases (zeros if not ``biased``).
    global_mean_ : float
        Mean training rating ``mu`` (used by the model only if ``biased``).
    rating_scale_ : tuple (low, high)
        Predictions are clipped to it.
    user_ids_, item_ids_ : ndarray of raw ids, in order of first appearance
    user_index_, item_index_ : dict raw id -> row
    n_ratings_ : int
        Number of training ratings.
    objective_ : ndarray (n_epochs + 1,)
        ``J`` after the baseline (entry 0) and after each epoch; non-increasing.
    train_rmse_ : ndarray (n_epochs + 1,)
        RMSE on the training ratings (unclipped predictions) at the same moments.

    Examples
    --------
    >>> from nmf_teach.biased_nmf import BiasedNMF
    >>> from nmf_teach.datasets import surprise_example_ratings
    >>> model = BiasedNMF(n_factors=2, random_state=0).fit(surprise_example_ratings())
    >>> bool((model.pu_ >= 0).all() and (model.qi_ >= 0).all())
    True
    """

    def __init__(
        self,
        n_factors: int = 100,
        n_epochs: int = 20,
        reg_pu: float = 0.08,
        reg_qi: float = 0.08,
        reg_bu: float = 15.0,
        reg_bi: float = 10.0,
        bias_epochs: int = 10,
        biased: bool = True,
        init_low: float = 0.0,
        init_high: float = 0.1,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.reg_pu = reg_pu
        self.reg_qi = reg_qi
        self.reg_bu = reg_bu
        self.reg_bi = reg_bi
        self.bias_epochs = bias_epochs
        self.biased = biased
        self.init_low = init_low
        self.init_high = init_high
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def _check_params(self) -> None:
        check_positive_int(self.bias_epochs, "bias_epochs", minimum=0)
        check_factor_model_params(
            self.n_factors,
            self.n_epochs,
            self.init_low,
            self.init_high,
            {name: getattr(self, name) for name in ("reg_pu", "reg_qi", "reg_bu", "reg_bi")},
        )

    def fit(
        self, data: Any, rating_scale: tuple[float, float] | None = None, *, columns: Any = None
    ) -> BiasedNMF:
        """Learn biases and non-negative factors from ratings; returns ``self``.

        Parameters
        ----------
        data : pandas.DataFrame or surprise.Trainset
            Ratings: a DataFrame with columns ``user``, ``item``, ``rating``
            (found by name; a frame with none of those names is read by position,
            user id, item id, rating first), or a Surprise trainset. Ratings may
            be negative (only the factors are constrained to be >= 0).
        rating_scale : (low, high), optional
            Predictions are clipped to it. Defaults to the trainset's scale, or
            to the ratings' (min, max) for a DataFrame.
        columns : (user, item, rating) column names, optional
            Other names to find the three columns by.
        """
        self._check_params()
        index, ratings = self._index_ratings(
            data, rating_scale, allow_negative=True, columns=columns
        )
        n_users, n_items, k = len(self.user_ids_), len(self.item_ids_), self.n_factors
        self.global_mean_ = float(np.mean(ratings))
        mu = self.global_mean_ if self.biased else 0.0
        chunk_ptr, user_ptr, items_r = index.chunk_ptr, index.user_ptr, index.items
        n_u = index.user_counts.astype(np.float64)  # |I_u|
        n_i = index.item_counts.astype(np.float64)  # |U_i|
        # Work space for the per-chunk item sums (numerators, denominators).
        item_num, item_den = np.empty((2, len(chunk_ptr) - 1, n_items))
        bu, bi = np.zeros(n_users), np.zeros(n_items)

        # The residual e_ui = r_ui - r̂_ui of every rating, updated in place from now on.
        residual = index.ratings - mu
        # 1. The BaselineOnly biases (items first, as Surprise's baseline_als).
        if self.biased:
            for _ in range(self.bias_epochs):
                _refit_item_biases(
                    chunk_ptr, user_ptr, items_r, residual, bi, self.reg_bi, n_i, item_num
                )
                _refit_user_biases(user_ptr, residual, bu, self.reg_bu)

        # 2. Factors, stored one factor per row (k, n) so each column update is contiguous.
        rng = check_random_state(self.random_state)
        P = rng.uniform(self.init_low, self.init_high, size=(n_users, k)).T.copy()
        Q = rng.uniform(self.init_low, self.init_high, size=(n_items, k)).T.copy()
        _subtract_dots(user_ptr, items_r, P, Q, residual)
        pen_u, pen_i = self.reg_pu * n_u, self.reg_qi * n_i

        objective, train_rmse = [], []

        def record() -> None:
            sse, penalty = _objective_parts(
                residual, bu, bi, P, Q, self.reg_bu, self.reg_bi, pen_u, pen_i
            )
            objective.append(sse + penalty)
            train_rmse.append(np.sqrt(sse / len(residual)))

        record()
        for _ in range(self.n_epochs):
            if self.biased:
                _refit_user_biases(user_ptr, residual, bu, self.reg_bu)
                _refit_item_biases(
                    chunk_ptr, user_ptr, items_r, residual, bi, self.reg_bi, n_i, item_num
                )
            _factor_sweep(
                chunk_ptr, user_ptr, items_r, P, Q, residual, pen_u, pen_i, item_num, item_den
            )
            record()

        self.bu_, self.bi_ = bu, bi
        self.pu_, self.qi_ = np.ascontiguousarray(P.T), np.ascontiguousarray(Q.T)
        self.objective_ = np.array(objective)
        self.train_rmse_ = np.array(train_rmse)
        return self


# --------------------------------------------------------------------------
# The kernels. Ratings are in user order (see _ratings_index): the ratings of
# user u are r in range(user_ptr[u], user_ptr[u + 1]), and the users are cut
# into chunks (users chunk_ptr[c] .. chunk_ptr[c + 1] - 1) that run in parallel.
# A sum over the ratings of an item is made in the same pass: each chunk adds
# its share into a row of its own, item_sums[c, i], and the rows are added up.
# --------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def _subtract_dots(
    user_ptr: np.ndarray, items: np.ndarray, P: np.ndarray, Q: np.ndarray, residual: np.ndarray
) -> None:
    """``e_ui -= p_u . q_i`` for every rating (``P``: ``(k, n_users)``, ``Q``: ``(k, n_items)``)."""
    for u in prange(len(user_ptr) - 1):
        for r in range(user_ptr[u], user_ptr[u + 1]):
            i = items[r]
            for f in range(P.shape[0]):
                residual[r] -= P[f, u] * Q[f, i]


@njit(cache=True, parallel=True)
def _refit_user_biases(
    user_ptr: np.ndarray, residual: np.ndarray, bu: np.ndarray, reg_bu: float
) -> None:
    """``b_u <- sum_i (e_ui + b_u) / (reg_bu + |I_u|)``, the exact minimiser; ``e`` follows."""
    for u in prange(len(user_ptr) - 1):
        total = 0.0
        for r in range(user_ptr[u], user_ptr[u + 1]):
            residual[r] += bu[u]  # the residual without b_u
            total += residual[r]
        bu[u] = total / (reg_bu + (user_ptr[u + 1] - user_ptr[u]))
        for r in range(user_ptr[u], user_ptr[u + 1]):
            residual[r] -= bu[u]


@njit(cache=True, parallel=True)
def _refit_item_biases(
    chunk_ptr: np.ndarray,
    user_ptr: np.ndarray,
    items: np.ndarray,
    residual: np.ndarray,
    bi: np.ndarray,
    reg_bi: float,
    item_counts: np.ndarray,
    item_sums: np.ndarray,
) -> None:
    """``b_i <- sum_u (e_ui + b_i) / (reg_bi + |U_i|)``, the exact minimiser; ``e`` follows.

    ``item_sums`` (``(n_chunks, n_items)``) is work space for the per-chunk sums.
    """
    for c in prange(len(chunk_ptr) - 1):
        item_sums[c] = 0.0
        for r in range(user_ptr[chunk_ptr[c]], user_ptr[chunk_ptr[c + 1]]):
            item_sums[c, items[r]] += residual[r]
    change = np.empty(len(bi))
    for i in prange(len(bi)):
        # sum_u (e_ui + b_i) = sum_u e_ui + |U_i| b_i
        new = (item_sums[:, i].sum() + item_counts[i] * bi[i]) / (reg_bi + item_counts[i])
        change[i] = new - bi[i]
        bi[i] = new
    for r in prange(len(residual)):
        residual[r] -= change[items[r]]


@njit(cache=True, parallel=True)
def _factor_sweep(
    chunk_ptr: np.ndarray,
    user_ptr: np.ndarray,
    items: np.ndarray,
    P: np.ndarray,
    Q: np.ndarray,
    residual: np.ndarray,
    pen_u: np.ndarray,
    pen_i: np.ndarray,
    q_num: np.ndarray,
    q_den: np.ndarray,
) -> None:
    """One epoch of projected coordinate descent on the factors, column by column.

    For ``f = 0 .. k-1``: every ``p_uf`` (chunks of users in parallel), then
    every ``q_if``, each the clipped minimiser of its one-variable quadratic::

        e_ui  <- e_ui + p_uf q_if                      (factor f taken out)
        p_uf  <- max(0, sum_i q_if e_ui / (sum_i q_if^2 + reg_pu |I_u|))
        q_if  <- max(0, sum_u p_uf e_ui / (sum_u p_uf^2 + reg_qi |U_i|))
        e_ui  <- e_ui - p_uf q_if                      (factor f put back)

    ``pen_u = reg_pu |I_u|`` and ``pen_i = reg_qi |U_i|``. The sums of the
    ``q_if`` update are made in the user pass, as soon as ``p_uf`` is known, into
    ``q_num[c, i]`` and ``q_den[c, i]`` (work space, ``(n_chunks, n_items)``).
    Putting factor ``f`` back is left to the first loop of factor ``f + 1``
    (one pass over the ratings fewer), and done for the last factor at the end.
    Most entries end clipped at 0, and a zero changes nothing it multiplies: a
    user whose ``p_u,f-1`` and ``p_uf`` are 0 leaves the residuals as they are,
    and a ``p_uf`` of 0 adds nothing to the ``q`` sums, so those loops are skipped
    (the same numbers, less work).
    """
    k = P.shape[0]
    n_chunks = len(chunk_ptr) - 1
    for f in range(k):
        p, q = P[f], Q[f]
        p_before, q_before = P[max(f - 1, 0)], Q[max(f - 1, 0)]  # factor f - 1
        for c in prange(n_chunks):
            q_num[c] = 0.0
            q_den[c] = 0.0
            for u in range(chunk_ptr[c], chunk_ptr[c + 1]):
                p_uf = p[u]
                p_uf_before = p_before[u] if f > 0 else 0.0  # factor f - 1 is not out yet at f = 0
                num, den = 0.0, 0.0
                if p_uf == 0.0 and p_uf_before == 0.0:  # the residuals do not move
                    for r in range(user_ptr[u], user_ptr[u + 1]):
                        q_i = q[items[r]]
                        num += residual[r] * q_i
                        den += q_i * q_i
                else:
                    for r in range(user_ptr[u], user_ptr[u + 1]):
                        i = items[r]
                        # put factor f - 1 back, take factor f out
                        e_ui = residual[r] - p_uf_before * q_before[i] + p_uf * q[i]
                        residual[r] = e_ui
                        num += e_ui * q[i]
                        den += q[i] * q[i]
                p_uf = _clipped_minimiser(num, den + pen_u[u], p_uf)
                p[u] = p_uf
                if p_uf == 0.0:  # clipped at 0 (most are): adds nothing to the q sums
                    continue
                for r in range(user_ptr[u], user_ptr[u + 1]):  # this user's part of the q sums
                    q_num[c, items[r]] += residual[r] * p_uf
                    q_den[c, items[r]] += p_uf * p_uf
        for i in range(len(q)):  # little work: not worth waking the other threads
            num, den = 0.0, 0.0
            for c in range(n_chunks):  # add up the chunks' shares
                num += q_num[c, i]
                den += q_den[c, i]
            q[i] = _clipped_minimiser(num, den + pen_i[i], q[i])
    p, q = P[k - 1], Q[k - 1]
    for u in prange(len(user_ptr) - 1):
        for r in range(user_ptr[u], user_ptr[u + 1]):
            residual[r] -= p[u] * q[items[r]]  # put the last factor back


@njit(cache=True)
def _objective_parts(
    residual: np.ndarray,
    bu: np.ndarray,
    bi: np.ndarray,
    P: np.ndarray,
    Q: np.ndarray,
    reg_bu: float,
    reg_bi: float,
    pen_u: np.ndarray,
    pen_i: np.ndarray,
) -> tuple[float, float]:
    """``(sum e_ui^2, penalty)``, the two parts of ``J``, with no temporary arrays.

    ``penalty = reg_bu sum b_u^2 + reg_bi sum b_i^2 + sum_u pen_u[u] ||p_u||^2
    + sum_i pen_i[i] ||q_i||^2``. (Compiled rather than numpy: numpy's
    ``residual @ residual`` starts BLAS threads that compete with the fit's own.)
    """
    sse = 0.0
    for r in range(len(residual)):
        sse += residual[r] * residual[r]
    penalty = reg_bu * np.sum(bu * bu) + reg_bi * np.sum(bi * bi)
    for f in range(P.shape[0]):
        for u in range(P.shape[1]):
            penalty += pen_u[u] * P[f, u] * P[f, u]
        for i in range(Q.shape[1]):
            penalty += pen_i[i] * Q[f, i] * Q[f, i]
    return sse, penalty


@njit(cache=True)
def _clipped_minimiser(numerator: float, denominator: float, current: float) -> float:
    """``max(0, numerator / denominator)``: the minimiser of ``den/2 x^2 - num x`` over ``x >= 0``.

    A zero denominator (only with zero regularization, when the partner factor
    is 0 on every rating of the row) means ``J`` does not depend on that entry:
    it keeps its ``current`` value.
    """
    if denominator > 0.0:
        return max(0.0, numerator / denominator)
    return current
