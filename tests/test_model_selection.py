"""Tests for nmf_teach.model_selection: exact fold parity with Surprise, partitions, CV."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from surprise import AlgoBase, Dataset, Reader
from surprise import model_selection as sms

from nmf_teach import NMF
from nmf_teach.model_selection import KFold, cross_validate, train_test_split

# ---------------------------------------------------------------- helpers


def make_ratings(n_users=30, n_items=40, n_ratings=300, *, string_ids=False, seed=0):
    """Random ratings with unique (user, item) pairs and an extra timestamp column."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(n_users * n_items, size=n_ratings, replace=False)
    users, items = np.divmod(cells, n_items)
    frame = pd.DataFrame(
        {
            "user": users,
            "item": items * 7 + 100,
            "rating": rng.choice(np.arange(0.5, 5.01, 0.5), size=n_ratings),
            "timestamp": rng.integers(0, 10**9, size=n_ratings),
        }
    )
    if string_ids:
        frame["user"] = "u" + frame["user"].astype(str)
        frame["item"] = "movie_" + frame["item"].astype(str)
    return frame


def surprise_dataset(frame):
    reader = Reader(rating_scale=(frame["rating"].min(), frame["rating"].max()))
    return Dataset.load_from_df(frame.iloc[:, :3], reader)


def as_triples(frame):
    return [(u, i, float(r)) for u, i, r in frame.iloc[:, :3].itertuples(index=False, name=None)]


def assert_same_trainset(train_df, trainset):
    """Our train rows give Surprise's inner ids and per-user / per-item rating order."""
    raw2inner_u, raw2inner_i = {}, {}
    ur, ir = defaultdict(list), defaultdict(list)
    for u, i, r in as_triples(train_df):
        uid = raw2inner_u.setdefault(u, len(raw2inner_u))
        iid = raw2inner_i.setdefault(i, len(raw2inner_i))
        ur[uid].append((iid, r))
        ir[iid].append((uid, r))
    assert trainset.n_ratings == len(train_df)
    assert trainset._raw2inner_id_users == raw2inner_u
    assert trainset._raw2inner_id_items == raw2inner_i
    assert dict(trainset.ur) == dict(ur)
    assert dict(trainset.ir) == dict(ir)


# ---------------------------------------------------------------- KFold parity


@pytest.mark.parametrize("string_ids", [False, True])
@pytest.mark.parametrize(
    ("n_splits", "seed", "n_ratings"), [(5, 0, 300), (3, 42, 301), (7, 7, 250)]
)
def test_kfold_folds_identical_to_surprise(string_ids, n_splits, seed, n_ratings):
    frame = make_ratings(n_ratings=n_ratings, string_ids=string_ids, seed=seed)
    ours = list(KFold(n_splits=n_splits, random_state=seed).split(frame))
    theirs = list(
        sms.KFold(n_splits=n_splits, random_state=seed, shuffle=True).split(surprise_dataset(frame))
    )
    assert len(ours) == len(theirs) == n_splits
    for (train_df, test_df), (trainset, testset) in zip(ours, theirs, strict=True):
        assert as_triples(test_df) == testset  # same rows, same order
        assert_same_trainset(train_df, trainset)


def test_kfold_with_randomstate_instance_and_global_state_match_surprise():
    frame = make_ratings(n_ratings=120, seed=3)
    ours = [as_triples(t) for _, t in KFold(4, random_state=np.random.RandomState(9)).split(frame)]
    theirs = [
        t
        for _, t in sms.KFold(4, random_state=np.random.RandomState(9)).split(
            surprise_dataset(frame)
        )
    ]
    assert ours == theirs

    np.random.seed(123)
    ours = [as_triples(t) for _, t in KFold(4).split(frame)]
    np.random.seed(123)
    theirs = [t for _, t in sms.KFold(4).split(surprise_dataset(frame))]
    assert ours == theirs


def test_kfold_without_shuffle_matches_surprise():
    frame = make_ratings(n_ratings=53, seed=1)
    ours = [as_triples(t) for _, t in KFold(5, shuffle=False).split(frame)]
    theirs = [t for _, t in sms.KFold(5, shuffle=False).split(surprise_dataset(frame))]
    assert ours == theirs


def test_kfold_partitions_the_data_and_keeps_columns():
    frame = make_ratings(n_ratings=103, string_ids=True, seed=5)
    frame.index = np.arange(1000, 1103)  # a non-default index must not leak through
    tested = []
    for train_df, test_df in KFold(n_splits=4, random_state=1).split(frame):
        assert list(train_df.columns) == list(frame.columns)
        assert list(test_df.columns) == list(frame.columns)
        assert train_df.index.equals(pd.RangeIndex(len(train_df)))
        assert test_df.index.equals(pd.RangeIndex(len(test_df)))
        assert len(train_df) + len(test_df) == len(frame)
        assert len(test_df) in (103 // 4, 103 // 4 + 1)
        keys_train = set(zip(train_df["user"], train_df["item"], strict=True))
        keys_test = set(zip(test_df["user"], test_df["item"], strict=True))
        assert not keys_train & keys_test
        tested.append(test_df)
    all_tested = pd.concat(tested).sort_values(["user", "item"]).reset_index(drop=True)
    expected = frame.sort_values(["user", "item"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(all_tested, expected)


def test_kfold_same_seed_same_folds_on_every_call():
    frame = make_ratings(n_ratings=60)
    cv = KFold(3, random_state=11)
    first = [t["item"].tolist() for _, t in cv.split(frame)]
    second = [t["item"].tolist() for _, t in cv.split(frame)]
    assert first == second


@pytest.mark.parametrize("n_splits", [1, 0, -3])
def test_kfold_rejects_too_few_splits(n_splits):
    with pytest.raises(ValueError, match="n_splits must be >= 2"):
        KFold(n_splits=n_splits)


def test_kfold_rejects_more_splits_than_ratings_and_bad_input():
    frame = make_ratings(n_ratings=4)
    with pytest.raises(ValueError, match="larger than the number of ratings"):
        list(KFold(n_splits=5).split(frame))
    with pytest.raises(TypeError, match="integer"):
        KFold(n_splits=2.0)
    with pytest.raises(TypeError, match="random_state"):
        list(KFold(2, random_state="seed").split(frame))
    with pytest.raises(ValueError, match="empty"):
        list(KFold(2).split(frame.iloc[:0]))
    assert KFold(3, random_state=1).get_n_folds() == 3
    assert "n_splits=3" in repr(KFold(3))


# ---------------------------------------------------------------- train_test_split


@pytest.mark.parametrize("string_ids", [False, True])
@pytest.mark.parametrize(("test_size", "seed"), [(0.2, 0), (0.25, 1), (0.33, 2), (17, 3)])
def test_train_test_split_identical_to_surprise(string_ids, test_size, seed):
    frame = make_ratings(n_ratings=211, string_ids=string_ids, seed=seed)
    train_df, test_df = train_test_split(frame, test_size=test_size, random_state=seed)
    trainset, testset = sms.train_test_split(
        surprise_dataset(frame), test_size=test_size, random_state=seed
    )
    assert as_triples(test_df) == testset
    assert_same_trainset(train_df, trainset)
    assert len(test_df) == (int(np.ceil(test_size * 211)) if test_size < 1 else test_size)
    assert list(train_df.columns) == list(frame.columns)


def test_train_test_split_rejects_bad_sizes():
    frame = make_ratings(n_ratings=10)
    for bad in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="between 0 and 1"):
            train_test_split(frame, test_size=bad, random_state=0)
    for bad in (0, 10, 11):
        with pytest.raises(ValueError, match="at least one rating"):
            train_test_split(frame, test_size=bad, random_state=0)
    with pytest.raises(ValueError, match="at least one rating"):
        train_test_split(frame, test_size=0.95, random_state=0)  # ceil(9.5) = 10
    with pytest.raises(TypeError, match="test_size"):
        train_test_split(frame, test_size="20%")
    with pytest.raises(TypeError, match="DataFrame"):
        train_test_split(frame.to_numpy())


# ---------------------------------------------------------------- cross_validate


class MeanModel(BaseEstimator):
    """Predicts the training mean (clipped): enough to exercise cross_validate."""

    def fit(self, df, rating_scale=None):
        self.mean_ = df.iloc[:, 2].mean()
        self.rating_scale_ = rating_scale
        return self

    def predict_frame(self, df):
        lo, hi = self.rating_scale_
        return np.clip(np.full(len(df), self.mean_), lo, hi)


class SurpriseMean(AlgoBase):
    def fit(self, trainset):
        AlgoBase.fit(self, trainset)
        return self

    def estimate(self, u, i):
        return self.trainset.global_mean


def test_cross_validate_matches_surprise_cross_validate():
    frame = make_ratings(n_ratings=200, string_ids=True, seed=4)
    result = cross_validate(MeanModel(), frame, KFold(4, random_state=2), progress=False)
    expected = sms.cross_validate(
        SurpriseMean(),
        surprise_dataset(frame),
        measures=["rmse", "mae"],
        cv=sms.KFold(4, random_state=2),
    )
    assert list(result.columns) == [
        "fold",
        "n_train",
        "n_test",
        "rmse",
        "mae",
        "fit_time",
        "test_time",
    ]
    assert result["fold"].tolist() == [1, 2, 3, 4]
    assert result["n_test"].tolist() == [50, 50, 50, 50]
    np.testing.assert_allclose(result["rmse"], expected["test_rmse"], rtol=1e-12)
    np.testing.assert_allclose(result["mae"], expected["test_mae"], rtol=1e-12)


def test_cross_validate_uses_full_data_rating_scale_by_default():
    frame = make_ratings(n_ratings=50)
    frame.loc[0, "rating"] = 0.5
    frame.loc[1, "rating"] = 5.0
    fitted_scales = []  # recorded by this test's own model class: no state shared between tests

    class RecordingModel(MeanModel):
        def fit(self, df, rating_scale=None):
            fitted_scales.append(rating_scale)
            return super().fit(df, rating_scale)

    cross_validate(RecordingModel(), frame, KFold(5, random_state=0), progress=False)
    assert fitted_scales == [(0.5, 5.0)] * 5

    fitted_scales.clear()
    cross_validate(
        RecordingModel(), frame, 2, measures=["RMSE"], rating_scale=(1, 5), progress=False
    )
    assert fitted_scales == [(1.0, 5.0)] * 2


def test_cross_validate_fits_a_clone_per_fold_and_leaves_the_model_unfitted():
    frame = make_ratings(n_ratings=60, seed=3)
    model = NMF(n_factors=2, n_epochs=3, random_state=0)
    by_clone = cross_validate(model, frame, KFold(3, random_state=1), progress=False)
    assert not hasattr(model, "pu_")
    by_factory = cross_validate(
        lambda: NMF(n_factors=2, n_epochs=3, random_state=0),
        frame,
        KFold(3, random_state=1),
        progress=False,
    )
    np.testing.assert_array_equal(by_clone["rmse"], by_factory["rmse"])
    with pytest.raises(TypeError, match="get_params"):
        cross_validate("NMF", frame, 3, progress=False)


def test_cross_validate_reads_the_rating_column_by_name():
    frame = make_ratings(n_ratings=60, seed=5)
    reordered = frame[["rating", "item", "user"]]
    a = cross_validate(MeanModel(), frame, KFold(3, random_state=1), progress=False)
    b = cross_validate(ByNameMeanModel(), reordered, KFold(3, random_state=1), progress=False)
    np.testing.assert_array_equal(a["rmse"], b["rmse"])


class ByNameMeanModel(MeanModel):
    def fit(self, df, rating_scale=None):
        super().fit(df, rating_scale)
        self.mean_ = df["rating"].mean()
        return self


def test_cross_validate_rejects_bad_arguments():
    frame = make_ratings(n_ratings=30)
    with pytest.raises(ValueError, match="unknown measures"):
        cross_validate(MeanModel(), frame, 2, measures=("rmse", "fcp"), progress=False)
    with pytest.raises(ValueError, match="rating_scale"):
        cross_validate(MeanModel(), frame, 2, rating_scale=(5, 1), progress=False)
    with pytest.raises(ValueError, match="n_splits must be >= 2"):
        cross_validate(MeanModel(), frame, 1, progress=False)
    with pytest.raises(TypeError, match="cv must be"):
        cross_validate(MeanModel(), frame, "five", progress=False)

    class BrokenModel(MeanModel):
        def predict_frame(self, df):
            return np.zeros(len(df) + 1)

    with pytest.raises(ValueError, match="one prediction per row"):
        cross_validate(BrokenModel(), frame, 2, progress=False)


def test_cross_validate_progress_bar_can_be_switched_off(capsys):
    frame = make_ratings(n_ratings=30)
    cross_validate(MeanModel(), frame, KFold(3, random_state=0), progress=True)
    assert "CV folds" in capsys.readouterr().err
    cross_validate(MeanModel(), frame, KFold(3, random_state=0), progress=False)
    assert capsys.readouterr().err == ""


def test_cross_validate_with_nmf_teach_nmf_equals_surprise_nmf():
    """End to end: same folds + same NMF => the same fold errors as Surprise."""
    from surprise import NMF as SurpriseNMF

    frame = make_ratings(n_users=40, n_items=60, n_ratings=600, string_ids=True, seed=8)
    frame["rating"] = np.ceil(frame["rating"])  # 1..5 stars
    ours = cross_validate(
        NMF(n_factors=4, n_epochs=20, random_state=0),
        frame,
        KFold(3, random_state=5),
        progress=False,
    )
    theirs = sms.cross_validate(
        SurpriseNMF(n_factors=4, n_epochs=20, random_state=0),
        surprise_dataset(frame),
        measures=["rmse", "mae"],
        cv=sms.KFold(3, random_state=5),
    )
    np.testing.assert_allclose(ours["rmse"], theirs["test_rmse"], rtol=1e-10)
    np.testing.assert_allclose(ours["mae"], theirs["test_mae"], rtol=1e-10)
