"""Cross-validated tuning curves for notebook 10 ("Making NMF competitive").

For two models, change one setting at a time and record the training and test
RMSE of every fold of ``KFold(n_splits=5, random_state=0)`` on MovieLens small:

* ``nmf_teach.NMF`` (Surprise's NMF; other settings at Surprise's defaults:
  15 factors, penalty 0.06, 50 epochs, factors start uniform in [0, 1));
* ``BiasedNMF`` (``nmf_teach.biased_nmf``; other settings at
  ``nmf_teach.tuned.TUNED_PARAMS``: 100 factors, penalty 0.08, 20 epochs,
  start uniform in [0, 0.1), with biases).

Curves (column ``curve``): ``n_factors``, ``reg`` (``reg_pu = reg_qi``),
``n_epochs``, ``init_high`` (upper end of the initial range, ``init_low = 0``)
and ``biased`` (biases off / on). Training RMSE is measured on the training
fold with the same clipped predictions as the test RMSE.

Writes ``nmf_teach/data/benchmark_results/tuning_curves.csv`` with columns
``model, curve, value, fold, train_rmse, test_rmse``. Takes about 10 minutes on
2 quiet cores (most of it the ``BiasedNMF`` fits with 100 to 200 factors).

    python benchmarks/tuning_curves.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _provenance import write_csv
from tqdm import tqdm

from nmf_teach import NMF
from nmf_teach.biased_nmf import BiasedNMF
from nmf_teach.datasets import load_movielens_small
from nmf_teach.metrics import rmse
from nmf_teach.model_selection import KFold
from nmf_teach.tuned import TUNED_PARAMS

OUT = (
    Path(__file__).resolve().parent.parent
    / "nmf_teach"
    / "data"
    / "benchmark_results"
    / "tuning_curves.csv"
)
SCALE = (0.5, 5.0)

# (model name, curve, values): one setting changed from the model's base settings.
GRID = [
    ("nmf_teach.NMF", "n_factors", [1, 2, 5, 10, 15, 30, 60]),
    ("nmf_teach.NMF", "reg", [0.01, 0.03, 0.06, 0.1, 0.2, 0.4]),
    ("nmf_teach.NMF", "n_epochs", [5, 10, 20, 50, 100, 200]),
    ("nmf_teach.NMF", "init_high", [0.1, 0.3, 1.0, 3.0]),
    ("nmf_teach.NMF", "biased", [False, True]),
    ("BiasedNMF", "n_factors", [5, 10, 20, 50, 100, 200]),
    ("BiasedNMF", "reg", [0.03, 0.05, 0.08, 0.12, 0.2]),
    ("BiasedNMF", "n_epochs", [1, 3, 10, 20, 40]),
    ("BiasedNMF", "init_high", [0.01, 0.1, 0.3]),
    ("BiasedNMF", "biased", [False, True]),
]


def make_model(model: str, curve: str, value):
    """An unfitted model: the base settings with ``curve`` set to ``value``."""
    settings = {"reg_pu": value, "reg_qi": value} if curve == "reg" else {curve: value}
    if model == "nmf_teach.NMF":
        return NMF(**settings, random_state=0)
    return BiasedNMF(**{**TUNED_PARAMS, **settings}, random_state=0)


def main() -> None:
    ratings = load_movielens_small()[["user", "item", "rating"]]
    folds = list(KFold(n_splits=5, random_state=0).split(ratings))
    jobs = [(m, c, v) for m, c, values in GRID for v in values]
    rows = []
    for model, curve, value in tqdm(jobs, desc="settings"):
        for fold, (train, test) in enumerate(folds, start=1):
            fitted = make_model(model, curve, value).fit(train, rating_scale=SCALE)
            rows.append(
                {
                    "model": model,
                    "curve": curve,
                    "value": float(value),  # a number in every row: biased is 0 or 1
                    "fold": fold,
                    "train_rmse": rmse(train["rating"], fitted.predict_frame(train)),
                    "test_rmse": rmse(test["rating"], fitted.predict_frame(test)),
                }
            )
    table = pd.DataFrame(rows)
    write_csv(table, OUT)
    means = table.groupby(["model", "curve", "value"], sort=False)[["train_rmse", "test_rmse"]]
    print(means.mean().round(4).to_string())
    print(f"\nwritten to {OUT.relative_to(OUT.parents[2])}")
    assert np.isfinite(table[["train_rmse", "test_rmse"]].to_numpy()).all()


if __name__ == "__main__":
    main()
