"""Tests of nmf_teach.fold_in: a new user's factors from a few ratings, items fixed."""

import numpy as np
import pandas as pd
import pytest
from helpers import random_ratings
from scipy.optimize import minimize, nnls

from nmf_teach import NMF, datasets, metrics
from nmf_teach.biased_nmf import BiasedNMF
from nmf_teach.fold_in import FoldedInUser, fold_in, fold_in_scores
from nmf_teach.implicit import ImplicitNMF


@pytest.fixture(scope="module")
def movielens():
    return datasets.load_movielens_small()


@pytest.fixture(scope="module")
def nmf(movielens):
    return NMF(random_state=0).fit(movielens, rating_scale=(0.5, 5.0))


@pytest.fixture(scope="module")
def biased(movielens):
    return BiasedNMF(n_factors=10, n_epochs=100, random_state=0).fit(
        movielens, rating_scale=(0.5, 5.0)
    )


def _objective(model, rows, r, p, b):
    """J(p, b) of the module docstring, written out."""
    n = len(rows)
    pred = model.qi_[rows] @ p
    reg_b = 0.0
    if model.biased:
        pred = pred + model.global_mean_ + b + model.bi_[rows]
        reg_b = model.reg_bu if isinstance(model, BiasedNMF) else model.reg_bu * n
    return ((r - pred) ** 2).sum() + reg_b * b**2 + model.reg_pu * n * p @ p


def test_unbiased_fold_in_is_the_stacked_nnls(nmf):
    ratings = pd.Series({1: 5.0, 364: 5.0, 588: 4.5, 595: 4.5, 593: 1.0})
    new = fold_in(nmf, ratings)
    assert isinstance(new, FoldedInUser) and new.items == [1, 364, 588, 595, 593]
    Q = nmf.qi_[[nmf.item_index_[i] for i in ratings.index]]
    A = np.vstack([Q, np.sqrt(nmf.reg_pu * 5) * np.eye(nmf.n_factors)])
    expected, _ = nnls(A, np.concatenate([ratings.to_numpy(), np.zeros(nmf.n_factors)]))
    np.testing.assert_allclose(new.factors, expected, rtol=1e-10, atol=1e-12)
    assert new.bias == 0.0 and (new.factors >= 0).all()
    # the same ratings as a dict and as a DataFrame
    np.testing.assert_array_equal(fold_in(nmf, ratings.to_dict()).factors, new.factors)
    frame = pd.DataFrame({"rating": ratings.to_numpy(), "item": ratings.index})
    np.testing.assert_array_equal(fold_in(nmf, frame).factors, new.factors)


@pytest.mark.parametrize("which", ["nmf", "biased", "nmf_biased"])
def test_fold_in_minimises_the_objective(which, nmf, biased, movielens):
    model = {"nmf": nmf, "biased": biased}.get(which)
    if model is None:
        model = NMF(biased=True, random_state=0).fit(movielens, rating_scale=(0.5, 5.0))
    mine = movielens[movielens["user"] == 153].head(12)
    new = fold_in(model, mine[["item", "rating"]])
    rows = np.array([model.item_index_[i] for i in mine["item"]])
    r = mine["rating"].to_numpy()
    best = _objective(model, rows, r, new.factors, new.bias)
    # no nearby feasible point is better, and a general bounded optimiser agrees
    rng = np.random.default_rng(0)
    for _ in range(200):
        p = np.maximum(new.factors + rng.normal(scale=0.05, size=new.factors.shape), 0)
        b = new.bias + rng.normal(scale=0.05) * model.biased
        assert _objective(model, rows, r, p, b) >= best - 1e-9
    k = model.n_factors
    x0 = np.append(np.full(k, 0.1), 0.0)
    bounds = [(0, None)] * k + ([(None, None)] if model.biased else [(0, 0)])
    other = minimize(
        lambda x: _objective(model, rows, r, x[:k], x[k]), x0, bounds=bounds, method="L-BFGS-B"
    )
    assert best <= other.fun + 1e-6


def test_folding_in_a_training_user_gives_back_their_row(biased, movielens):
    """BiasedNMF minimises the same J per user, so its fitted row is (nearly) the fold-in."""
    mine = movielens[movielens["user"] == 153]
    new = fold_in(biased, mine[["item", "rating"]])
    row = biased.user_index_[153]
    np.testing.assert_allclose(new.factors, biased.pu_[row], atol=0.05)
    assert abs(new.bias - biased.bu_[row]) < 0.01
    scores = fold_in_scores(biased, new)
    np.testing.assert_allclose(
        scores.reindex(mine["item"]).to_numpy(),
        biased.predict_frame(mine, clip=False),
        atol=0.02,
    )


def test_folded_in_factors_predict_the_users_ratings_as_well_as_the_fitted_ones(nmf, movielens):
    for user in (1, 153, 414):
        mine = movielens[movielens["user"] == user]
        new = fold_in(nmf, mine[["item", "rating"]])
        assert (new.factors >= 0).all()
        folded = fold_in_scores(nmf, new).reindex(mine["item"]).clip(0.5, 5.0)
        rmse_folded = metrics.rmse(mine["rating"], folded.to_numpy())
        rmse_fitted = metrics.rmse(mine["rating"], nmf.predict_frame(mine))
        assert rmse_folded <= rmse_fitted + 0.05, (user, rmse_folded, rmse_fitted)


def test_fold_in_scores_are_the_model_formula(biased):
    new = fold_in(biased, {1: 5.0, 2: 3.0})
    scores = fold_in_scores(biased, new)
    expected = biased.global_mean_ + new.bias + biased.bi_ + biased.qi_ @ new.factors
    np.testing.assert_allclose(scores.to_numpy(), expected)
    assert scores.index.tolist() == biased.item_ids_.tolist()


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ({}, "empty"),
        (pd.Series([4.0, 3.0], index=[1, 1]), "rated more than once"),
        ({1: 4.0, "no such film": 3.0}, "unknown item"),
        ({1: -1.0}, "negative"),
        ({1: np.nan}, "finite"),
        ({1: np.inf}, "finite"),
        ({1: 7.0}, "outside the model's rating scale"),
        ({1: "five"}, "must be numbers"),
    ],
)
def test_bad_ratings_are_clear_value_errors(nmf, ratings, message):
    with pytest.raises(ValueError, match=message):
        fold_in(nmf, ratings)


def test_wrong_kinds_are_type_errors(nmf):
    with pytest.raises(TypeError, match="Series"):
        fold_in(nmf, [(1, 5.0)])
    implicit = ImplicitNMF(n_factors=2, n_epochs=1, random_state=0).fit(random_ratings(0))
    with pytest.raises(TypeError, match="rating model"):
        fold_in(implicit, {implicit.item_ids_[0]: 1.0})
    with pytest.raises(TypeError, match="result of fold_in"):
        fold_in_scores(nmf, np.zeros(nmf.n_factors))
