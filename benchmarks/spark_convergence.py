"""ALS (Spark) against multiplicative updates: the objective and test RMSE after each pass.

Both methods minimise the same objective, ALS-WR's (Zhou et al. 2008), which is
twice Luo et al.'s (2014) with ``reg_pu = reg_qi = reg``, with the same rank,
penalty and split (notebook 08's ``train_test_split(test_size=0.2,
random_state=0)`` of MovieLens small):

* ``ALS``: ``nmf_teach.spark.fit_als(rank=50, reg=0.1, seed=0)`` with ``maxIter``
  = 1, 2, ..., 10 (one fit per point; with a fixed seed and fixed blocks the fit
  with ``maxIter = t`` is the state of the longer fit after ``t`` passes);
* ``multiplicative updates``: ``nmf_teach.NMF(n_factors=50, reg_pu=0.1,
  reg_qi=0.1, random_state=0)`` with ``n_epochs`` from 1 to 200.

A pass is one update of every user factor and every item factor. Unknown test
movies are scored with the training mean, predictions clipped to (0.5, 5).
Notebook 16 plots the result (and recomputes the 10-iteration ALS point and the
50-epoch point of the updates itself).

    python benchmarks/spark_convergence.py      # about 2 minutes on 2 cores

Writes ``nmf_teach/data/benchmark_results/spark_convergence.csv`` (``method, passes, objective,
train_rmse, test_rmse``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _provenance import write_csv

from nmf_teach import NMF
from nmf_teach.datasets import load_movielens_small
from nmf_teach.metrics import rmse
from nmf_teach.model_selection import train_test_split
from nmf_teach.spark import (
    als_wr_objective,
    collect_factors,
    fit_als,
    from_pandas,
    local_session,
    score,
    stop_session,
    to_pandas,
)

RESULTS = (
    Path(__file__).resolve().parent.parent
    / "nmf_teach"
    / "data"
    / "benchmark_results"
    / "spark_convergence.csv"
)
RANK, REG, SCALE = 50, 0.1, (0.5, 5.0)
ALS_PASSES = range(1, 11)
MU_PASSES = [1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200]


def rows_of(frame: pd.DataFrame, ids: np.ndarray, column: str) -> np.ndarray:
    return pd.Index(ids).get_indexer(frame[column].to_numpy())


def main() -> None:
    ratings = load_movielens_small()[["user", "item", "rating"]]
    train, test = train_test_split(ratings, test_size=0.2, random_state=0)
    mean = float(train["rating"].mean())
    records = []

    for passes in MU_PASSES:
        model = NMF(n_factors=RANK, n_epochs=passes, reg_pu=REG, reg_qi=REG, random_state=0)
        model.fit(train, rating_scale=SCALE)
        u = rows_of(train, model.user_ids_.astype(np.int64), "user")
        i = rows_of(train, model.item_ids_.astype(np.int64), "item")
        objective = als_wr_objective(u, i, train["rating"], model.pu_, model.qi_, REG)["total"]
        records.append(
            {
                "method": "multiplicative updates",
                "passes": passes,
                "objective": objective,
                "train_rmse": rmse(train["rating"], model.predict_frame(train)),
                "test_rmse": rmse(test["rating"], model.predict_frame(test)),
            }
        )
        print(records[-1], flush=True)

    spark = local_session()
    train_sdf, test_sdf = from_pandas(spark, train), from_pandas(spark, test)
    for passes in ALS_PASSES:
        model = fit_als(train_sdf, rank=RANK, reg=REG, iterations=passes, seed=0)
        user_ids, pu = collect_factors(model.userFactors)
        item_ids, qi = collect_factors(model.itemFactors)
        u, i = rows_of(train, user_ids, "user"), rows_of(train, item_ids, "item")
        objective = als_wr_objective(u, i, train["rating"], pu, qi, REG)["total"]
        records.append(
            {
                "method": "ALS",
                "passes": passes,
                "objective": objective,
                "train_rmse": _rmse_by_key(model, train_sdf, mean),
                "test_rmse": _rmse_by_key(model, test_sdf, mean),
            }
        )
        print(records[-1], flush=True)
    stop_session(spark)

    RESULTS.parent.mkdir(exist_ok=True)
    write_csv(pd.DataFrame(records), RESULTS, float_format="%.6f")
    print(f"wrote {RESULTS}")


def _rmse_by_key(model, frame, mean: float) -> float:
    """RMSE of the scored rows (each row keeps its own rating, so order does not matter)."""
    scored = to_pandas(score(model, frame, mean, SCALE).select("rating", "prediction"))
    return rmse(scored["rating"], scored["prediction"])


if __name__ == "__main__":
    main()
