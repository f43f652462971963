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

How it runs: one epoch is one call of ``_epoch``, a plain Python function
that numba compiles to machine code (``@njit``). It works in two phases, each
two jobs that run side by side on two cores (``prange(2)``): first the
estimates (with ``biased=True``, Surprise's bias steps, one rating after the
other) next to the numerators of the updates, which do not need the estimates;
then the denominators and the updates of the users next to those of the items.
Every sum adds its terms in Surprise's order, so the fit is Surprise's to the
last bit. The kernel also runs as ordinary Python (``_epoch.py_func``, or with
the environment variable ``NUMBA_DISABLE_JIT=1``), to step through in a
debugger. The first call of a new environment compiles the kernels (about
10 s); the machine code is cached next to the module and loaded afterwards.
``benchmarks/bench_fit.py`` measures the speed against Surprise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from ._factor_model import FactorModel, PredictionDetails
from ._validation import check_factor_model_params, check_random_state

__all__ = ["NMF", "PredictionDetails"]


# --------------------------------------------------------------------------
# The kernel of one epoch. Ratings are in user order (see _ratings_index):
# the ratings of user u are r in range(user_ptr[u], user_ptr[u + 1]).
# --------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def _epoch(
    biased: bool,
    user_ptr: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    user_counts: np.ndarray,
    item_counts: np.ndarray,
    pu: np.ndarray,
    qi: np.ndarray,
    pu_next: np.ndarray,
    qi_next: np.ndarray,
    mu: float,
    bu: np.ndarray,
    bi: np.ndarray,
    lr_bu: float,
    lr_bi: float,
    reg_bu: float,
    reg_bi: float,
    reg_pu: float,
    reg_qi: float,
    est: np.ndarray,
    user_num: np.ndarray,
    user_den: np.ndarray,
    item_num: np.ndarray,
    item_den: np.ndarray,
) -> None:
    """One epoch of Surprise's ``NMF.sgd``: the new factors go into ``pu_next``, ``qi_next``.

    Shapes: ``pu``, ``pu_next``, ``user_num``, ``user_den`` ``(n_users, k)``;
    ``qi``, ``qi_next``, ``item_num``, ``item_den`` ``(n_items, k)``; ``est``
    ``(n_ratings,)``. The work comes in two phases of two jobs each; ``prange(2)``
    runs the two jobs of a phase at the same time, on two cores. No job writes
    what the other job of its phase reads or writes, and every sum adds its terms
    in user order, the order Surprise adds them in, so the result is Surprise's
    to the last bit.

    Phase 1. Job 0, the estimates: ``est[r] = p_u . q_i``, or with ``biased``
    ``est[r] = mu + b_u + b_i + p_u . q_i`` followed by Surprise's SGD steps on
    the two biases, one rating after the other (each step moves the biases the
    next rating reads). Job 1, the numerators, which do not need the estimates:
    ``user_num[u] = sum_i r_ui q_i`` and ``item_num[i] = sum_u r_ui p_u``.

    Phase 2. Job 0, the users: ``user_den[u] = sum_i est_ui q_i``, then
    ``p_uf <- p_uf * user_num[u, f] / (user_den[u, f] + |I_u| reg_pu p_uf)``.
    Job 1, the items, alike with ``sum_u est_ui p_u``, ``|U_i|`` and ``reg_qi``.
    The new factors go into the ``_next`` arrays, because the other job still
    reads the old ones. A factor that is 0 stays 0 (Surprise never updates it),
    and a zero denominator (possible when a penalty is 0, or in the biased model,
    whose estimates can be negative) leaves the factor unchanged, not NaN.
    """
    k = pu.shape[1]
    n_users, n_items = len(user_ptr) - 1, qi.shape[0]
    for job in prange(2):  # phase 1
        if job == 0:  # the estimates (and the bias steps)
            for u in range(n_users):
                for r in range(user_ptr[u], user_ptr[u + 1]):
                    i = items[r]
                    dot = 0.0
                    for f in range(k):
                        dot += qi[i, f] * pu[u, f]
                    if biased:
                        est[r] = mu + bu[u] + bi[i] + dot
                        err = ratings[r] - est[r]
                        bu[u] += lr_bu * (err - reg_bu * bu[u])
                        bi[i] += lr_bi * (err - reg_bi * bi[i])
                    else:
                        est[r] = dot
        else:  # the numerators
            item_num[:] = 0.0
            for u in range(n_users):
                user_num[u] = 0.0
                for r in range(user_ptr[u], user_ptr[u + 1]):
                    i = items[r]
                    for f in range(k):
                        user_num[u, f] += qi[i, f] * ratings[r]
                        item_num[i, f] += pu[u, f] * ratings[r]
    for job in prange(2):  # phase 2
        if job == 0:  # the users: denominators, then the step
            for u in range(n_users):
                user_den[u] = 0.0
                for r in range(user_ptr[u], user_ptr[u + 1]):
                    i = items[r]
                    for f in range(k):
                        user_den[u, f] += qi[i, f] * est[r]
                for f in range(k):
                    pu_next[u, f] = pu[u, f]
                    if pu[u, f] != 0.0:
                        den = user_den[u, f] + user_counts[u] * reg_pu * pu[u, f]
                        if den != 0.0:
                            pu_next[u, f] = pu[u, f] * (user_num[u, f] / den)
        else:  # the items: denominators, then the step
            item_den[:] = 0.0
            for u in range(n_users):
                for r in range(user_ptr[u], user_ptr[u + 1]):
                    i = items[r]
                    for f in range(k):
                        item_den[i, f] += pu[u, f] * est[r]
            for i in range(n_items):
                for f in range(k):
                    qi_next[i, f] = qi[i, f]
                    if qi[i, f] != 0.0:
                        den = item_den[i, f] + item_counts[i] * reg_qi * qi[i, f]
                        if den != 0.0:
                            qi_next[i, f] = qi[i, f] * (item_num[i, f] / den)


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
        Add a global mean and user/item biases, learned by SGD (in ``_epoch``).
        The bias updates are sequential (each rating's estimate uses the biases
        moved by the previous rating), so that one loop runs on one core.
        Prone to overfitting on small data (as Surprise warns).
    reg_pu, reg_qi : float, default 0.06
        Regularization of user and item factors.
    reg_bu, reg_bi : float, default 0.02
        Regularization of user and item biases (``biased=True`` only).
    lr_bu, lr_bi : float, default 0.005
        Learning rates of the biases (``biased=True`` only).
    init_low, init_high : float, default 0 and 1
        Factors start uniform in ``[init_low, init_high)``.
    random_state : int, numpy RandomState or None, default None
        The random numbers of the initialization: an int seeds a new
        ``np.random.RandomState``, a RandomState is used as is, None uses
        NumPy's global one (``np.random.seed``), as Surprise does.

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
    n_ratings_ : int
        Number of training ratings.

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

    def fit(
        self, data: Any, rating_scale: tuple[float, float] | None = None, *, columns: Any = None
    ) -> NMF:
        """Learn the factors from ratings; returns ``self``.

        Parameters
        ----------
        data : pandas.DataFrame or surprise.Trainset
            Ratings: a DataFrame with columns ``user``, ``item``, ``rating``
            (found by name; a frame with none of those names is read by position,
            user id, item id, rating first, as ``surprise.Dataset.load_from_df``
            takes), or a Surprise trainset.
        rating_scale : (low, high), optional
            Predictions are clipped to it. Defaults to the trainset's scale, or
            to the ratings' (min, max) for a DataFrame.
        columns : (user, item, rating) column names, optional
            Other names to find the three columns by.
        """
        self._check_params()
        index, _ = self._index_ratings(data, rating_scale, columns=columns)
        n_users, n_items = len(self.user_ids_), len(self.item_ids_)
        self.global_mean_ = float(np.mean(index.ratings))

        rng = check_random_state(self.random_state)
        pu = rng.uniform(self.init_low, self.init_high, size=(n_users, self.n_factors))
        qi = rng.uniform(self.init_low, self.init_high, size=(n_items, self.n_factors))
        bu = np.zeros(n_users)
        bi = np.zeros(n_items)

        # Work arrays, allocated once: the next factors, the estimate of every
        # rating, and the per-user and per-item numerators and denominators.
        pu_next, qi_next = np.empty_like(pu), np.empty_like(qi)
        est = np.empty(len(index.ratings))
        user_num, user_den = np.empty_like(pu), np.empty_like(pu)
        item_num, item_den = np.empty_like(qi), np.empty_like(qi)
        for _ in range(self.n_epochs):
            _epoch(
                self.biased, index.user_ptr, index.items, index.ratings,
                index.user_counts, index.item_counts, pu, qi, pu_next, qi_next,
                self.global_mean_, bu, bi, self.lr_bu, self.lr_bi, self.reg_bu, self.reg_bi,
                self.reg_pu, self.reg_qi, est, user_num, user_den, item_num, item_den,
            )  # fmt: skip
            pu, pu_next = pu_next, pu  # the new factors become the current ones
            qi, qi_next = qi_next, qi

        self.pu_, self.qi_, self.bu_, self.bi_ = pu, qi, bu, bi
        return self
