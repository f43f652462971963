"""Top-10 lists from implicit feedback: tuning and comparison on notebook 12's protocol.

Protocol (notebook 12): MovieLens small, ``train_test_split(test_size=0.2,
random_state=seed)``; a movie is relevant for a user if the user rated it >= 4
in the test part; candidates are the training movies the user has not rated;
precision, recall and nDCG at 10 from ``nmf_teach.metrics.ranking_metrics``.

Two parts:

* ``--tune``: the grid that chose ``nmf_teach.implicit.IMPLICIT_TUNED_PARAMS``.
  The *training* part of split seed 0 is split again 80/20 (seed 100); every
  setting is fitted on the first part and scored on the second (the test rows
  of split 0 are never read). A full grid over ``n_factors``, ``alpha``,
  ``reg`` and ``rating_confidence``, then single changes around its best
  setting. Writes ``nmf_teach/data/benchmark_results/implicit_tuning.csv``.
* default: every model of notebook 15 on split seeds 0, 1, 2 -- popularity,
  item-item cosine, the rating NMF of notebook 12 (``nmf_teach.NMF``, seed 0),
  ``tuned_implicit_nmf(random_state=0)`` and, as a reference that is *not*
  non-negative, EASE (Steck, 2019, "Embarrassingly Shallow Autoencoders for
  Sparse Data", WWW; penalty 500). Writes ``nmf_teach/data/benchmark_results/implicit_topn.csv``.

Run from the repository root::

    python benchmarks/implicit_topn.py --tune   # about 5 minutes on 2 cores
    python benchmarks/implicit_topn.py          # about 2 minutes
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _provenance import write_csv
from tqdm import tqdm

from nmf_teach import NMF, datasets, metrics
from nmf_teach.implicit import IMPLICIT_TUNED_PARAMS, ImplicitNMF, tuned_implicit_nmf
from nmf_teach.model_selection import train_test_split
from nmf_teach.recommend import catalogue_coverage, item_cosine_top_n, popularity_top_n, top_n_all

RESULTS = Path(__file__).resolve().parent.parent / "nmf_teach" / "data" / "benchmark_results"
K = 10
THRESHOLD = 4.0
VALIDATION_SEED = 100
EASE_PENALTY = 500.0


def split(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    ratings = datasets.load_movielens_small()[["user", "item", "rating"]]
    return train_test_split(ratings, test_size=0.2, random_state=seed)


def ease_top_n(train: pd.DataFrame, users: list, n: int = K) -> dict:
    """EASE (Steck 2019): B = I - P / diag(P), P = (X^T X + lambda I)^-1, diag(B) = 0."""
    u_codes, u_ids = pd.factorize(train["user"])
    i_codes, i_ids = pd.factorize(train["item"])
    X = np.zeros((len(u_ids), len(i_ids)))
    X[u_codes, i_codes] = 1.0
    gram = X.T @ X + EASE_PENALTY * np.eye(len(i_ids))
    P = np.linalg.inv(gram)
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    rows = pd.Index(u_ids).get_indexer(users)
    scores = X[rows] @ B
    scores[X[rows] > 0] = -np.inf
    best = np.argsort(-scores, axis=1, kind="stable")[:, :n]
    return {user: i_ids[b].tolist() for user, b in zip(users, best, strict=True)}


def evaluate(lists: dict, test: pd.DataFrame, popularity: pd.Series) -> dict:
    relevant = metrics.relevant_items(test, threshold=THRESHOLD)
    scores = metrics.ranking_metrics(lists, relevant, k=K).iloc[0]
    recommended = [item for items in lists.values() for item in items]
    return {
        "precision": scores["precision"],
        "recall": scores["recall"],
        "ndcg": scores["ndcg"],
        "coverage": catalogue_coverage(lists, n_items=len(popularity)),
        "mean_popularity": float(popularity.reindex(recommended).mean()),
    }


def implicit_lists(params: dict, train: pd.DataFrame, users: list) -> tuple[dict, float]:
    start = time.perf_counter()
    model = ImplicitNMF(**params).fit(train)
    seconds = time.perf_counter() - start
    return top_n_all(model, users, n=K, seen=train), seconds


def tune() -> None:
    train, _ = split(0)  # the test part of split 0 is not used here
    fit_part, validation = train_test_split(train, test_size=0.2, random_state=VALIDATION_SEED)
    users = sorted(fit_part["user"].unique())
    popularity = fit_part.groupby("item").size()
    base = {"n_epochs": 10, "random_state": 0}
    grid = [
        {**base, "n_factors": k, "alpha": a, "reg": r, "rating_confidence": c}
        for k, a, r, c in itertools.product(
            [50, 100], [3.0, 10.0, 30.0], [10.0, 50.0, 150.0], [False, True]
        )
    ]
    rows = [
        {
            "stage": "baseline",
            "params": "popularity",
            **evaluate(popularity_top_n(fit_part, users, n=K), validation, popularity),
        }
    ]

    def run(stage: str, settings: list[dict]) -> None:
        for params in tqdm(settings, desc=stage):
            lists, seconds = implicit_lists(params, fit_part, users)
            rows.append(
                {
                    "stage": stage,
                    "params": json.dumps(params, sort_keys=True),
                    **evaluate(lists, validation, popularity),
                    "fit_seconds": seconds,
                }
            )

    run("grid", grid)
    table = pd.DataFrame(rows)
    best = json.loads(
        table.loc[table["stage"] == "grid"].sort_values("precision").iloc[-1]["params"]
    )
    changes = [
        {"n_factors": 200},
        {"n_epochs": 5},
        {"n_epochs": 20},
        {"zero_weight_exponent": -0.3},
        {"zero_weight_exponent": 0.3},
        {"reg_exponent": -0.5},
        {"reg_exponent": 0.5},
    ]
    run("around the best", [{**best, **change} for change in changes])
    table = pd.DataFrame(rows)
    write_csv(table, RESULTS / "implicit_tuning.csv", float_format="%.6g")
    winner = table.loc[table["stage"] != "baseline"].sort_values("precision").iloc[-1]
    print("best on validation:", winner["params"], round(winner["precision"], 4))
    chosen = {**IMPLICIT_TUNED_PARAMS, "random_state": 0}
    print("IMPLICIT_TUNED_PARAMS is the best:", json.loads(winner["params"]) == chosen)


def timed(function, *args, **kwargs) -> tuple[dict, float]:
    """``function(*args, **kwargs)`` and the seconds it took."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def compare(seeds: list[int]) -> None:
    rows = []
    # Compile (or load from numba's cache) the kernels first, so that no fit time
    # below includes the JIT.
    tuned_implicit_nmf(random_state=0).fit(datasets.surprise_example_ratings())
    for seed in seeds:
        train, test = split(seed)
        users = sorted(train["user"].unique())
        popularity = train.groupby("item").size()

        start = time.perf_counter()
        rating_model = NMF(random_state=0).fit(train, rating_scale=(0.5, 5.0))
        rating_seconds = time.perf_counter() - start
        start = time.perf_counter()
        implicit_model = tuned_implicit_nmf(random_state=0).fit(train)
        implicit_seconds = time.perf_counter() - start
        models = {
            "popularity": timed(popularity_top_n, train, users, n=K),
            "item-item cosine": timed(item_cosine_top_n, train, users, n=K),
            "rating NMF": (top_n_all(rating_model, users, n=K, seen=train), rating_seconds),
            "implicit NMF (tuned)": (
                top_n_all(implicit_model, users, n=K, seen=train),
                implicit_seconds,
            ),
            "EASE (signed, reference)": timed(ease_top_n, train, users),
        }
        for name, (lists, seconds) in models.items():
            row = {"model": name, "seed": seed, **evaluate(lists, test, popularity)}
            row["fit_seconds"] = seconds
            rows.append(row)
            print(f"seed {seed} {name:26s} P@10 {row['precision']:.4f} nDCG@10 {row['ndcg']:.4f}")
    table = pd.DataFrame(rows)
    write_csv(table, RESULTS / "implicit_topn.csv", float_format="%.6g")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="run the validation grid instead")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if args.tune:
        tune()
    else:
        compare(args.seeds)


if __name__ == "__main__":
    main()
