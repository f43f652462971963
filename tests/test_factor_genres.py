"""Tests of nmf_teach.factor_genres: factors read against genres."""

import numpy as np
import pandas as pd
import pytest

from nmf_teach.factor_genres import (
    best_genres,
    chance_level,
    columnwise_corr,
    genre_correlations,
    standardize,
)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    genres = pd.DataFrame(
        rng.integers(0, 2, size=(300, 4)), columns=["Action", "Drama", "Comedy", "Horror"]
    )
    Q = pd.DataFrame(rng.random((300, 3)), columns=["F1", "F2", "F3"])
    Q["F2"] += 2.0 * genres["Drama"]  # F2 follows Drama
    Q["F3"] -= 1.5 * genres["Horror"]  # F3 avoids Horror
    return Q, genres


def test_standardize_gives_zero_mean_unit_std(data):
    z = standardize(data[0])
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1)


def test_correlations_agree_with_numpy(data):
    Q, genres = data
    corr = genre_correlations(Q, genres)
    expected = np.corrcoef(Q.T.to_numpy(), genres.T.to_numpy())[:3, 3:]
    np.testing.assert_allclose(corr.to_numpy(), expected, atol=1e-12)
    assert corr.index.tolist() == ["F1", "F2", "F3"] and corr.columns.tolist() == list(genres)
    named = genre_correlations(Q.to_numpy(), genres)
    assert named.index.tolist() == ["F1", "F2", "F3"]


def test_best_genres_finds_the_planted_genres(data):
    best = best_genres(*data)
    assert best.loc["F2", "genre"] == "Drama" and best.loc["F2", "r"] > 0.6
    assert best.loc["F3", "genre"] == "Horror" and best.loc["F3", "r"] < -0.5
    np.testing.assert_allclose(best["|r|"], best["r"].abs())


def test_chance_level_is_below_planted_and_above_noise(data):
    Q, genres = data
    level = chance_level(Q, genres, n_shuffles=50, seed=1)
    best = best_genres(Q, genres)
    assert best.loc["F1", "|r|"] < 0.25 and level < 0.25
    assert best.loc["F2", "|r|"] > level and best.loc["F3", "|r|"] > level
    assert level == chance_level(Q, genres, n_shuffles=50, seed=1)  # seeded


def test_columnwise_corr(data):
    Q, _ = data
    np.testing.assert_allclose(columnwise_corr(Q, Q), 1.0)
    np.testing.assert_allclose(columnwise_corr(Q, -2 * Q + 1), -1.0)
    with pytest.raises(ValueError, match="same shape"):
        columnwise_corr(Q, Q.iloc[:, :2])


def test_bad_input_is_a_clear_error(data):
    Q, genres = data
    constant = genres.assign(Western=0)
    with pytest.raises(ValueError, match="'Western'.*constant"):
        genre_correlations(Q, constant)
    with pytest.raises(ValueError, match="rows"):
        best_genres(Q.iloc[:10], genres)
    with pytest.raises(ValueError, match="NaN"):
        standardize(Q.where(Q > 0.1))
    with pytest.raises(ValueError, match="quantile"):
        chance_level(Q, genres, quantile=95)
