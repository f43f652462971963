"""Every benchmark of the course in one run: accuracy and fit time on MovieLens small.

Six methods are fitted on the 5 folds of ``KFold(n_splits=5, random_state=0)``
(the folds of ``surprise.model_selection.KFold(n_splits=5, random_state=0)``,
reproduced row for row by ``nmf_teach.model_selection.KFold``):

* ``global mean``           -- predict the mean training rating for everything;
* ``surprise.BaselineOnly`` -- ``mu + b_u + b_i`` (Surprise defaults: ALS, 10 epochs);
* ``surprise.NMF``          -- Surprise's NMF, ``random_state=0``, other defaults;
* ``surprise.SVD``          -- Surprise's (signed) matrix factorization, ``random_state=0``;
* ``nmf_teach.NMF``         -- this package's exact, compiled copy of ``surprise.NMF``;
* ``nmf_teach.tuned_nmf``   -- ``nmf_teach.tuned.tuned_nmf(random_state=0)``, the tuned
  non-negative model of notebook 10.

Every method is scored with ``nmf_teach.metrics.rmse`` / ``mae`` on the same test
rows (Surprise models through their own ``predict``). The script prints a table of
mean RMSE, MAE and fit time per method (a Surprise fit time here includes building
its trainset from the fold's DataFrame; the speed-ups are measured by
``bench_fit.py``), writes one row per method and fold to
``nmf_teach/data/benchmark_results/cv_results.csv`` and, unless ``--skip-full-data``, runs
``benchmarks/bench_fit.py`` (fit time on all 100,836 ratings, 7 repeats).

    python benchmarks/run_all.py [--skip-full-data]        # or: make bench
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _provenance import write_csv
from surprise import NMF as SurpriseNMF
from surprise import SVD, BaselineOnly, Dataset, Reader
from tqdm import tqdm

from nmf_teach import NMF
from nmf_teach.datasets import load_movielens_small
from nmf_teach.metrics import mae, rmse
from nmf_teach.model_selection import KFold
from nmf_teach.tuned import tuned_nmf

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "nmf_teach" / "data" / "benchmark_results" / "cv_results.csv"
SCALE = (0.5, 5.0)


class GlobalMean:
    """The simplest predictor: the mean training rating, for every user and item."""

    def fit(self, data: pd.DataFrame, rating_scale=None) -> GlobalMean:
        self.mean_ = float(data.iloc[:, 2].mean())
        return self

    def predict_frame(self, data: pd.DataFrame) -> np.ndarray:
        return np.full(len(data), self.mean_)


class SurpriseModel:
    """Fit a Surprise algorithm on a training DataFrame; predict with its own ``predict``."""

    def __init__(self, algo) -> None:
        self.algo = algo

    def fit(self, data: pd.DataFrame, rating_scale=SCALE) -> SurpriseModel:
        dataset = Dataset.load_from_df(data.iloc[:, :3], Reader(rating_scale=rating_scale))
        self.algo.fit(dataset.build_full_trainset())
        return self

    def predict_frame(self, data: pd.DataFrame) -> np.ndarray:
        pairs = zip(data.iloc[:, 0], data.iloc[:, 1], strict=True)
        return np.array([self.algo.predict(u, i).est for u, i in pairs])


METHODS = {
    "global mean": GlobalMean,
    "surprise.BaselineOnly": lambda: SurpriseModel(BaselineOnly(verbose=False)),
    "surprise.NMF": lambda: SurpriseModel(SurpriseNMF(random_state=0)),
    "surprise.SVD": lambda: SurpriseModel(SVD(random_state=0)),
    "nmf_teach.NMF": lambda: NMF(random_state=0),
    "nmf_teach.tuned_nmf": lambda: tuned_nmf(random_state=0),
}


def run_cv(ratings: pd.DataFrame) -> pd.DataFrame:
    """Fit every method on every fold; one row per (method, fold)."""
    folds = list(KFold(n_splits=5, random_state=0).split(ratings))
    rows = []
    with tqdm(total=len(METHODS) * len(folds), desc="fits") as bar:
        for name, factory in METHODS.items():
            for fold, (train, test) in enumerate(folds, start=1):
                bar.set_postfix_str(f"{name}, fold {fold}")
                start = time.perf_counter()
                model = factory().fit(train, rating_scale=SCALE)
                seconds = time.perf_counter() - start
                pred = model.predict_frame(test)
                true = test.iloc[:, 2].to_numpy(dtype=np.float64)
                rows.append(
                    {
                        "method": name,
                        "fold": fold,
                        "rmse": rmse(true, pred),
                        "mae": mae(true, pred),
                        "fit_seconds": seconds,
                    }
                )
                bar.update()
    return pd.DataFrame(rows)


def report(results: pd.DataFrame) -> None:
    """Print mean RMSE / MAE / fit time per method (the speed-ups are bench_fit.py's)."""
    table = results.groupby("method", sort=False)[["rmse", "mae", "fit_seconds"]].mean()
    print("\n5-fold CV on MovieLens small (KFold(5, random_state=0)), means over folds:")
    print(table.to_string(float_format=lambda x: f"{x:.4f}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-full-data", action="store_true", help="do not run bench_fit.py afterwards"
    )
    args = parser.parse_args()

    ratings = load_movielens_small()[["user", "item", "rating"]]
    results = run_cv(ratings)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_csv(results.round({"fit_seconds": 4}), RESULTS)  # errors at full precision
    report(results)
    print(f"\nper-fold results written to {RESULTS.relative_to(HERE.parent)}")

    if not args.skip_full_data:
        print("\nfull-data fit time (benchmarks/bench_fit.py):", flush=True)
        subprocess.run([sys.executable, str(HERE / "bench_fit.py")], check=True)


if __name__ == "__main__":
    main()
