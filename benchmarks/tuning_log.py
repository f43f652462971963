# ruff: noqa: E501  (the table of tries reads best one per line)
"""Recompute every row of ``nmf_teach/data/benchmark_results/tuning_log.csv``: the record of the settings
tried while tuning :func:`nmf_teach.tuned.tuned_nmf`.

Each try is listed below (model family, parameters, split, note). For split 0
and 1 the score is the mean over the 5 folds of ``KFold(5, random_state=split)``;
for split -1 (a small nested check) it is one 80/20 hold-out
(``train_test_split(..., random_state=0)``) of the *training* ratings of fold 1
of split 0. The "average of 3" try averages the unclipped predictions of seeds
0, 1, 2 of the final setting and then clips (an average of M NMFs is one NMF
with M*k factors scaled by 1/sqrt(M)).

    python benchmarks/tuning_log.py            # recompute and rewrite the CSV
    python benchmarks/tuning_log.py --check    # recompute and compare with the CSV

Takes about 20-30 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _provenance import write_csv
from tqdm import tqdm

from nmf_teach import NMF
from nmf_teach.biased_nmf import BiasedNMF
from nmf_teach.datasets import load_movielens_small
from nmf_teach.metrics import mae, rmse
from nmf_teach.model_selection import KFold, train_test_split

SCALE = (0.5, 5.0)
OUTPUT = (
    Path(__file__).resolve().parent.parent
    / "nmf_teach"
    / "data"
    / "benchmark_results"
    / "tuning_log.csv"
)
NESTED = "nested check: one 80/20 split of fold 1's training ratings (not a 5-fold mean)"
AVERAGE = "average of 3 BiasedNMF (seeds 0..2)"

# (family, parameters, split seed, note)
TRIES: list[tuple[str, dict, int, str]] = [
    ("BiasedNMF", {}, 0, "defaults of the new class: k=100, reg 0.08, 20 epochs"),
    ("BiasedNMF", {"n_factors": 20}, 0, "vary k"),
    ("BiasedNMF", {"n_factors": 50}, 0, "vary k"),
    ("BiasedNMF", {"n_factors": 200}, 0, "vary k"),
    ("BiasedNMF", {"reg_pu": 0.05, "reg_qi": 0.05}, 0, "vary factor regularization"),
    ("BiasedNMF", {"reg_pu": 0.065, "reg_qi": 0.065}, 0, "vary factor regularization"),
    ("BiasedNMF", {"reg_pu": 0.1, "reg_qi": 0.1}, 0, "vary factor regularization"),
    ("BiasedNMF", {"n_epochs": 10}, 0, "vary epochs"),
    ("BiasedNMF", {"n_epochs": 40}, 0, "vary epochs"),
    ("BiasedNMF", {"init_high": 0.01}, 0, "smaller init"),
    ("BiasedNMF", {"init_high": 0.5}, 0, "larger init"),
    ("BiasedNMF", {"reg_bi": 5.0, "reg_bu": 5.0}, 0, "weaker bias regularization"),
    ("BiasedNMF", {"reg_bi": 25.0, "reg_bu": 25.0}, 0, "stronger bias regularization"),
    ("BiasedNMF", {"biased": False}, 0, "no biases (plain NMF by coordinate descent)"),
    ("BiasedNMF", {"bias_epochs": 0}, 0, "no baseline warm start"),
    ("nmf_teach.NMF", {}, 0, "Surprise NMF defaults (k=15, reg 0.06, 50 epochs)"),
    ("nmf_teach.NMF", {"n_factors": 5}, 0, "fewer factors"),
    ("nmf_teach.NMF", {"n_factors": 50}, 0, "more factors"),
    ("nmf_teach.NMF", {"n_factors": 50, "reg_pu": 0.1, "reg_qi": 0.1}, 0, "more factors, stronger reg"),
    ("nmf_teach.NMF", {"reg_pu": 0.1, "reg_qi": 0.1}, 0, "stronger reg"),
    ("nmf_teach.NMF", {"reg_pu": 0.2, "reg_qi": 0.2}, 0, "much stronger reg"),
    ("nmf_teach.NMF", {"n_epochs": 100}, 0, "more epochs"),
    ("nmf_teach.NMF", {"n_epochs": 20}, 0, "fewer epochs (early stopping)"),
    ("nmf_teach.NMF", {"init_high": 1.5, "init_low": 0.5}, 0, "shifted init range"),
    ("nmf_teach.NMF", {"biased": True}, 0, "Surprise's SGD biases (slow)"),
    ("BiasedNMF", {}, 1, "final setting, second split"),
    (AVERAGE, {}, 0, "average of 3 seeds of the final setting (= one NMF with 300 factors scaled by 1/sqrt(3))"),
    ("nmf_teach.NMF", {"n_factors": 50, "reg_pu": 0.15, "reg_qi": 0.15}, 0, "more factors, much stronger reg"),
    ("nmf_teach.NMF", {"n_factors": 100, "reg_pu": 0.12, "reg_qi": 0.12}, 0, "many factors, strong reg"),
    ("BiasedNMF", {"reg_pu": 0.05, "reg_qi": 0.05}, -1, NESTED),
    ("BiasedNMF", {"reg_pu": 0.065, "reg_qi": 0.065}, -1, NESTED),
    ("BiasedNMF", {"reg_pu": 0.08, "reg_qi": 0.08}, -1, NESTED),
    ("BiasedNMF", {"reg_pu": 0.1, "reg_qi": 0.1}, -1, NESTED),
    ("BiasedNMF", {"n_factors": 50}, -1, NESTED),
    ("BiasedNMF", {"n_factors": 200}, -1, NESTED),
]  # fmt: skip


def unclipped_average(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Average of the unclipped predictions of seeds 0, 1, 2 of the final setting, clipped."""
    total = np.zeros(len(test))
    for seed in range(3):
        model = BiasedNMF(random_state=seed).fit(train, rating_scale=SCALE)
        lo, hi = model.rating_scale_
        model.rating_scale_ = (-np.inf, np.inf)  # read the raw estimates
        total += model.predict_frame(test)
        model.rating_scale_ = (lo, hi)
    return np.clip(total / 3, *SCALE)


def score(family: str, params: dict, train: pd.DataFrame, test: pd.DataFrame) -> tuple:
    start = time.perf_counter()
    if family == AVERAGE:
        predictions = unclipped_average(train, test)
    else:
        model_class = BiasedNMF if family == "BiasedNMF" else NMF
        model = model_class(**params, random_state=0).fit(train, rating_scale=SCALE)
        predictions = model.predict_frame(test)
    seconds = time.perf_counter() - start
    truth = test.iloc[:, 2].to_numpy()
    return rmse(truth, predictions), mae(truth, predictions), seconds


def splits(ratings: pd.DataFrame, split_seed: int) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    if split_seed >= 0:
        return list(KFold(n_splits=5, random_state=split_seed).split(ratings))
    first_train, _ = next(iter(KFold(n_splits=5, random_state=0).split(ratings)))
    return [train_test_split(first_train, test_size=0.2, random_state=0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the CSV, don't write")
    args = parser.parse_args()
    ratings = load_movielens_small()[["user", "item", "rating"]]

    rows = []
    for family, params, split_seed, note in tqdm(TRIES, desc="tuning log"):
        scores = np.array([score(family, params, tr, te) for tr, te in splits(ratings, split_seed)])
        rmse_, mae_, seconds = scores.mean(axis=0)
        rows.append(
            {
                "family": family,
                "params": json.dumps(
                    {**params, "random_state": 0} if family != AVERAGE else {}, sort_keys=True
                ),
                "split_seed": split_seed,
                "rmse": round(rmse_, 5),
                "mae": round(mae_, 5),
                "fit_seconds_per_fold": round(seconds, 2) if split_seed >= 0 else np.nan,
                "note": note,
            }
        )
    log = pd.DataFrame(rows)
    if args.check:
        # Everything but the timings and the provenance must be the same, by column name.
        stored = pd.read_csv(OUTPUT)
        same = ["family", "params", "split_seed", "rmse", "mae", "note"]
        print(log[same[:-1]].to_string())
        mismatched = [c for c in same if not stored[c].equals(log[c])]
        print("columns that differ from the stored log:", mismatched or "none")
        if mismatched:
            raise SystemExit(1)
    else:
        write_csv(log, OUTPUT)
        print(f"written: {OUTPUT}")


if __name__ == "__main__":
    main()
