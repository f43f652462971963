"""Smoke tests for nmf_teach.plotting on the headless Agg backend."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from nmf_teach.plotting import bar_compare, heatmap, loss_curve  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures_and_fail_on_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    plt.close("all")


@pytest.fixture
def ratings():
    return pd.DataFrame(
        [[5.0, np.nan, 3.0], [np.nan, 1.0, 4.0]],
        index=pd.Index(["ann", "bob"], name="user"),
        columns=pd.Index(["Alien", "Brazil", "Casablanca"], name="movie"),
    )


def texts(ax):
    return [t.get_text() for t in ax.texts]


def test_heatmap_masks_missing_cells_and_labels_axes(ratings):
    ax = heatmap(ratings, cbar_label="rating", title="ratings")
    ax.figure.canvas.draw()
    image = ax.images[0]
    np.testing.assert_array_equal(np.ma.getmaskarray(image.get_array()), ratings.isna().to_numpy())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ann", "bob"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Alien", "Brazil", "Casablanca"]
    assert ax.get_xlabel() == "movie"
    assert ax.get_ylabel() == "user"
    assert ax.get_title() == "ratings"
    assert image.colorbar is not None
    assert image.colorbar.ax.get_ylabel() == "rating"
    assert image.get_cmap().name == "viridis"
    assert image.norm.vmin == 1.0 and image.norm.vmax == 5.0
    # small matrix: annotated, missing cells marked
    assert sorted(texts(ax)) == sorted(["5.00", "?", "3.00", "?", "1.00", "4.00"])
    # the hatched background that shows through the missing cells
    assert any(p.get_hatch() == "//" for p in ax.patches)


def test_heatmap_missing_mask_and_plain_array():
    R = np.array([[5.0, 0.0], [2.0, 4.0]])
    ax = heatmap(R, missing=(R == 0), annotate=True, fmt=".1f", cbar_label=None)
    mask = np.ma.getmaskarray(ax.images[0].get_array())
    np.testing.assert_array_equal(mask, [[False, True], [False, False]])
    assert ax.images[0].colorbar is None
    assert sorted(texts(ax)) == ["2.0", "4.0", "5.0", "?"]
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]


def test_heatmap_diverging_has_symmetric_limits():
    residuals = np.array([[-0.5, 2.0], [1.0, np.nan]])
    ax = heatmap(residuals, diverging=True, annotate=False)
    image = ax.images[0]
    assert image.norm.vmin == -2.0 and image.norm.vmax == 2.0
    assert image.get_cmap().name.startswith("RdBu_r")
    assert texts(ax) == []


def test_heatmap_large_matrix_is_not_annotated_and_ticks_stay_readable():
    big = pd.DataFrame(np.arange(60 * 50, dtype=float).reshape(60, 50))
    ax = heatmap(big)
    ax.figure.canvas.draw()
    assert texts(ax) == []
    assert len(ax.get_yticks()) <= 12


def test_heatmap_all_missing_or_constant_draws_without_warnings():
    heatmap(np.full((2, 2), np.nan))
    ax = heatmap(np.full((2, 3), 3.0))
    assert ax.images[0].norm.vmin < 3.0 < ax.images[0].norm.vmax
    ax.figure.canvas.draw()


def test_heatmap_draws_on_a_given_axes(ratings):
    fig, axes = plt.subplots(1, 2)
    returned = heatmap(ratings, ax=axes[1], vmin=0, vmax=5)
    assert returned is axes[1]
    assert returned.images[0].norm.vmin == 0


def test_heatmap_rejects_bad_input(ratings):
    with pytest.raises(ValueError, match="2-D"):
        heatmap(np.arange(3.0))
    with pytest.raises(ValueError, match="empty"):
        heatmap(np.empty((0, 3)))
    with pytest.raises(ValueError, match="inf"):
        heatmap(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match="shape"):
        heatmap(ratings, missing=np.zeros((3, 3), dtype=bool))
    with pytest.raises(TypeError, match="boolean"):
        heatmap(ratings, missing=np.zeros((2, 3)))
    with pytest.raises(TypeError, match="numbers"):
        heatmap(pd.DataFrame([["a", "b"]]))
    with pytest.raises(ValueError, match="swap"):
        heatmap(ratings, vmin=5, vmax=1)


def test_loss_curve_labels_and_iterations():
    ax = loss_curve([4.0, 2.0, 1.5, 1.4], label="k=2", title="training")
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
    assert ax.get_xlabel() == "iteration"
    assert ax.get_ylabel() == "loss"
    assert ax.get_title() == "training"
    assert ax.get_legend() is not None

    loss_curve(np.array([3.0, 1.0]), ax=ax, label="k=5", logy=True, start=0)
    assert len(ax.get_lines()) == 2
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.get_lines()[1].get_xdata(), [0, 1])
    ax.figure.canvas.draw()


def test_loss_curve_series_uses_its_index():
    ax = loss_curve(pd.Series([3.0, 2.0], index=[10, 20]))
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [10, 20])
    assert ax.get_legend() is None


def test_loss_curve_rejects_bad_input():
    with pytest.raises(ValueError, match="non-empty"):
        loss_curve([])
    with pytest.raises(ValueError, match="diverged"):
        loss_curve([1.0, np.nan])
    with pytest.raises(ValueError, match="logy=False"):
        loss_curve([1.0, 0.0], logy=True)


def test_bar_compare_sorts_and_labels_values():
    ax = bar_compare(
        {"global mean": 1.04, "NMF": 0.92, "SVD": 0.87},
        errors={"global mean": 0.01, "NMF": 0.02, "SVD": 0.015},
        title="5-fold CV",
    )
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["SVD", "NMF", "global mean"]
    assert ax.get_xlabel() == "RMSE"
    assert texts(ax) == ["0.870", "0.920", "1.040"]


def test_bar_compare_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        bar_compare({})
    with pytest.raises(ValueError, match="finite"):
        bar_compare({"a": np.nan})
    with pytest.raises(ValueError, match="errors"):
        bar_compare({"a": 1.0}, errors={"b": 0.1})
