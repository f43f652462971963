"""Lee & Seung multiplicative updates for NMF with missing entries.

We look for non-negative factors ``U`` (m x k, one row per user) and ``V``
(n x k, one row per item) with ``R ≈ U Vᵀ``, judging the fit only on the
observed entries. With ``W`` the 0/1 mask of observed entries and ``∘`` the
entry-wise product, the objective is::

    L(U, V) = ½ ‖W ∘ (R − U Vᵀ)‖²_F

and one iteration applies, in this order (``/`` is entry-wise)::

    U ← U ∘ ((W∘R) V)   / ((W∘(U Vᵀ)) V)
    V ← V ∘ ((W∘R)ᵀ U)  / ((W∘(U Vᵀ))ᵀ U)      (with the new U)

Why it works:

* **Non-negativity for free.** ``R``, ``U`` and ``V`` are >= 0, so numerator and
  denominator are >= 0 and each entry is multiplied by a non-negative ratio.
* **A gradient step.** ``∂L/∂U = (W∘(UVᵀ)) V − (W∘R) V = denominator − numerator``,
  so ``U − η ∘ ∂L/∂U`` with the per-entry step size ``η = U / denominator`` is
  exactly the update above. The same holds for ``V``.
* **The loss never increases** (up to float rounding; Lee & Seung's theorem,
  which carries over to the mask unchanged): for fixed ``V`` each row of ``U``
  is updated to the minimiser of a quadratic upper bound of ``L`` that touches
  ``L`` at the current ``U``. That bound is a sum of one term per entry, so leaving some
  entries unchanged (see zero denominators below) is still never worse.

Zero denominators. ``(W∘(UVᵀ)) V`` is a sum of non-negative terms; when an
entry of it is 0, either that entry of ``U`` is already 0 (and a multiplicative
update keeps a 0 at 0 whatever the ratio), or that factor meets no observed
rating with a non-zero partner, so its gradient and the numerator are 0 too
(0/0: ``L`` does not depend on it). In both cases we keep the entry as it is, so
no NaN, inf or warning can appear. A user or item with no observed rating (an
empty row or column of ``W``) therefore keeps its initial factors forever.

Reference: D. D. Lee and H. S. Seung, "Algorithms for Non-negative Matrix
Factorization", Advances in Neural Information Processing Systems 13 (2001).
Derived step by step in ``notebooks/05_learning_u_and_v.ipynb``; the mask and
the never-rated item in ``notebooks/06_missing_ratings.ipynb``.
"""

from __future__ import annotations

import numbers

import numpy as np

from nmf_teach._validation import check_matrix, check_positive_int, check_random_state

__all__ = ["masked_loss", "multiplicative_updates", "update_U", "update_V"]


def masked_loss(R: np.ndarray, W: np.ndarray, U: np.ndarray, V: np.ndarray) -> float:
    """Return ``½ ‖W ∘ (R − U Vᵀ)‖²_F``, the squared error on observed entries.

    ``R`` and the boolean mask ``W`` are m x n, ``U`` is m x k, ``V`` is n x k.
    Entries where ``W`` is False are ignored, whatever they hold (even NaN).
    """
    residual = np.where(W, R - U @ V.T, 0.0)
    return 0.5 * float(np.sum(residual**2))


def _multiply_by_ratio(
    X: np.ndarray, numer: np.ndarray, denom: np.ndarray, eps: float
) -> np.ndarray:
    """Return ``X ∘ (numer + eps) / (denom + eps)``, keeping ``X`` where the denominator is 0."""
    numer = numer + eps
    denom = denom + eps
    # (X * numer) / denom rather than X * (numer / denom): a tiny denominator
    # comes with a tiny X, so this order cannot overflow.
    return np.divide(X * numer, denom, out=X.copy(), where=denom > 0)


def update_U(
    R: np.ndarray, W: np.ndarray, U: np.ndarray, V: np.ndarray, eps: float = 0.0
) -> np.ndarray:
    """One multiplicative update of the user factors (``V`` fixed); returns a new array.

    ``U ← U ∘ ((W∘R) V) / ((W∘(U Vᵀ)) V)``. ``R`` and the boolean mask ``W`` are
    m x n (unobserved entries of ``R`` are ignored, NaN included), ``U`` is m x k,
    ``V`` is n x k. Where the denominator is 0 the entry of ``U`` is kept (see the
    module docstring). ``eps`` is added to numerator and denominator, see
    :func:`multiplicative_updates`.
    """
    numer = np.where(W, R, 0.0) @ V
    denom = np.where(W, U @ V.T, 0.0) @ V
    return _multiply_by_ratio(U, numer, denom, eps)


def update_V(
    R: np.ndarray, W: np.ndarray, U: np.ndarray, V: np.ndarray, eps: float = 0.0
) -> np.ndarray:
    """One multiplicative update of the item factors (``U`` fixed); returns a new array.

    ``V ← V ∘ ((W∘R)ᵀ U) / ((W∘(U Vᵀ))ᵀ U)``: since ``Rᵀ ≈ V Uᵀ``, this is
    :func:`update_U` applied to the transposed problem.
    """
    return update_U(R.T, W.T, V, U, eps)


def _check_eps(eps: object) -> float:
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"eps must be a real number, got {eps!r}")
    if not np.isfinite(eps) or eps < 0:
        raise ValueError(f"eps must be finite and >= 0, got {eps}")
    return float(eps)


def _observed_mask(R: np.ndarray, observed: object) -> np.ndarray:
    """Combine ``observed`` (default: everything) with "NaN means missing"."""
    W = ~np.isnan(R)
    if observed is not None:
        observed = np.asarray(observed)
        if observed.dtype != np.bool_:
            raise TypeError(
                f"observed must be a boolean mask (True = rating observed), got dtype "
                f"{observed.dtype}; build it with e.g. observed = R > 0"
            )
        if observed.shape != R.shape:
            raise ValueError(f"observed has shape {observed.shape} but R has shape {R.shape}")
        W &= observed
    if not W.any():
        raise ValueError(
            "R has no observed entry (all masked out by observed or NaN); there is nothing to fit"
        )
    return W


def _initial_factors(R, W, n_factors, random_state, init):
    """Return copies of ``init`` after checking them, or random factors."""
    m, n = R.shape
    if init is not None:
        if not isinstance(init, (tuple, list)) or len(init) != 2:
            raise TypeError("init must be a pair (U0, V0) of arrays")
        factors = []
        for name, X, rows in (("U0", init[0], m), ("V0", init[1], n)):
            try:
                X = np.array(X, dtype=np.float64, copy=True)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"init {name} must be a numeric array: {exc}") from None
            if X.shape != (rows, n_factors):
                raise ValueError(
                    f"init {name} must have shape ({rows}, {n_factors}), got {X.shape}"
                )
            if not np.isfinite(X).all():
                raise ValueError(f"init {name} contains NaN or inf; initial factors must be finite")
            if (X < 0).any():
                raise ValueError(f"init {name} has negative entries; NMF factors must be >= 0")
            factors.append(X)
        return factors[0], factors[1]

    rng = check_random_state(random_state)
    # uniform(0, 1) entries times sqrt(mean / k): each entry of U Vᵀ is then a sum
    # of k products averaging mean / (4k), i.e. about mean / 4, the scale of R.
    scale = np.sqrt(R[W].mean() / n_factors)
    U = scale * rng.uniform(0, 1, (m, n_factors))
    V = scale * rng.uniform(0, 1, (n, n_factors))
    return U, V


def multiplicative_updates(
    R,
    n_factors,
    *,
    observed=None,
    n_epochs=200,
    random_state=None,
    init=None,
    eps=0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit ``R ≈ U Vᵀ`` with non-negative ``U``, ``V`` by Lee & Seung's updates.

    Minimises ``½ ‖W ∘ (R − U Vᵀ)‖²_F`` over the observed entries ``W`` by
    alternating :func:`update_U` then :func:`update_V`; see the module docstring
    for the rules and why they work.

    Parameters
    ----------
    R : array_like, shape (m, n)
        Dense ratings, finite and >= 0. NaN entries mean "missing".
    n_factors : int >= 1
        Number of latent factors ``k``.
    observed : bool array_like, shape (m, n), optional
        True where the rating is observed. Combined with "not NaN" by AND;
        default: every non-NaN entry. For the usual "0 means not rated"
        convention pass ``observed=R > 0``. At least one entry must be observed.
    n_epochs : int >= 0, default 200
        Number of iterations, or epochs (one update of ``U`` then one of ``V``). 0 returns
        the initial factors and an empty ``losses``.
    random_state : None, int or np.random.RandomState
        Seed for the random start (ignored when ``init`` is given): ``U`` then
        ``V`` are drawn by ``uniform(0, 1)`` from ``RandomState(random_state)``
        (a RandomState given is used as is; None: NumPy's global one) and
        multiplied by ``sqrt(mean of observed R / k)``, so that the entries of
        ``U Vᵀ`` start at the scale of the ratings (about their mean / 4).
    init : pair (U0, V0), optional
        Starting factors of shapes (m, k) and (n, k), finite and >= 0; copied.
        Entries that start at 0 stay 0 (a multiplicative update cannot move them).
    eps : float >= 0, default 0.0
        Added to both numerator and denominator: ``U ∘ (num + eps) / (den + eps)``.
        That is the gradient step with the shorter step size ``U / (den + eps)``,
        so the loss still never increases and the fixed points stay the same;
        0 gives Lee & Seung's updates exactly. (Adding eps to the denominator
        only, a common trick, does not keep this guarantee: at an exact fit it
        shrinks every factor and the loss goes up.)

    Returns
    -------
    U : ndarray, shape (m, k)
    V : ndarray, shape (n, k)
    losses : ndarray, shape (n_epochs,)
        ``losses[t]`` is the objective after iteration ``t + 1``; it never
        increases. The loss of the start is ``masked_loss(R, W, U0, V0)``,
        which ``n_epochs=0`` lets you compute.

    Raises
    ------
    ValueError
        Bad values: R not 2-D, empty, with inf or negative entries; mask of the
        wrong shape or with nothing observed; n_factors < 1; n_epochs < 0; bad
        ``init`` shapes or values; eps < 0 or not finite.
    TypeError
        Wrong kinds: non-boolean mask, non-integer counts, bad ``random_state``
        or ``init`` container, non-numeric ``eps``.
    """
    R = check_matrix(R)
    n_factors = check_positive_int(n_factors, "n_factors")
    n_epochs = check_positive_int(n_epochs, "n_epochs", minimum=0)
    eps = _check_eps(eps)
    W = _observed_mask(R, observed)
    U, V = _initial_factors(R, W, n_factors, random_state, init)

    losses = np.empty(n_epochs)
    for t in range(n_epochs):
        U = update_U(R, W, U, V, eps)
        V = update_V(R, W, U, V, eps)
        losses[t] = masked_loss(R, W, U, V)
    return U, V, losses
