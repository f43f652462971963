"""Tests for nmf_teach.multiplicative (Lee & Seung multiplicative updates)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nmf_teach.multiplicative import masked_loss, multiplicative_updates, update_U, update_V

# Every test here turns warnings (numpy's divide/invalid/overflow included) into errors.
pytestmark = pytest.mark.filterwarnings("error")

# The source text's example: 0 means "not rated"; nobody rated movie 3.
SOURCE_R = np.array([[5.0, 3.0, 0.0], [4.0, 0.0, 0.0], [1.0, 1.0, 0.0]])


def assert_non_increasing(losses: np.ndarray, R: np.ndarray) -> None:
    """Each loss <= the previous one, up to float rounding.

    Rounding leaves residuals of a few ulps of the largest rating even at an exact
    fit (a loss of ~1e-32 for ratings ~5 may wobble); allow that, plus a 1e-12
    relative slack.
    """
    scale = float(np.nanmax(R))
    atol = R.size * (1e-13 * scale) ** 2
    assert np.all(losses[1:] <= losses[:-1] * (1 + 1e-12) + atol), losses


# ---------------------------------------------------------------- exact values


def test_one_iteration_by_hand_unmasked():
    # R = [[1, 2], [3, 4]], k = 1, U0 = V0 = [1, 1]ᵀ.
    # U: num = R V = [3, 7], den = (U Vᵀ) V = [2, 2]           -> U1 = [3/2, 7/2]
    # V: num = Rᵀ U1 = [12, 17], den = (U1 Vᵀ)ᵀ U1 = [29/2]*2  -> V1 = [24/29, 34/29]
    # residuals R - U1 V1ᵀ = [[-7, 7], [3, -3]] / 29           -> loss = 116 / 29² / 2 = 2/29
    R = np.array([[1.0, 2.0], [3.0, 4.0]])
    U, V, losses = multiplicative_updates(R, 1, n_epochs=1, init=(np.ones((2, 1)), np.ones((2, 1))))
    np.testing.assert_allclose(U, [[1.5], [3.5]], rtol=1e-15)
    np.testing.assert_allclose(V, [[24 / 29], [34 / 29]], rtol=1e-15)
    np.testing.assert_allclose(losses, [2 / 29], rtol=1e-14)


def test_one_iteration_by_hand_masked():
    # Same R with R[1, 1] missing, k = 1, U0 = V0 = [1, 1]ᵀ.
    # U: num = [1 + 2, 3] = [3, 3], den = [2, 1]                     -> U1 = [3/2, 3]
    # V: num = [1.5 + 9, 3] = [10.5, 3], den = [2.25 + 9, 2.25]      -> V1 = [14/15, 4/3]
    # predictions on observed entries: 1.4, 2, 2.8 -> loss = (0.4² + 0 + 0.2²) / 2 = 0.1
    R = np.array([[1.0, 2.0], [3.0, np.nan]])
    U, V, losses = multiplicative_updates(R, 1, n_epochs=1, init=(np.ones((2, 1)), np.ones((2, 1))))
    np.testing.assert_allclose(U, [[1.5], [3.0]], rtol=1e-15)
    np.testing.assert_allclose(V, [[14 / 15], [4 / 3]], rtol=1e-15)
    np.testing.assert_allclose(losses, [0.1], rtol=1e-14)


def _one_iteration_with_loops(R, W, U, V):
    """Lee & Seung's weighted updates written entry by entry, without numpy algebra."""
    m, n = R.shape
    k = U.shape[1]
    U, V = U.copy(), V.copy()

    def pred(i, j):
        return sum(U[i, a] * V[j, a] for a in range(k))

    newU = U.copy()
    for i in range(m):
        for a in range(k):
            num = sum(R[i, j] * V[j, a] for j in range(n) if W[i, j])
            den = sum(pred(i, j) * V[j, a] for j in range(n) if W[i, j])
            newU[i, a] = U[i, a] * num / den
    U = newU
    newV = V.copy()
    for j in range(n):
        for a in range(k):
            num = sum(R[i, j] * U[i, a] for i in range(m) if W[i, j])
            den = sum(pred(i, j) * U[i, a] for i in range(m) if W[i, j])
            newV[j, a] = V[j, a] * num / den
    V = newV
    loss = 0.5 * sum((R[i, j] - pred(i, j)) ** 2 for i in range(m) for j in range(n) if W[i, j])
    return U, V, loss


def test_iterations_match_entrywise_formula():
    rng = np.random.RandomState(7)
    R = rng.uniform(0, 5, (4, 5))
    W = rng.uniform(size=R.shape) < 0.7
    W[:, 0] = W[0, :] = True  # every denominator > 0 so the plain formula applies
    U, V = rng.uniform(0.1, 1, (4, 3)), rng.uniform(0.1, 1, (5, 3))
    U_fit, V_fit, losses = multiplicative_updates(R, 3, observed=W, n_epochs=3, init=(U, V))
    for t in range(3):
        U, V, loss = _one_iteration_with_loops(R, W, U, V)
        np.testing.assert_allclose(losses[t], loss, rtol=1e-12)
    np.testing.assert_allclose(U_fit, U, rtol=1e-12)
    np.testing.assert_allclose(V_fit, V, rtol=1e-12)


def test_update_functions_and_masked_loss():
    rng = np.random.RandomState(1)
    R = rng.uniform(0, 5, (3, 4))
    W = np.ones(R.shape, dtype=bool)
    U, V = rng.uniform(0, 1, (3, 2)), rng.uniform(0, 1, (4, 2))
    U1 = update_U(R, W, U, V)
    np.testing.assert_allclose(U1, U * (R @ V) / (U @ V.T @ V), rtol=1e-14)
    np.testing.assert_allclose(update_V(R, W, U1, V), V * (R.T @ U1) / (V @ U1.T @ U1), rtol=1e-14)
    assert masked_loss(R, W, U, V) == pytest.approx(0.5 * np.sum((R - U @ V.T) ** 2), rel=1e-14)
    # unobserved entries are ignored, even NaN ones
    W[0, 0] = False
    R[0, 0] = np.nan
    expected = 0.5 * np.sum(((R - U @ V.T) ** 2)[W])
    assert masked_loss(R, W, U, V) == pytest.approx(expected, rel=1e-14)


# ------------------------------------------------------------------ behaviour


def test_exact_rank_k_matrix_is_fitted():
    rng = np.random.RandomState(0)
    A, B = rng.uniform(0, 1, (6, 2)), rng.uniform(0, 1, (5, 2))
    R = A @ B.T
    U, V, losses = multiplicative_updates(R, 2, n_epochs=300, random_state=0)
    assert losses[-1] < 1e-20 * masked_loss(R, np.ones(R.shape, bool), 0 * A, B)
    np.testing.assert_allclose(U @ V.T, R, atol=1e-10)
    assert_non_increasing(losses, R)


def test_observed_all_true_equals_unmasked():
    R = np.random.RandomState(2).uniform(0, 5, (5, 4))
    plain = multiplicative_updates(R, 2, n_epochs=20, random_state=3)
    masked = multiplicative_updates(
        R, 2, observed=np.ones(R.shape, bool), n_epochs=20, random_state=3
    )
    for a, b in zip(plain, masked, strict=True):
        np.testing.assert_array_equal(a, b)


def test_nan_is_the_same_as_observed_false():
    rng = np.random.RandomState(4)
    R = rng.uniform(0, 5, (5, 6))
    observed = rng.uniform(size=R.shape) < 0.6
    with_mask = multiplicative_updates(R, 2, observed=observed, n_epochs=20, random_state=1)
    R_nan = np.where(observed, R, np.nan)
    with_nan = multiplicative_updates(R_nan, 2, n_epochs=20, random_state=1)
    # NaN and observed=False combine by AND
    both = multiplicative_updates(R_nan, 2, observed=observed | True, n_epochs=20, random_state=1)
    for a, b, c in zip(with_mask, with_nan, both, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert np.isnan(R_nan).any()  # the input is not modified


def test_source_text_example_and_its_unrated_movie():
    # Movie 3 (column 2) was rated by nobody. Its row of V only appears in V's
    # update as V[2] * 0 / 0: numerator (W∘R)ᵀU and denominator (W∘UVᵀ)ᵀU sum
    # over the users who rated it, and there are none. The loss does not depend
    # on V[2] at all, so it keeps its initial value, bit for bit: the "predicted"
    # ratings of movie 3 are just U @ V0[2], an artefact of the random start.
    U0, V0, _ = multiplicative_updates(
        SOURCE_R, 2, observed=SOURCE_R > 0, n_epochs=0, random_state=0
    )
    U, V, losses = multiplicative_updates(
        SOURCE_R, 2, observed=SOURCE_R > 0, n_epochs=500, random_state=0
    )
    assert np.isfinite(U).all() and np.isfinite(V).all() and (U >= 0).all() and (V >= 0).all()
    np.testing.assert_array_equal(V[2], V0[2])
    assert (V0[2] > 0).all()
    assert_non_increasing(losses, SOURCE_R)
    # 5 ratings, 2 factors: the observed ratings are fitted (almost) exactly
    observed = SOURCE_R > 0
    np.testing.assert_allclose((U @ V.T)[observed], SOURCE_R[observed], atol=1e-8)


def test_zero_rows_and_unobserved_users_stay_finite():
    rng = np.random.RandomState(5)
    R = rng.uniform(1, 5, (5, 4))
    R[1] = 0.0  # user 1 rated everything 0 (observed zeros)
    observed = np.ones(R.shape, dtype=bool)
    observed[3] = False  # user 3 rated nothing
    observed[:, 2] = False  # item 2 rated by nobody
    U0, V0, _ = multiplicative_updates(R, 3, observed=observed, n_epochs=0, random_state=2)
    U, V, losses = multiplicative_updates(R, 3, observed=observed, n_epochs=50, random_state=2)
    assert np.isfinite(U).all() and np.isfinite(V).all() and np.isfinite(losses).all()
    np.testing.assert_array_equal(U[1], 0.0)  # numerator 0, denominator > 0
    np.testing.assert_array_equal(U[3], U0[3])  # 0/0: kept
    np.testing.assert_array_equal(V[2], V0[2])  # 0/0: kept
    assert_non_increasing(losses, R)


def test_all_observed_ratings_zero():
    R = np.zeros((3, 2))
    U, V, losses = multiplicative_updates(R, 2, n_epochs=5, random_state=0)
    np.testing.assert_array_equal(U, 0.0)  # the random start is scaled by mean(R) = 0
    np.testing.assert_array_equal(V, 0.0)
    np.testing.assert_array_equal(losses, 0.0)


def test_initialization_and_n_epochs_zero():
    R = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
    U, V, losses = multiplicative_updates(R, 2, n_epochs=0, random_state=9)
    scale = np.sqrt(np.nanmean(R) / 2)
    rng = np.random.RandomState(9)
    np.testing.assert_array_equal(U, scale * rng.uniform(0, 1, (2, 2)))
    np.testing.assert_array_equal(V, scale * rng.uniform(0, 1, (3, 2)))
    assert losses.shape == (0,)
    # a RandomState instance works like its seed
    U2, V2, _ = multiplicative_updates(R, 2, n_epochs=0, random_state=np.random.RandomState(9))
    np.testing.assert_array_equal(U, U2)
    np.testing.assert_array_equal(V, V2)
    # init is copied, never modified in place
    U0, V0 = np.ones((2, 2)), np.ones((3, 2))
    U, V, _ = multiplicative_updates(R, 2, n_epochs=0, init=(U0, V0))
    assert U is not U0 and V is not V0
    multiplicative_updates(R, 2, n_epochs=3, init=(U0, V0))
    np.testing.assert_array_equal(U0, 1.0)
    np.testing.assert_array_equal(V0, 1.0)


def test_eps_keeps_fixed_points_but_denominator_only_eps_does_not():
    rng = np.random.RandomState(3)
    A, B = rng.uniform(0, 1, (4, 2)), rng.uniform(0, 1, (5, 2))
    R = A @ B.T  # exact fit: loss 0 at (A, B)
    W = np.ones(R.shape, dtype=bool)
    eps = 1e-6
    # the common trick num / (den + eps) shrinks U and the loss goes up
    shrunk = A * (R @ B) / (A @ B.T @ B + eps)
    assert masked_loss(R, W, shrunk, B) > 1e-16
    # (num + eps) / (den + eps) is a shorter gradient step: (A, B) stays put
    U, V, losses = multiplicative_updates(R, 2, n_epochs=5, init=(A, B), eps=eps)
    np.testing.assert_allclose(U, A, rtol=1e-14)
    np.testing.assert_allclose(V, B, rtol=1e-14)
    assert losses.max() < 1e-28


def test_eps_still_converges():
    R = np.random.RandomState(8).uniform(0, 5, (6, 5))
    _, _, plain = multiplicative_updates(R, 2, n_epochs=100, random_state=0)
    _, _, damped = multiplicative_updates(R, 2, n_epochs=100, random_state=0, eps=1e-3)
    assert_non_increasing(damped, R)
    assert damped[-1] == pytest.approx(plain[-1], rel=1e-2)


# ------------------------------------------------------------ property tests


@st.composite
def problems(draw):
    m = draw(st.integers(1, 6))
    n = draw(st.integers(1, 6))
    value = st.one_of(st.just(0.0), st.floats(0, 5, allow_nan=False, allow_infinity=False))
    R = draw(arrays(np.float64, (m, n), elements=value))
    observed = draw(arrays(np.bool_, (m, n)))
    observed.flat[draw(st.integers(0, m * n - 1))] = True
    return R, observed


settings_ = settings(max_examples=60, deadline=None)


@settings_
@given(
    problem=problems(),
    k=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    eps=st.sampled_from([0.0, 1e-9, 1.0]),
)
def test_factors_nonnegative_finite_and_loss_never_increases(problem, k, seed, eps):
    R, observed = problem
    U0, V0, _ = multiplicative_updates(R, k, observed=observed, n_epochs=0, random_state=seed)
    U, V, losses = multiplicative_updates(
        R, k, observed=observed, n_epochs=25, random_state=seed, eps=eps
    )
    assert U.shape == (R.shape[0], k) and V.shape == (R.shape[1], k) and losses.shape == (25,)
    for X in (U, V, losses):
        assert np.isfinite(X).all() and (X >= 0).all()
    start = masked_loss(R, observed, U0, V0)
    assert_non_increasing(np.concatenate([[start], losses]), R)
    np.testing.assert_allclose(losses[-1], masked_loss(R, observed, U, V), rtol=1e-12)


@settings_
@given(problem=problems(), k=st.integers(1, 3), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_unobserved_values_change_nothing_and_seed_is_reproducible(problem, k, seed, data):
    R, observed = problem
    fit = multiplicative_updates(R, k, observed=observed, n_epochs=10, random_state=seed)
    again = multiplicative_updates(R, k, observed=observed, n_epochs=10, random_state=seed)
    noise = data.draw(arrays(np.float64, R.shape, elements=st.floats(0, 100)))
    other = multiplicative_updates(
        np.where(observed, R, noise), k, observed=observed, n_epochs=10, random_state=seed
    )
    as_nan = multiplicative_updates(
        np.where(observed, R, np.nan), k, n_epochs=10, random_state=seed
    )
    for a, b, c, d in zip(fit, again, other, as_nan, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(a, d)


# ---------------------------------------------------------------- bad inputs


R_OK = np.array([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"R": [1.0, 2.0]}, ValueError, "must be 2-D"),
        ({"R": np.zeros((0, 3))}, ValueError, "is empty"),
        ({"R": [[1.0, np.inf]]}, ValueError, "contains inf"),
        ({"R": [[1.0, -2.0]]}, ValueError, "negative entries"),
        ({"R": [["a", "b"]]}, TypeError, "numeric 2-D array"),
        ({"R": [[np.nan, np.nan]]}, ValueError, "no observed entry"),
        ({"observed": np.zeros((2, 2), bool)}, ValueError, "no observed entry"),
        ({"observed": np.ones((2, 2))}, TypeError, "boolean mask"),
        ({"observed": np.ones((2, 3), bool)}, ValueError, r"shape \(2, 3\) but R has shape"),
        ({"n_factors": 0}, ValueError, "n_factors must be >= 1"),
        ({"n_factors": 1.5}, TypeError, "n_factors must be an integer"),
        ({"n_epochs": -1}, ValueError, "n_epochs must be >= 0"),
        ({"n_epochs": 2.0}, TypeError, "n_epochs must be an integer"),
        ({"random_state": "seed"}, TypeError, "random_state must be"),
        ({"random_state": np.random.default_rng(0)}, TypeError, "random_state must be"),
        ({"init": np.ones((2, 2))}, TypeError, r"pair \(U0, V0\)"),
        ({"init": (np.ones((2, 1)), np.ones((2, 2)))}, ValueError, r"U0 must have shape \(2, 2\)"),
        ({"init": (np.ones((2, 2)), np.ones((3, 2)))}, ValueError, r"V0 must have shape \(2, 2\)"),
        ({"init": (-np.ones((2, 2)), np.ones((2, 2)))}, ValueError, "U0 has negative"),
        ({"init": (np.ones((2, 2)), np.full((2, 2), np.nan))}, ValueError, "V0 contains NaN"),
        ({"init": (np.ones((2, 2)), [["x", "y"]] * 2)}, TypeError, "V0 must be a numeric"),
        ({"eps": -1e-9}, ValueError, "eps must be finite and >= 0"),
        ({"eps": np.nan}, ValueError, "eps must be finite and >= 0"),
        ({"eps": "small"}, TypeError, "eps must be a real number"),
    ],
)
def test_bad_inputs(kwargs, error, match):
    args = {"R": R_OK, "n_factors": 2, **kwargs}
    R, n_factors = args.pop("R"), args.pop("n_factors")
    with pytest.raises(error, match=match):
        multiplicative_updates(R, n_factors, **args)
