"""Implicit-feedback NMF: non-negative factors of the 0/1 "who rated what" matrix.

A rating model (:class:`nmf_teach.nmf.NMF`) fits the stars of the observed cells and
ignores the rest (notebook 06: a missing rating is not a 0-star rating). For
top-N recommendation the question is different -- "which movies will this user
watch?" -- and there *every* cell is data: ``y_ui = 1`` if user ``u`` rated item
``i`` (whatever the stars), ``y_ui = 0`` otherwise. :class:`ImplicitNMF` fits

.. math:: y_{ui} \\approx p_u \\cdot q_i, \\qquad p_u \\ge 0,\\; q_i \\ge 0,

with the confidence-weighted squared loss of Hu, Koren & Volinsky (2008,
"Collaborative Filtering for Implicit Feedback Datasets", ICDM), here with
non-negative factors and a popularity-aware weight on the zeros (He, Zhang, Kan
& Chua, 2016, "Fast Matrix Factorization for Online Recommendation with
Implicit Feedback", SIGIR). Explained and built from scratch in
``notebooks/15_implicit_feedback.ipynb``.

Objective
---------
Over the observed pairs ``K`` (every rating is an interaction)::

    J = sum_{(u,i) in K}     c_ui (1 - p_u . q_i)^2          (the ones)
      + sum_{(u,i) not in K} w_i  (p_u . q_i)^2              (the zeros)
      + sum_u reg_u ||p_u||^2 + sum_i reg_i ||q_i||^2          (the penalty)

* ``c_ui = 1 + alpha`` -- or ``1 + alpha * r_ui / r_max`` with
  ``rating_confidence=True`` -- is the confidence of a one;
* ``w_i = n_i**beta / mean_j(n_j**beta)`` is the weight of a zero of item
  ``i``, with ``n_i`` its number of interactions (``beta = zero_weight_exponent``;
  ``beta = 0`` gives every zero weight 1, as Hu et al.). With ``beta > 0`` a
  popular item that a user did *not* watch is stronger evidence against it,
  which discounts popularity in the scores;
* ``reg_u = reg * n_u**gamma / mean_v(n_v**gamma)`` (same for items, with
  their counts), ``gamma = reg_exponent``; ``gamma = 0`` (the default and the
  tuned value) penalises every row by ``reg``.

Why this objective: the squared loss with all zeros observed makes every
update a one-variable quadratic with a closed-form minimiser, so non-negativity
is a clip at 0 and the zeros enter only through a ``k x k`` Gram matrix; the
confidence weights let the few ones (1.5% of MovieLens small) count against
the many zeros, and confidence from the stars tells "watched and liked" from
"watched". (The KL/Poisson objective of Lee & Seung, 2001 and Gopalan et al.,
2015, also suits 0/1 data; it is not implemented here: its multiplicative
updates need many more iterations, while the weighted squared loss has exact,
clipped coordinate updates; on MovieLens small, 20 epochs bring ``J`` within 1%
of its value after 40.)

Algorithm (projected coordinate descent, one coordinate at a time)
------------------------------------------------------------------
``J`` is a convex quadratic in any single entry ``p_uf`` (the others fixed), so
the exact minimiser over ``p_uf >= 0`` is a Newton step clipped at 0. Writing
``x_ui = p_u . q_i`` and the weighted Gram matrix ``G = sum_i w_i q_i q_i^T``
(``k x k``; it carries the sum over *all* items, zeros included, so a zero
costs nothing per user: the trick of implicit ALS)::

    g_uf = sum_{i in K_u} ((c_ui - w_i) x_ui - c_ui) q_if + (G p_u)_f + reg_u p_uf
    h_uf = sum_{i in K_u} (c_ui - w_i) q_if^2          + G_ff       + reg_u
    p_uf <- max(0, p_uf - g_uf / h_uf)

(``g`` and ``h`` are half the first and second derivative of ``J`` in
``p_uf``.) After each coordinate the cached ``x_ui`` (``i in K_u``) and
``G p_u`` are updated, so one user costs ``O(k |K_u| + k^2)`` per sweep. Items
are updated the same way with the roles swapped: for item ``i`` the Gram
matrix is ``w_i P^T P`` and the ones are its users ``K_i``. One epoch updates
every user (``inner_sweeps`` sweeps over the ``k`` coordinates of each row),
then every item. Each row's update only reads the other side, so rows run in
parallel (numba ``prange``) and the result is bitwise reproducible. Every step
minimises ``J`` exactly over one coordinate in ``[0, inf)``, so ``J`` never
increases (``objective_`` records it after every epoch) and the factors stay
non-negative. This is element-wise ALS (He et al., 2016) with the projection
of HALS (Cichocki & Phan, 2009).

Scores
------
``predict_frame`` returns ``p_u . q_i``: a preference score, roughly in
``[0, 1]`` (1 = "will watch"), not stars. ``rating_scale_`` is ``(0, inf)`` so
that the base class's clipping never creates ties among ranking scores
(scores are already >= 0); ``global_mean_`` is 0 (an unknown user or item gets
score 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit, prange

from ._factor_model import FactorModel
from ._validation import (
    check_factor_model_params,
    check_positive_int,
    check_random_state,
    check_ratings_frame,
)

__all__ = [
    "IMPLICIT_TUNED_PARAMS",
    "ImplicitNMF",
    "implicit_objective",
    "interaction_matrix",
    "tuned_implicit_nmf",
]


# --------------------------------------------------------------------------
# Kernels (numba; each also runs as plain Python through ``.py_func``)
# --------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def _gram(Y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``G = sum_j weights_j y_j y_j^T``, shape ``(k, k)``, for ``Y`` of shape ``(n, k)``."""
    n, k = Y.shape
    Yt = np.ascontiguousarray(Y.T)  # (k, n): the inner loop reads contiguous memory
    G = np.zeros((k, k))
    for f in prange(k):
        for g in range(f, k):
            total = 0.0
            for j in range(n):
                total += weights[j] * Yt[f, j] * Yt[g, j]
            G[f, g] = total
            G[g, f] = total
    return G


@njit(cache=True, parallel=True)
def _update_rows(
    X: np.ndarray,
    Y: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    conf: np.ndarray,
    col_zero_weight: np.ndarray,
    row_zero_weight: np.ndarray,
    G: np.ndarray,
    row_reg: np.ndarray,
    sweeps: int,
) -> None:
    """Coordinate descent on every row ``x_r`` of ``X`` (in place), ``Y`` fixed.

    Row ``r`` minimises, over ``x_r >= 0``::

        sum_{j in K_r} c_rj (1 - x_r . y_j)^2 + sum_{j not in K_r} w_rj (x_r . y_j)^2
            + reg ||x_r||^2

    with the zero weight ``w_rj = row_zero_weight[r] * col_zero_weight[j]`` and
    ``G = sum_j col_zero_weight[j] y_j y_j^T`` (so the zeros' term is
    ``row_zero_weight[r] * x_r^T G x_r`` minus the observed cells' share).
    ``K_r`` is ``indices[indptr[r]:indptr[r + 1]]``, ``c_rj`` is ``conf`` there.
    """
    n_rows, k = X.shape
    for r in prange(n_rows):
        start, stop = indptr[r], indptr[r + 1]
        s = row_zero_weight[r]
        reg = row_reg[r]
        x = X[r]
        pred = np.zeros(stop - start)  # x_r . y_j for the observed j
        for t in range(start, stop):
            j = indices[t]
            total = 0.0
            for f in range(k):
                total += x[f] * Y[j, f]
            pred[t - start] = total
        Gx = np.zeros(k)  # G x_r
        for f in range(k):
            total = 0.0
            for g in range(k):
                total += G[f, g] * x[g]
            Gx[f] = total
        for _ in range(sweeps):
            for f in range(k):
                grad = s * Gx[f] + reg * x[f]
                hess = s * G[f, f] + reg
                for t in range(start, stop):
                    j = indices[t]
                    c = conf[t]
                    extra = c - s * col_zero_weight[j]  # c_rj - w_rj
                    y = Y[j, f]
                    grad += (extra * pred[t - start] - c) * y
                    hess += extra * y * y
                if hess <= 0.0:
                    continue  # J does not depend on x_rf: leave it
                new = x[f] - grad / hess
                if new < 0.0:
                    new = 0.0
                delta = new - x[f]
                if delta != 0.0:
                    x[f] = new
                    for t in range(start, stop):
                        pred[t - start] += delta * Y[indices[t], f]
                    for g in range(k):
                        Gx[g] += delta * G[f, g]  # G is symmetric: read row f


@njit(cache=True, parallel=True)
def _row_losses(
    X: np.ndarray,
    Y: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    conf: np.ndarray,
    col_zero_weight: np.ndarray,
    G: np.ndarray,
) -> np.ndarray:
    """Per-row data term of ``J`` (ones and zeros), shape ``(n_rows,)``; no penalty."""
    n_rows, k = X.shape
    out = np.zeros(n_rows)
    for r in prange(n_rows):
        x = X[r]
        total = 0.0  # x_r^T G x_r: the zeros' term as if every cell were a zero
        for f in range(k):
            inner = 0.0
            for g in range(k):
                inner += G[f, g] * x[g]
            total += x[f] * inner
        for t in range(indptr[r], indptr[r + 1]):
            j = indices[t]
            pred = 0.0
            for f in range(k):
                pred += x[f] * Y[j, f]
            total += conf[t] * (1.0 - pred) ** 2 - col_zero_weight[j] * pred * pred
        out[r] = total
    return out


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def interaction_matrix(
    users: np.ndarray, items: np.ndarray, values: np.ndarray, n_users: int, n_items: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays ``(indptr, indices, data)`` of the ``n_users x n_items`` matrix.

    ``users`` and ``items`` are integer row/column positions (one per
    interaction, no duplicates), ``values`` the entries. Rows are sorted by
    column. ``indptr`` has shape ``(n_users + 1,)`` (int64), ``indices``
    ``(n_interactions,)`` int32, ``data`` float64.
    """
    order = np.lexsort((items, users))
    indices = np.asarray(items, dtype=np.int32)[order]
    data = np.asarray(values, dtype=np.float64)[order]
    indptr = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(np.bincount(users, minlength=n_users), out=indptr[1:])
    return indptr, indices, data


def implicit_objective(
    P: np.ndarray,
    Q: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    conf: np.ndarray,
    zero_weight: np.ndarray,
    reg_u: np.ndarray,
    reg_i: np.ndarray,
) -> float:
    """The objective ``J`` of the module docstring for factors ``P`` (users) and ``Q``.

    ``indptr``, ``indices``, ``conf``: the user-by-item CSR arrays of the
    confidences ``c_ui``; ``zero_weight``: ``w_i``, shape ``(n_items,)``.
    """
    G = _gram(Q, zero_weight)
    data = _row_losses(P, Q, indptr, indices, conf, zero_weight, G)
    return float(data.sum() + reg_u @ (P * P).sum(axis=1) + reg_i @ (Q * Q).sum(axis=1))


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


class ImplicitNMF(FactorModel):
    """Non-negative factorization of the 0/1 interaction matrix, for top-N lists.

    Minimises the confidence-weighted squared loss of the module docstring by
    projected coordinate descent (numba kernels). Explained in
    ``notebooks/15_implicit_feedback.ipynb``.

    Parameters
    ----------
    n_factors : int >= 1, default 100
        Number of factors ``k``.
    n_epochs : int >= 0, default 15
        Epochs; one epoch updates every user row, then every item row.
    alpha : float >= 0, default 10.0
        Confidence of a one: ``c_ui = 1 + alpha`` (times ``r_ui / r_max`` if
        ``rating_confidence``).
    reg : float >= 0, default 1.0
        L2 penalty on every factor row (times the count factor of ``reg_exponent``).
    reg_exponent : float, default 0.0
        ``gamma``: row ``r`` is penalised by ``reg * n_r**gamma / mean(n**gamma)``,
        ``n_r`` its number of interactions (users and items separately).
    zero_weight_exponent : float, default 0.0
        ``beta``: a zero of item ``i`` weighs ``n_i**beta / mean_j(n_j**beta)``.
    rating_confidence : bool, default False
        Scale ``alpha`` by ``r_ui / r_max``, so that liked items count more.
    inner_sweeps : int >= 1, default 1
        Sweeps over the ``k`` coordinates of a row per epoch.
    init_high : float > 0, default 0.1
        Item factors start uniform in ``[0, init_high)`` (users are solved first).
    random_state : int, np.random.RandomState or None, default None
        Seed of the initial item factors.

    Attributes
    ----------
    pu_, qi_ : np.ndarray, shapes (n_users, k), (n_items, k)
        Non-negative factors; the score of (u, i) is ``pu_[u] @ qi_[i]``.
    user_ids_, item_ids_ : np.ndarray
        Raw ids of the rows of ``pu_`` and ``qi_``.
    zero_weight_ : np.ndarray, shape (n_items,)
        ``w_i``.
    objective_ : list of float
        ``J`` after every epoch (non-increasing).
    global_mean_ : float
        0.0, the score of an unknown user or item.
    rating_scale_ : tuple
        ``(0.0, inf)``: scores are never clipped from above, so no ties are created.
    """

    biased = False

    def __init__(
        self,
        n_factors: int = 100,
        n_epochs: int = 15,
        alpha: float = 10.0,
        reg: float = 1.0,
        reg_exponent: float = 0.0,
        zero_weight_exponent: float = 0.0,
        rating_confidence: bool = False,
        inner_sweeps: int = 1,
        init_high: float = 0.1,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.alpha = alpha
        self.reg = reg
        self.reg_exponent = reg_exponent
        self.zero_weight_exponent = zero_weight_exponent
        self.rating_confidence = rating_confidence
        self.inner_sweeps = inner_sweeps
        self.init_high = init_high
        self.random_state = random_state

    def _check_params(self) -> None:
        check_factor_model_params(
            self.n_factors,
            self.n_epochs,
            0.0,
            self.init_high,
            {
                "alpha": self.alpha,
                "reg": self.reg,
            },
        )
        check_positive_int(self.inner_sweeps, "inner_sweeps")
        for name in ("zero_weight_exponent", "reg_exponent"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise TypeError(f"{name} must be a number, got {value!r}")
            if not np.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        if not isinstance(self.rating_confidence, (bool, np.bool_)):
            raise TypeError(
                f"rating_confidence must be True or False, got {self.rating_confidence!r}"
            )

    def fit(self, ratings: pd.DataFrame) -> ImplicitNMF:
        """Fit on a long-form (user, item, rating) table; every row is an interaction.

        The ratings only matter with ``rating_confidence=True`` (then they must
        be >= 0 and not all 0); otherwise any finite number is accepted.

        Returns
        -------
        self
        """
        self._check_params()
        users, items, values = check_ratings_frame(
            ratings, allow_negative=not self.rating_confidence
        )
        u_codes, u_ids = pd.factorize(users, sort=False)
        i_codes, i_ids = pd.factorize(items, sort=False)
        self._set_ids(u_ids, i_ids)
        n_users, n_items = len(u_ids), len(i_ids)

        if self.rating_confidence:
            top = values.max()
            if top <= 0:
                raise ValueError(
                    "rating_confidence=True needs some positive ratings (confidence grows "
                    "with r_ui / r_max); all ratings are 0"
                )
            conf_values = 1.0 + self.alpha * values / top
        else:
            conf_values = np.full(len(values), 1.0 + self.alpha)

        counts = np.bincount(i_codes, minlength=n_items).astype(np.float64)
        powered = counts**self.zero_weight_exponent
        zero_weight = powered / powered.mean()

        indptr, indices, conf = interaction_matrix(u_codes, i_codes, conf_values, n_users, n_items)
        # The transpose (item by user), for the item updates.
        t_indptr, t_indices, t_conf = interaction_matrix(
            i_codes, u_codes, conf_values, n_items, n_users
        )

        rng = check_random_state(self.random_state)
        k = int(self.n_factors)
        Q = rng.uniform(0.0, self.init_high, size=(n_items, k))
        P = np.zeros((n_users, k))
        ones_u = np.ones(n_users)
        u_counts = np.diff(indptr).astype(np.float64)
        reg_u = self.reg * u_counts**self.reg_exponent / (u_counts**self.reg_exponent).mean()
        reg_i = self.reg * counts**self.reg_exponent / (counts**self.reg_exponent).mean()
        sweeps = int(self.inner_sweeps)

        objective = []
        G_q = _gram(Q, zero_weight)
        for _ in range(int(self.n_epochs)):
            _update_rows(P, Q, indptr, indices, conf, zero_weight, ones_u, G_q, reg_u, sweeps)
            G_p = _gram(P, ones_u)
            _update_rows(Q, P, t_indptr, t_indices, t_conf, ones_u, zero_weight, G_p, reg_i, sweeps)
            G_q = _gram(Q, zero_weight)  # for the objective and the next epoch's users
            data_term = _row_losses(P, Q, indptr, indices, conf, zero_weight, G_q).sum()
            penalty = reg_u @ (P * P).sum(axis=1) + reg_i @ (Q * Q).sum(axis=1)
            objective.append(float(data_term + penalty))

        self.pu_, self.qi_ = P, Q
        self.zero_weight_ = zero_weight
        self.objective_ = objective
        self.item_rating_counts_ = counts.astype(np.int64)  # for top_n's min_ratings
        self.global_mean_ = 0.0
        self.rating_scale_ = (0.0, np.inf)
        return self


# --------------------------------------------------------------------------
# The tuned model
# --------------------------------------------------------------------------

#: The settings :func:`tuned_implicit_nmf` uses (all but ``random_state``),
#: chosen on a validation split of the *training* ratings only (see
#: ``benchmarks/implicit_topn.py`` and ``nmf_teach/data/benchmark_results/implicit_tuning.csv``).
IMPLICIT_TUNED_PARAMS: dict[str, float | int | bool] = {
    "n_factors": 100,
    "n_epochs": 20,
    "alpha": 10.0,
    "reg": 50.0,
    "rating_confidence": True,
}


def tuned_implicit_nmf(random_state: int | np.random.RandomState | None = 0) -> ImplicitNMF:
    """The course's tuned implicit-feedback NMF, unfitted.

    Returns ``ImplicitNMF(**IMPLICIT_TUNED_PARAMS, random_state=random_state)``:
    100 non-negative factors of the 0/1 interaction matrix, confidence
    ``1 + 10 r_ui / r_max`` on the ones, weight 1 on the zeros, penalty 50 on
    every factor row, 20 epochs of projected coordinate descent. Call
    ``.fit(ratings_df)`` on a (user, item, rating) table.

    How the settings were chosen: MovieLens small, notebook 12's 80/20 split
    (seed 0); its *training* ratings were split again 80/20 (seed 100) and the
    grid of ``benchmarks/implicit_topn.py --tune`` was scored by precision@10
    on that validation part (relevant: rated >= 4); the best setting of the
    grid was then changed one setting at a time, and the best of all rows
    (here: 20 epochs instead of 10) was kept. The test ratings were not used.
    Every row is in ``nmf_teach/data/benchmark_results/implicit_tuning.csv``. Explained in
    ``notebooks/15_implicit_feedback.ipynb``.

    Examples
    --------
    >>> from nmf_teach.implicit import tuned_implicit_nmf
    >>> from nmf_teach.datasets import surprise_example_ratings
    >>> model = tuned_implicit_nmf().fit(surprise_example_ratings())
    >>> bool((model.qi_ >= 0).all())
    True
    """
    return ImplicitNMF(**IMPLICIT_TUNED_PARAMS, random_state=random_state)
