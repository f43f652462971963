"""Tests for nmf_teach.implicit (ImplicitNMF, its numba kernels, tuned_implicit_nmf)
and the item-item cosine baseline it is compared with (nmf_teach.recommend)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from nmf_teach import ImplicitNMF, metrics, tuned_implicit_nmf
from nmf_teach._factor_model import FactorModel, _pair_scores
from nmf_teach.implicit import (
    IMPLICIT_TUNED_PARAMS,
    _gram,
    _row_losses,
    _update_rows,
    implicit_objective,
    interaction_matrix,
)
from nmf_teach.recommend import (
    item_cosine_top_n,
    popularity_top_n,
    top_n,
    top_n_all,
    top_n_from_scores,
)


def py(kernel):
    """The kernel's plain-Python function (also works with NUMBA_DISABLE_JIT=1)."""
    return getattr(kernel, "py_func", kernel)


def small_frame(seed: int = 0, n_users: int = 12, n_items: int = 9, density: float = 0.4):
    """A random (user, item, rating) table; users and items in sorted first appearance."""
    rng = np.random.RandomState(seed)
    mask = rng.rand(n_users, n_items) < density
    mask[np.arange(n_users), np.arange(n_users) % n_items] = True  # nobody empty
    mask[np.arange(n_items) % n_users, np.arange(n_items)] = True
    u, i = np.nonzero(mask)
    ratings = rng.randint(1, 11, size=len(u)) / 2.0
    return pd.DataFrame({"user": u, "item": i, "rating": ratings}), mask


def kernel_inputs(seed: int = 0, k: int = 3):
    frame, mask = small_frame(seed)
    n_users, n_items = mask.shape
    rng = np.random.RandomState(seed + 1)
    conf = 1.0 + 4.0 * rng.rand(len(frame))
    indptr, indices, data = interaction_matrix(
        frame["user"].to_numpy(), frame["item"].to_numpy(), conf, n_users, n_items
    )
    X = rng.rand(n_users, k)
    Y = rng.rand(n_items, k)
    col_w = rng.rand(n_items) + 0.5
    row_w = np.ones(n_users)
    row_reg = rng.rand(n_users) + 0.1
    return X, Y, indptr, indices, data, col_w, row_w, row_reg


# --------------------------------------------------------------------------
# Kernels: compiled against plain Python
# --------------------------------------------------------------------------


def test_interaction_matrix_is_csr_with_int32_indices():
    indptr, indices, data = interaction_matrix(
        np.array([1, 0, 1]), np.array([2, 1, 0]), np.array([5.0, 6.0, 7.0]), 2, 3
    )
    assert indices.dtype == np.int32
    np.testing.assert_array_equal(indptr, [0, 1, 3])
    np.testing.assert_array_equal(indices, [1, 0, 2])
    np.testing.assert_array_equal(data, [6.0, 7.0, 5.0])


def test_gram_kernel_matches_python_and_numpy():
    Y = kernel_inputs()[1]
    w = np.linspace(0.5, 2.0, len(Y))
    compiled = _gram(Y, w)
    np.testing.assert_allclose(compiled, py(_gram)(Y, w), rtol=1e-12)
    np.testing.assert_allclose(compiled, (Y * w[:, None]).T @ Y, rtol=1e-12)


def test_update_rows_kernel_matches_python():
    X, Y, indptr, indices, conf, col_w, row_w, row_reg = kernel_inputs()
    G = _gram(Y, col_w)
    X_compiled, X_python = X.copy(), X.copy()
    _update_rows(X_compiled, Y, indptr, indices, conf, col_w, row_w, G, row_reg, 2)
    py(_update_rows)(X_python, Y, indptr, indices, conf, col_w, row_w, G, row_reg, 2)
    np.testing.assert_allclose(X_compiled, X_python, rtol=1e-10, atol=1e-12)
    assert not np.allclose(X_compiled, X)  # it did update


def test_pair_scores_kernel_matches_python_and_numpy():
    X, Y, *_ = kernel_inputs()
    u = np.array([0, 3, 3, 11], dtype=np.int64)
    i = np.array([8, 0, 2, 8], dtype=np.int64)
    compiled = _pair_scores(X, Y, u, i)
    np.testing.assert_allclose(compiled, py(_pair_scores)(X, Y, u, i), rtol=1e-12)
    np.testing.assert_allclose(compiled, np.einsum("rf,rf->r", X[u], Y[i]), rtol=1e-12)


def test_predict_frame_matches_the_base_class():
    frame, _ = small_frame(10)
    model = ImplicitNMF(n_factors=3, n_epochs=3, random_state=0).fit(frame)
    pairs = pd.DataFrame({"user": [0, 5, "new", 2], "item": [1, 0, 1, "new"]})
    np.testing.assert_allclose(
        model.predict_frame(pairs), FactorModel.predict_frame(model, pairs), rtol=1e-12
    )
    with pytest.raises(ValueError, match="first two columns"):
        model.predict_frame(pairs[["user"]])


def test_row_losses_kernel_matches_python_and_dense_objective():
    X, Y, indptr, indices, conf, col_w, *_ = kernel_inputs()
    G = _gram(Y, col_w)
    compiled = _row_losses(X, Y, indptr, indices, conf, col_w, G)
    np.testing.assert_allclose(compiled, py(_row_losses)(X, Y, indptr, indices, conf, col_w, G))
    # dense: weight c_ui on the ones, w_i on the zeros
    weight = np.tile(col_w, (len(X), 1))
    target = np.zeros_like(weight)
    for u in range(len(X)):
        for t in range(indptr[u], indptr[u + 1]):
            weight[u, indices[t]] = conf[t]
            target[u, indices[t]] = 1.0
    dense = (weight * (target - X @ Y.T) ** 2).sum(axis=1)
    np.testing.assert_allclose(compiled, dense, rtol=1e-10)


# --------------------------------------------------------------------------
# One epoch against a per-entry reference written from the docstring
# --------------------------------------------------------------------------


def dense_problem(frame: pd.DataFrame, model: ImplicitNMF):
    """Y (0/1), the weight of every cell (c_ui on ones, w_i on zeros), reg per row."""
    users = pd.Index(model.user_ids_)
    items = pd.Index(model.item_ids_)
    u = users.get_indexer(frame["user"])
    i = items.get_indexer(frame["item"])
    Y = np.zeros((len(users), len(items)))
    Y[u, i] = 1.0
    counts = Y.sum(axis=0)
    zero_w = counts**model.zero_weight_exponent / (counts**model.zero_weight_exponent).mean()
    r = frame["rating"].to_numpy()
    c = 1.0 + model.alpha * (r / r.max() if model.rating_confidence else 1.0)
    W = np.tile(zero_w, (len(users), 1))
    W[u, i] = c
    u_counts = Y.sum(axis=1)
    e = model.reg_exponent
    reg_u = model.reg * u_counts**e / (u_counts**e).mean()
    reg_i = model.reg * counts**e / (counts**e).mean()
    return Y, W, reg_u, reg_i


def reference_epoch(Y, W, P, Q, reg_u, reg_i):
    """One epoch, coordinate by coordinate, from J = sum W (Y - P Q^T)^2 + reg ||.||^2."""
    P, Q = P.copy(), Q.copy()
    for u in range(P.shape[0]):
        for f in range(P.shape[1]):
            x = P[u] @ Q.T
            g = (W[u] * (x - Y[u]) * Q[:, f]).sum() + reg_u[u] * P[u, f]
            h = (W[u] * Q[:, f] ** 2).sum() + reg_u[u]
            P[u, f] = max(0.0, P[u, f] - g / h)
    for i in range(Q.shape[0]):
        for f in range(Q.shape[1]):
            x = P @ Q[i]
            g = (W[:, i] * (x - Y[:, i]) * P[:, f]).sum() + reg_i[i] * Q[i, f]
            h = (W[:, i] * P[:, f] ** 2).sum() + reg_i[i]
            Q[i, f] = max(0.0, Q[i, f] - g / h)
    return P, Q


@pytest.mark.parametrize(
    "params",
    [
        {"alpha": 3.0, "reg": 0.5},
        {"alpha": 5.0, "reg": 0.2, "rating_confidence": True, "zero_weight_exponent": 0.5},
        {"alpha": 2.0, "reg": 1.0, "reg_exponent": 0.5, "zero_weight_exponent": -0.3},
    ],
)
def test_one_epoch_matches_per_entry_reference(params):
    frame, _ = small_frame(3)
    one = ImplicitNMF(n_factors=3, n_epochs=1, random_state=7, **params).fit(frame)
    two = ImplicitNMF(n_factors=3, n_epochs=2, random_state=7, **params).fit(frame)
    Y, W, reg_u, reg_i = dense_problem(frame, one)
    Q0 = np.random.RandomState(7).uniform(0.0, one.init_high, size=(Y.shape[1], 3))
    P1, Q1 = reference_epoch(Y, W, np.zeros((Y.shape[0], 3)), Q0, reg_u, reg_i)
    np.testing.assert_allclose(one.pu_, P1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(one.qi_, Q1, rtol=1e-9, atol=1e-12)
    P2, Q2 = reference_epoch(Y, W, P1, Q1, reg_u, reg_i)
    np.testing.assert_allclose(two.pu_, P2, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(two.qi_, Q2, rtol=1e-8, atol=1e-12)
    # objective_ is J of the docstring
    J = (W * (Y - P2 @ Q2.T) ** 2).sum() + reg_u @ (P2**2).sum(1) + reg_i @ (Q2**2).sum(1)
    np.testing.assert_allclose(two.objective_[-1], J, rtol=1e-10)


def test_objective_never_increases_and_factors_non_negative():
    frame, _ = small_frame(1, n_users=30, n_items=20, density=0.3)
    model = ImplicitNMF(n_factors=5, n_epochs=30, alpha=8.0, reg=0.1, random_state=0).fit(frame)
    objective = np.array(model.objective_)
    assert len(objective) == 30
    assert (np.diff(objective) <= 1e-9 * objective[:-1]).all()
    assert (model.pu_ >= 0).all() and (model.qi_ >= 0).all()
    assert (model.zero_weight_ > 0).all()


def test_kkt_conditions_at_convergence():
    frame, _ = small_frame(2)
    model = ImplicitNMF(
        n_factors=3, n_epochs=2000, alpha=4.0, reg=0.3, inner_sweeps=3, random_state=0
    ).fit(frame)
    Y, W, reg_u, reg_i = dense_problem(frame, model)
    P, Q = model.pu_, model.qi_
    residual = W * (P @ Q.T - Y)
    grad_P = residual @ Q + reg_u[:, None] * P  # half the gradient
    grad_Q = residual.T @ P + reg_i[:, None] * Q
    for factors, grad in ((P, grad_P), (Q, grad_Q)):
        positive = factors > 1e-10
        assert positive.any() and (~positive).any()  # both cases are checked
        np.testing.assert_allclose(grad[positive], 0.0, atol=1e-6)
        assert (grad[~positive] >= -1e-6).all()


def test_implicit_objective_function_matches_model():
    frame, _ = small_frame(4)
    model = ImplicitNMF(n_factors=2, n_epochs=3, alpha=2.0, reg=0.5, random_state=0).fit(frame)
    Y, W, reg_u, reg_i = dense_problem(frame, model)
    u = pd.Index(model.user_ids_).get_indexer(frame["user"])
    i = pd.Index(model.item_ids_).get_indexer(frame["item"])
    indptr, indices, conf = interaction_matrix(u, i, W[u, i], *Y.shape)
    J = implicit_objective(
        model.pu_, model.qi_, indptr, indices, conf, model.zero_weight_, reg_u, reg_i
    )
    np.testing.assert_allclose(J, model.objective_[-1], rtol=1e-12)


# --------------------------------------------------------------------------
# The FactorModel interface
# --------------------------------------------------------------------------


def test_scores_are_dot_products_unclipped_and_unknowns_score_zero():
    frame, _ = small_frame(0)
    model = ImplicitNMF(n_factors=3, n_epochs=5, alpha=50.0, reg=0.01, random_state=0).fit(frame)
    assert model.rating_scale_ == (0.0, np.inf) and model.global_mean_ == 0.0
    assert model.biased is False
    pairs = pd.DataFrame({"user": [0, 1, "new"], "item": [0, 2, 0]})
    scores = model.predict_frame(pairs)
    np.testing.assert_allclose(scores[0], model.pu_[model.user_index_[0]] @ model.qi_[0])
    assert scores[2] == 0.0
    all_scores = model.pu_ @ model.qi_.T
    assert all_scores.max() > 1.0  # nothing was clipped at 1: ranks keep their order
    assert model.predict(1, 2) == pytest.approx(scores[1])


def test_works_with_top_n_and_ranking_metrics():
    frame, _ = small_frame(5, n_users=25, n_items=15)
    model = ImplicitNMF(n_factors=4, n_epochs=5, random_state=0).fit(frame)
    one = top_n(model, 3, n=4, seen=frame)
    assert len(one) == 4 and not set(one["item"]) & set(frame.loc[frame.user == 3, "item"])
    lists = top_n_all(model, sorted(frame["user"].unique()), n=4, seen=frame)
    assert lists[3] == one["item"].tolist()
    relevant = {u: {(u + 1) % 15} for u in lists}
    table = metrics.ranking_metrics(lists, relevant, k=4)
    assert 0 <= table["precision"].iloc[0] <= 1


def test_pickle_round_trip_gives_identical_predictions():
    frame, _ = small_frame(6)
    model = ImplicitNMF(n_factors=3, n_epochs=4, random_state=0).fit(frame)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(model.predict_frame(frame), again.predict_frame(frame))
    assert repr(again) == repr(model)


def test_fit_is_deterministic_for_a_seed():
    frame, _ = small_frame(7, n_users=40, n_items=30)
    a = ImplicitNMF(n_factors=6, n_epochs=5, random_state=3).fit(frame)
    b = ImplicitNMF(n_factors=6, n_epochs=5, random_state=3).fit(frame)
    np.testing.assert_array_equal(a.pu_, b.pu_)
    np.testing.assert_array_equal(a.qi_, b.qi_)


def test_not_fitted_error():
    with pytest.raises(ValueError, match="not fitted"):
        ImplicitNMF().predict(1, 1)


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (pd.DataFrame({"u": [1], "i": [2], "r": [np.nan]}), "NaN"),
        (pd.DataFrame({"u": [1, 1], "i": [2, 2], "r": [3.0, 4.0]}), "duplicate"),
        (pd.DataFrame({"u": [], "i": [], "r": []}), "empty"),
        (pd.DataFrame({"u": [1], "i": [2]}), "three columns"),
    ],
)
def test_bad_ratings_raise_value_error(data, match):
    with pytest.raises(ValueError, match=match):
        ImplicitNMF().fit(data)


def test_negative_ratings_only_rejected_when_they_weigh():
    frame = pd.DataFrame({"u": [1, 2], "i": [1, 2], "r": [-1.0, 2.0]})
    ImplicitNMF(n_factors=1, n_epochs=1).fit(frame)  # every row is just an interaction
    with pytest.raises(ValueError, match="non-negative"):
        ImplicitNMF(rating_confidence=True).fit(frame)
    with pytest.raises(ValueError, match="positive ratings"):
        ImplicitNMF(rating_confidence=True).fit(frame.assign(r=0.0))


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"n_factors": 0}, ValueError),
        ({"n_epochs": -1}, ValueError),
        ({"n_factors": 2.5}, TypeError),
        ({"alpha": -1.0}, ValueError),
        ({"reg": np.nan}, ValueError),
        ({"zero_weight_exponent": np.inf}, ValueError),
        ({"reg_exponent": "a"}, TypeError),
        ({"init_high": 0.0}, ValueError),
        ({"inner_sweeps": 0}, ValueError),
        ({"rating_confidence": "yes"}, TypeError),
    ],
)
def test_bad_params_raise(params, error):
    frame, _ = small_frame(0)
    with pytest.raises(error):
        ImplicitNMF(**params).fit(frame)


def test_wrong_kind_of_object_raises_type_error():
    with pytest.raises(TypeError, match="DataFrame"):
        ImplicitNMF().fit(np.ones((3, 3)))


# --------------------------------------------------------------------------
# The tuned model, and a test that it learns structure
# --------------------------------------------------------------------------


def test_tuned_implicit_nmf_is_unfitted_with_the_tuned_params():
    model = tuned_implicit_nmf(random_state=5)
    assert isinstance(model, ImplicitNMF) and not hasattr(model, "pu_")
    for name, value in IMPLICIT_TUNED_PARAMS.items():
        assert getattr(model, name) == value
    assert model.random_state == 5
    assert tuned_implicit_nmf().random_state == 0


def planted_interactions(seed: int):
    """Users in 4 taste groups; each group watches its own 15 items, popular ones a bit more.

    Within every group the items are watched with probability 0.5; a few "blockbusters"
    (items 0-4) are watched by everyone with probability 0.35. Popularity recommends the
    blockbusters; a model that finds the groups recommends the user's own group's items.
    """
    rng = np.random.RandomState(seed)
    n_groups, per_group, n_users = 4, 15, 200
    n_items = 5 + n_groups * per_group
    group = rng.randint(n_groups, size=n_users)
    prob = np.full((n_users, n_items), 0.01)
    prob[:, :5] = 0.35
    for g in range(n_groups):
        prob[np.ix_(group == g, 5 + g * per_group + np.arange(per_group))] = 0.5
    watched = rng.rand(n_users, n_items) < prob
    u, i = np.nonzero(watched)
    return pd.DataFrame({"user": u, "item": i, "rating": 4.0})


def test_beats_popularity_on_planted_structure():
    data = planted_interactions(0)
    rng = np.random.RandomState(1)
    is_test = rng.rand(len(data)) < 0.2
    train, test = data[~is_test], data[is_test]
    users = sorted(train["user"].unique())
    relevant = metrics.relevant_items(test, threshold=4.0)
    model = ImplicitNMF(n_factors=4, n_epochs=15, alpha=5.0, reg=1.0, random_state=0)
    model.fit(train)
    ours = metrics.ranking_metrics(top_n_all(model, users, n=5, seen=train), relevant, k=5)
    popular = metrics.ranking_metrics(popularity_top_n(train, users, n=5), relevant, k=5)
    assert ours["precision"].iloc[0] > 1.5 * popular["precision"].iloc[0]
    assert ours["ndcg"].iloc[0] > 1.5 * popular["ndcg"].iloc[0]


# --------------------------------------------------------------------------
# Item-item cosine baseline (nmf_teach.recommend.item_cosine_top_n)
# --------------------------------------------------------------------------


def test_item_cosine_top_n_matches_dense_formula():
    frame, mask = small_frame(8)
    X = mask.astype(float)
    S = (X.T @ X) / np.sqrt(np.outer(X.sum(0), X.sum(0)))
    scores = X @ S
    lists = item_cosine_top_n(frame, [0, 5], n=3)
    for user in (0, 5):
        candidates = np.flatnonzero(~mask[user])
        order = candidates[np.argsort(-scores[user, candidates], kind="stable")]
        got = lists[user]
        assert not set(got) & set(np.flatnonzero(mask[user]))
        np.testing.assert_allclose(scores[user, got], scores[user, order[:3]])


def test_item_cosine_top_n_errors():
    frame, _ = small_frame(0)
    with pytest.raises(ValueError, match="cold start"):
        item_cosine_top_n(frame, ["nobody"])
    with pytest.raises(ValueError, match="n must be"):
        item_cosine_top_n(frame, [0], n=0)
    with pytest.raises(ValueError, match="empty"):
        item_cosine_top_n(frame, [])


def test_top_n_from_scores_matches_top_n_all():
    frame, _ = small_frame(9, n_users=20, n_items=12)
    model = ImplicitNMF(n_factors=3, n_epochs=3, random_state=0).fit(frame)
    users = sorted(frame["user"].unique())
    rows = [model.user_index_[u] for u in users]
    scores = model.pu_[rows] @ model.qi_.T
    got = top_n_from_scores(scores, users, model.item_ids_, n=4, seen=frame)
    assert got == top_n_all(model, users, n=4, seen=frame)
    with pytest.raises(ValueError, match="shape"):
        top_n_from_scores(scores[:, 1:], users, model.item_ids_)
    with pytest.raises(ValueError, match="NaN"):
        top_n_from_scores(np.full(scores.shape, np.nan), users, model.item_ids_)


def test_min_ratings_filters_by_the_number_of_interactions():
    frame, _ = small_frame(seed=3)
    model = ImplicitNMF(n_factors=2, n_epochs=3, random_state=0).fit(frame)
    counts = frame.groupby("item").size()
    assert dict(zip(model.item_ids_, model.item_rating_counts_, strict=True)) == counts.to_dict()
    user = frame["user"].iloc[0]
    listed = top_n(model, user, n=20, min_ratings=int(counts.max()))
    assert set(listed["item"]) <= set(counts[counts == counts.max()].index)
