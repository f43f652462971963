"""Tests for nmf_teach.metrics: hand-computed values, Surprise parity, properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from surprise import Prediction, accuracy

from nmf_teach.metrics import (
    mae,
    ndcg_at_k,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
    relevant_items,
    rmse,
)

# ---------------------------------------------------------------- RMSE / MAE


def test_rmse_mae_hand_computed():
    y_true = [4.0, 3.0, 5.0, 1.0]
    y_pred = [3.0, 3.0, 4.0, 3.0]  # errors 1, 0, 1, -2
    assert rmse(y_true, y_pred) == pytest.approx(math.sqrt((1 + 0 + 1 + 4) / 4))
    assert mae(y_true, y_pred) == pytest.approx((1 + 0 + 1 + 2) / 4)
    assert isinstance(rmse(y_true, y_pred), float)
    assert isinstance(mae(y_true, y_pred), float)


def test_perfect_predictions_score_zero():
    y = np.array([0.5, 2.0, 5.0])
    assert rmse(y, y) == 0.0
    assert mae(y, y) == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rmse_mae_equal_surprise_accuracy(seed):
    rng = np.random.default_rng(seed)
    n = 257
    r_ui = rng.choice(np.arange(0.5, 5.01, 0.5), size=n)
    est = np.clip(r_ui + rng.normal(0, 0.9, size=n), 0.5, 5.0)
    predictions = [
        Prediction(f"u{j % 13}", f"i{j}", float(r), float(e), {})
        for j, (r, e) in enumerate(zip(r_ui, est, strict=True))
    ]
    expected_rmse = accuracy.rmse(predictions, verbose=False)
    expected_mae = accuracy.mae(predictions, verbose=False)
    # same formula, same summation order: bit-for-bit equal
    assert rmse(r_ui, est) == expected_rmse
    assert mae(r_ui, est) == expected_mae


@pytest.mark.parametrize("func", [rmse, mae])
def test_rating_metrics_reject_bad_input(func):
    with pytest.raises(ValueError, match="empty"):
        func([], [])
    with pytest.raises(ValueError, match="same order"):
        func([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="NaN"):
        func([1, np.nan], [1, 2])
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        func([1, 2], [1, np.inf])
    with pytest.raises(ValueError, match="1-D"):
        func([[1, 2]], [[1, 2]])
    with pytest.raises(TypeError, match="numbers"):
        func(["a"], [1])


# ---------------------------------------------------------------- ranking, by hand


def test_precision_recall_hand_computed():
    recommended = ["a", "b", "c", "d", "e"]
    relevant = {"b", "d", "x"}
    assert precision_at_k(recommended, relevant, 1) == 0.0
    assert precision_at_k(recommended, relevant, 2) == 0.5
    assert precision_at_k(recommended, relevant, 5) == pytest.approx(2 / 5)
    assert recall_at_k(recommended, relevant, 2) == pytest.approx(1 / 3)
    assert recall_at_k(recommended, relevant, 5) == pytest.approx(2 / 3)


def test_precision_divides_by_k_even_for_short_lists():
    assert precision_at_k(["a"], {"a"}, k=4) == 0.25
    assert recall_at_k(["a"], {"a"}, k=4) == 1.0
    assert precision_at_k([], {"a"}, k=3) == 0.0


def test_ndcg_hand_computed():
    # hits at ranks 2 and 4; 3 relevant items, k = 4
    recommended = ["a", "b", "c", "d"]
    relevant = {"b", "d", "x"}
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(recommended, relevant, 4) == pytest.approx(dcg / idcg)


def test_ndcg_ideal_uses_min_k_and_relevant():
    # one relevant item found at rank 1: perfect, whatever k is
    assert ndcg_at_k(["a", "b", "c"], {"a"}, 3) == 1.0
    # 5 relevant items but k = 2 and both top slots hit: perfect
    assert ndcg_at_k(["a", "b", "z"], {"a", "b", "c", "d", "e"}, 2) == 1.0
    # no hit at all
    assert ndcg_at_k(["z", "y"], {"a"}, 2) == 0.0


def test_items_past_k_do_not_count():
    assert precision_at_k(["z", "a"], {"a"}, 1) == 0.0
    assert recall_at_k(["z", "a"], {"a"}, 1) == 0.0
    assert ndcg_at_k(["z", "a"], {"a"}, 1) == 0.0


def test_integer_item_ids_and_list_relevant():
    assert precision_at_k(np.array([3, 1, 2]), [1, 1, 7], 2) == 0.5
    assert recall_at_k([3, 1, 2], [1, 1, 7], 2) == 0.5  # duplicates in relevant count once


def test_no_relevant_items_raise_for_recall_and_ndcg():
    with pytest.raises(ValueError, match="skip this user"):
        recall_at_k(["a"], set(), 1)
    with pytest.raises(ValueError, match="skip this user"):
        ndcg_at_k(["a"], [], 1)
    assert precision_at_k(["a"], set(), 1) == 0.0  # still well defined


@pytest.mark.parametrize("func", [precision_at_k, recall_at_k, ndcg_at_k])
def test_ranking_metrics_reject_bad_input(func):
    with pytest.raises(ValueError, match="k must be >= 1"):
        func(["a"], {"a"}, 0)
    with pytest.raises(TypeError, match="integer"):
        func(["a"], {"a"}, 2.5)
    with pytest.raises(ValueError, match="twice"):
        func(["a", "b", "a"], {"a"}, 3)
    with pytest.raises(TypeError, match="single string"):
        func("abc", {"a"}, 2)


# ---------------------------------------------------------------- properties

item_ids = st.integers(min_value=0, max_value=30)
ranked_lists = st.lists(item_ids, unique=True, max_size=20)
relevant_sets = st.sets(item_ids, min_size=1, max_size=15)
ks = st.integers(min_value=1, max_value=25)


@settings(max_examples=200, deadline=None)
@given(recommended=ranked_lists, relevant=relevant_sets, k=ks)
def test_ranking_metrics_lie_in_unit_interval(recommended, relevant, k):
    for func in (precision_at_k, recall_at_k, ndcg_at_k):
        value = func(recommended, relevant, k)
        assert 0.0 <= value <= 1.0
        assert not math.isnan(value)


@settings(max_examples=200, deadline=None)
@given(relevant=relevant_sets, extra=ranked_lists, k=ks)
def test_perfect_ranking_has_ndcg_one(relevant, extra, k):
    # all relevant items first, then irrelevant ones
    recommended = sorted(relevant) + [i for i in extra if i not in relevant]
    assert ndcg_at_k(recommended, relevant, k) == pytest.approx(1.0)
    assert recall_at_k(recommended, relevant, k) == pytest.approx(
        min(k, len(relevant)) / len(relevant)
    )


@settings(max_examples=100, deadline=None)
@given(recommended=ranked_lists, relevant=relevant_sets, k=ks)
def test_recall_grows_with_k(recommended, relevant, k):
    assert recall_at_k(recommended, relevant, k) <= recall_at_k(recommended, relevant, k + 1)


# ---------------------------------------------------------------- averaging


def test_ranking_metrics_average_skips_users_without_relevant_items():
    recommendations = {1: ["a", "b"], 2: ["c", "d"], 3: ["a", "c"], 4: ["b"]}
    relevant = {1: {"a"}, 2: {"x", "d"}, 3: set()}  # user 3: none; user 4: absent
    table = ranking_metrics(recommendations, relevant, k=2, per_user=True)
    assert list(table.index) == [1, 2]
    assert table.loc[1, "precision"] == 0.5
    assert table.loc[2, "recall"] == 0.5
    assert table.loc[1, "ndcg"] == 1.0
    assert table.loc[2, "ndcg"] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))

    summary = ranking_metrics(recommendations, relevant, k=2)
    assert list(summary.columns) == ["precision", "recall", "ndcg", "n_users"]
    assert summary.index.tolist() == [2]
    assert summary.loc[2, "n_users"] == 2
    for column in ("precision", "recall", "ndcg"):
        assert summary.loc[2, column] == pytest.approx(table[column].mean())


def test_ranking_metrics_without_any_scorable_user_raises():
    with pytest.raises(ValueError, match="same user ids"):
        ranking_metrics({1: ["a"]}, {"1": {"a"}}, k=1)
    with pytest.raises(TypeError, match="dicts"):
        ranking_metrics([["a"]], {0: {"a"}}, k=1)


def test_relevant_items_thresholds_test_ratings():
    test = pd.DataFrame(
        {"user": [1, 1, 2, 2, 3], "item": [10, 11, 10, 12, 13], "rating": [5, 3, 4.0, 4.5, 2]}
    )
    assert relevant_items(test, threshold=4.0) == {1: {10}, 2: {10, 12}}
    with pytest.raises(ValueError, match="finite"):
        relevant_items(test, threshold=float("nan"))
