"""Tests for nmf_teach.recommend, with a tiny fake model standing in for NMF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nmf_teach import recommend
from nmf_teach.recommend import catalogue_coverage, popularity_top_n, top_n, top_n_all


class FakeModel:
    """Scores from a fixed (users x items) table; the API recommend.py relies on."""

    def __init__(self, scores: pd.DataFrame):
        self.scores = scores
        self.user_ids_ = scores.index.to_numpy()
        self.item_ids_ = scores.columns.to_numpy()
        self.calls = 0

    def predict_frame(self, df):
        self.calls += 1
        rows = self.scores.index.get_indexer(df.iloc[:, 0])
        cols = self.scores.columns.get_indexer(df.iloc[:, 1])
        assert (rows >= 0).all() and (cols >= 0).all(), "asked to score unknown ids"
        return self.scores.to_numpy()[rows, cols]


@pytest.fixture
def model():
    scores = pd.DataFrame(
        [
            [4.0, 2.0, 5.0, 3.0, 1.0],
            [1.0, 3.0, 3.0, 3.0, 2.5],
            [2.0, 5.0, 1.0, 4.5, 4.0],
        ],
        index=pd.Index(["ann", "bob", "cy"], name="user"),
        columns=pd.Index([10, 20, 30, 40, 50], name="item"),
    )
    return FakeModel(scores)


@pytest.fixture
def train():
    return pd.DataFrame(
        {
            "user": ["ann", "ann", "bob", "cy", "cy", "cy", "dee"],
            "item": [30, 20, 10, 20, 50, 10, 20],
            "rating": [5.0, 2.0, 1.0, 5.0, 4.0, 2.0, 4.0],
        }
    )


# ---------------------------------------------------------------- top_n


def test_top_n_ranks_by_score(model):
    result = top_n(model, "ann", n=3)
    assert list(result.columns) == ["item", "score", "predicted_rating"]
    assert result["item"].tolist() == [30, 10, 40]
    assert result["score"].tolist() == [5.0, 4.0, 3.0]
    assert result.index.tolist() == [0, 1, 2]


def test_top_n_excludes_seen_items(model, train):
    result = top_n(model, "ann", n=10, seen=train)
    assert result["item"].tolist() == [10, 40, 50]  # 30 and 20 were rated by ann
    swapped = top_n(model, "ann", n=10, seen=train[["rating", "item", "user"]])
    assert swapped["item"].tolist() == [10, 40, 50]  # columns found by name


def test_seen_is_keyword_only(model, train):
    with pytest.raises(TypeError):
        top_n(model, "ann", 10, train)
    with pytest.raises(TypeError):
        top_n_all(model, ["ann"], 10, train)


def test_top_n_breaks_ties_by_item_order(model):
    # bob: 20, 30 and 40 all score 3.0 -> candidate order
    assert top_n(model, "bob", n=4)["item"].tolist() == [20, 30, 40, 50]
    assert top_n(model, "bob", n=3, items=[40, 30, 20])["item"].tolist() == [40, 30, 20]


def test_top_n_with_candidate_items(model):
    result = top_n(model, "cy", n=2, items=[10, 30, 50])
    assert result["item"].tolist() == [50, 10]


def test_top_n_returns_fewer_rows_when_candidates_run_out(model, train):
    result = top_n(model, "cy", n=5, items=[10, 20, 50], seen=train)
    assert len(result) == 0
    assert list(result.columns) == ["item", "score", "predicted_rating"]


def test_top_n_unknown_user_suggests_popularity(model):
    with pytest.raises(ValueError, match=r"'zoe'.*cold start.*popularity_top_n"):
        top_n(model, "zoe")


def test_top_n_rejects_bad_arguments(model):
    with pytest.raises(ValueError, match="n must be >= 1"):
        top_n(model, "ann", n=0)
    with pytest.raises(ValueError, match="unknown item"):
        top_n(model, "ann", items=[10, 99])
    with pytest.raises(ValueError, match="repeats"):
        top_n(model, "ann", items=[10, 10])
    with pytest.raises(ValueError, match="items is empty"):
        top_n(model, "ann", items=[])
    with pytest.raises(TypeError, match="seen"):
        top_n(model, "ann", seen=[("ann", 10)])
    with pytest.raises(TypeError, match="fit it first"):
        top_n(object(), "ann")


def test_top_n_rejects_nan_scores(model):
    model.scores.iloc[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        top_n(model, "ann")


# ---------------------------------------------------------------- top_n_all


def test_top_n_all_matches_top_n(model, train):
    lists = top_n_all(model, ["cy", "ann", "bob", "ann"], 2, seen=train)
    assert list(lists) == ["cy", "ann", "bob"]
    for user, items in lists.items():
        assert items == top_n(model, user, n=2, seen=train)["item"].tolist()
    assert lists == {"cy": [40, 30], "ann": [10, 40], "bob": [20, 30]}
    assert all(type(item) is int for items in lists.values() for item in items)


def test_top_n_all_batches_give_the_same_lists(monkeypatch):
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(
        rng.integers(0, 5, size=(23, 17)).astype(float),  # many ties
        index=[f"u{j}" for j in range(23)],
        columns=[f"i{j}" for j in range(17)],
    )
    model = FakeModel(scores)
    seen = pd.DataFrame(
        {"user": rng.choice(scores.index, 60), "item": rng.choice(scores.columns, 60)}
    )
    seen = seen.drop_duplicates()
    one_batch = top_n_all(model, scores.index, n=5, seen=seen)
    assert model.calls == 1
    monkeypatch.setattr(recommend, "_MAX_PAIRS_PER_BATCH", 40)  # 2 users per batch
    model.calls = 0
    many_batches = top_n_all(model, scores.index, n=5, seen=seen)
    assert model.calls == 12
    assert many_batches == one_batch
    for user in ("u0", "u7", "u22"):
        assert one_batch[user] == top_n(model, user, n=5, seen=seen)["item"].tolist()


def test_top_n_all_lists_unknown_users(model):
    with pytest.raises(ValueError, match=r"\['x', 'y'\].*cold start"):
        top_n_all(model, ["ann", "x", "y"], n=2)
    with pytest.raises(ValueError, match="users is empty"):
        top_n_all(model, [], n=2)
    with pytest.raises(TypeError, match="list of user ids"):
        top_n_all(model, "ann", n=2)


# ---------------------------------------------------------------- popularity


def test_popularity_ranks_by_count_then_mean_then_id(train):
    # counts: 20 -> 3, 10 -> 2, 30 -> 1 (mean 5), 50 -> 1 (mean 4)
    lists = popularity_top_n(train, ["new_user", "ann", "cy"], n=3)
    assert lists["new_user"] == [20, 10, 30]
    assert lists["ann"] == [10, 50]  # 20 and 30 already rated; only 4 items exist
    assert lists["cy"] == [30]


def test_popularity_ties_fall_back_to_item_id():
    train = pd.DataFrame({"user": [1, 2, 3], "item": ["b", "c", "a"], "rating": [3.0, 3.0, 3.0]})
    assert popularity_top_n(train, [9], n=3) == {9: ["a", "b", "c"]}


def test_popularity_min_ratings(train):
    assert popularity_top_n(train, ["ann"], n=5, min_ratings=2) == {"ann": [10]}
    with pytest.raises(ValueError, match="lower min_ratings"):
        popularity_top_n(train, ["ann"], n=5, min_ratings=4)
    with pytest.raises(ValueError, match="n must be >= 1"):
        popularity_top_n(train, ["ann"], n=0)
    with pytest.raises(ValueError, match="empty"):
        popularity_top_n(train.iloc[:0], ["ann"])


# ---------------------------------------------------------------- coverage


def test_catalogue_coverage():
    recs = {"a": [1, 2, 3], "b": [3, 4], "c": []}
    assert catalogue_coverage(recs, n_items=8) == 0.5
    assert catalogue_coverage({"a": []}, n_items=3) == 0.0
    with pytest.raises(ValueError, match="catalogue size"):
        catalogue_coverage(recs, n_items=3)
    with pytest.raises(ValueError, match="empty"):
        catalogue_coverage({}, n_items=3)
    with pytest.raises(ValueError, match="n_items must be >= 1"):
        catalogue_coverage(recs, n_items=0)


def test_coverage_of_model_and_popularity_lists(model, train):
    personal = top_n_all(model, ["ann", "bob", "cy"], n=1, seen=train)
    assert personal == {"ann": [10], "bob": [20], "cy": [40]}
    assert catalogue_coverage(personal, 5) == pytest.approx(3 / 5)
    popular = popularity_top_n(train, ["ann", "bob", "dee"], n=1)
    assert popular == {"ann": [10], "bob": [20], "dee": [10]}
    assert catalogue_coverage(popular, 5) == pytest.approx(2 / 5)


# ---------------------------------------------------- unclipped ranking, min_ratings


@pytest.fixture(scope="module")
def fitted():
    """A real NMF on 300 random ratings, scale (0.5, 5): several items score above 5."""
    from helpers import random_ratings

    from nmf_teach import NMF

    ratings = random_ratings(0)
    model = NMF(n_factors=4, n_epochs=30, init_high=2.0, random_state=0)
    return model.fit(ratings, rating_scale=(0.5, 5.0)), ratings


def test_top_n_ranks_by_the_unclipped_score(fitted):
    model, ratings = fitted
    user = model.user_ids_[0]
    raw = pd.Series(model.qi_ @ model.pu_[0], index=model.item_ids_)
    assert (raw > 5).sum() >= 2, "the test needs items predicted above the scale"
    result = top_n(model, user, n=5)
    expected = raw.sort_values(ascending=False, kind="stable").head(5)
    assert result["item"].tolist() == expected.index.tolist()
    np.testing.assert_allclose(result["score"], expected.to_numpy())
    np.testing.assert_allclose(result["predicted_rating"], np.clip(expected, 0.5, 5.0))
    assert [model.predict(user, i) for i in result["item"]] == result["predicted_rating"].tolist()
    assert top_n_all(model, [user], n=5)[user] == result["item"].tolist()


def test_min_ratings_keeps_items_with_enough_training_ratings(fitted):
    model, ratings = fitted
    counts = ratings.groupby("item").size()
    np.testing.assert_array_equal(model.item_rating_counts_, counts.reindex(model.item_ids_))
    user = model.user_ids_[0]
    result = top_n(model, user, n=100, min_ratings=9)
    allowed = set(counts.index[counts >= 9])
    assert set(result["item"]) == allowed  # n is large: every allowed item is listed
    expected = top_n(model, user, n=100, items=[i for i in model.item_ids_ if i in allowed])
    pd.testing.assert_frame_equal(result, expected, check_dtype=False)
    lists = top_n_all(model, list(model.user_ids_[:5]), n=3, min_ratings=9, seen=ratings)
    assert all(set(items) <= allowed for items in lists.values())
    with pytest.raises(ValueError, match="lower min_ratings"):
        top_n(model, user, min_ratings=10_000)
    with pytest.raises(ValueError, match="min_ratings must be >= 1"):
        top_n(model, user, min_ratings=0)


def test_min_ratings_needs_the_counts(model):
    with pytest.raises(TypeError, match="item_rating_counts_"):
        top_n(model, "ann", min_ratings=2)


def test_a_list_where_one_user_is_expected_is_a_type_error(model):
    for bad in (["ann", "bob"], np.array(["ann"])):
        with pytest.raises(TypeError, match="top_n_all"):
            top_n(model, bad)
