"""Speed benchmark: nmf_teach against Surprise on MovieLens small, in one run.

Three comparisons, each on all 100,836 ratings, the same row order and seed,
fitted ``--repeats`` times alternately so that both libraries see the same
machine load (kernels compiled before timing starts, Python's garbage collector
paused during each timed fit):

* ``nmf``: ``surprise.NMF(random_state=0)`` against ``nmf_teach.NMF(random_state=0)``,
  default parameters (15 factors, 50 epochs);
* ``nmf_biased``: the same with ``biased=True``;
* ``tuned_vs_svd``: ``nmf_teach.tuned_nmf(random_state=0)`` against
  ``surprise.SVD(random_state=0)``, the model it competes with on accuracy.

Surprise fits a prebuilt trainset; nmf_teach fits the DataFrame (its timing
includes checking and indexing the ratings). The **speed-up** of a comparison
is the median Surprise fit time divided by the median nmf_teach fit time.
Also measured: the time per prediction, the largest difference between the
two NMFs' predictions (same model and order of arithmetic, so it should be 0), and the cost of
the first call in a new environment (numba compiles the kernels) against a
later one (machine code loaded from the cache), each in a fresh process.

Writes ``fit_times.csv`` and ``first_call.csv`` in ``nmf_teach/data/benchmark_results/``
(read by notebook 14).

    python benchmarks/bench_fit.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _provenance import write_csv
from surprise import NMF as SurpriseNMF
from surprise import SVD, Dataset, Reader

from nmf_teach import NMF, tuned_nmf
from nmf_teach.datasets import load_movielens_small

RESULTS = Path(__file__).resolve().parent.parent / "nmf_teach" / "data" / "benchmark_results"
SCALE = (0.5, 5.0)

# Fits MovieLens small once with each model; run in a fresh process.
FIRST_CALL = """
import time
start = time.perf_counter()
from nmf_teach import NMF, tuned_nmf
from nmf_teach.datasets import load_movielens_small
ratings = load_movielens_small()[["user", "item", "rating"]]
NMF(random_state=0).fit(ratings)
NMF(random_state=0, biased=True).fit(ratings)
tuned_nmf(random_state=0).fit(ratings)
print(time.perf_counter() - start)
"""


def seconds(action, *args, **kwargs) -> float:
    """Wall time of ``action(*args, **kwargs)``, with Python's garbage collector paused.

    As ``timeit`` does: otherwise a collection that the *other* library's objects
    made necessary (Surprise keeps a Python tuple per rating) can land in the middle
    of a timed fit. The collector runs before each timing instead.
    """
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        action(*args, **kwargs)
        return time.perf_counter() - start
    finally:
        gc.enable()


def predict_each(model, pairs: list) -> None:
    for u, i in pairs:
        model.predict(u, i)


def first_call_seconds() -> dict[str, float]:
    """Import + fit of all three models in a new process: empty cache, then filled cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        run = [sys.executable, "-c", FIRST_CALL]
        times = {}
        for what in ("compile (empty cache)", "cached"):
            out = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
            times[what] = float(out.stdout.strip().splitlines()[-1])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    ratings = load_movielens_small()[["user", "item", "rating"]]
    trainset = Dataset.load_from_df(ratings, Reader(rating_scale=SCALE)).build_full_trainset()
    comparisons = {
        "nmf": (SurpriseNMF(random_state=0), NMF(random_state=0)),
        "nmf_biased": (SurpriseNMF(biased=True, random_state=0), NMF(biased=True, random_state=0)),
        "tuned_vs_svd": (SVD(random_state=0), tuned_nmf(random_state=0)),
    }
    for _, ours in comparisons.values():
        ours.fit(ratings, rating_scale=SCALE)  # compile (or load) the kernels first

    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeats):  # alternate, so both see the same machine load
        for name, (theirs, ours) in comparisons.items():
            times.setdefault((name, "surprise"), []).append(seconds(theirs.fit, trainset))
            times.setdefault((name, "nmf_teach"), []).append(
                seconds(ours.fit, ratings, rating_scale=SCALE)
            )

    pairs = list(zip(ratings.user, ratings.item, strict=True))
    rows = []
    for name, (theirs, ours) in comparisons.items():
        theirs_s = statistics.median(times[(name, "surprise")])
        ours_s = statistics.median(times[(name, "nmf_teach")])
        difference = np.nan
        if name != "tuned_vs_svd":  # the same model in both libraries
            expected = np.array([theirs.predict(u, i).est for u, i in pairs])
            difference = float(np.abs(ours.predict_frame(ratings) - expected).max())
        sample = pairs[:20_000]
        one_theirs = seconds(predict_each, theirs, sample) / len(sample)
        one_ours = seconds(predict_each, ours, sample) / len(sample)
        batch_ours = seconds(ours.predict_frame, ratings) / len(ratings)
        for library, model, median, one, batch in [
            ("surprise", type(theirs).__name__, theirs_s, one_theirs, np.nan),
            ("nmf_teach", type(ours).__name__, ours_s, one_ours, batch_ours),
        ]:
            rows.append(
                {
                    "comparison": name,
                    "library": library,
                    "model": model,
                    "n_ratings": len(ratings),
                    "repeats": args.repeats,
                    "median_fit_seconds": median,
                    "speed_up": theirs_s / ours_s if library == "nmf_teach" else np.nan,
                    "predict_one_microseconds": one * 1e6,
                    "predict_frame_microseconds_per_row": batch * 1e6,
                    "max_prediction_difference": difference if library == "nmf_teach" else np.nan,
                }
            )
    table = pd.DataFrame(rows)
    write_csv(table, RESULTS / "fit_times.csv")

    first = first_call_seconds()
    write_csv(
        pd.DataFrame({"what": list(first), "seconds": list(first.values())}),
        RESULTS / "first_call.csv",
    )

    print(f"MovieLens small: {len(ratings)} ratings, {args.repeats} alternating repeats")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(4).to_string(index=False))
    for name in comparisons:
        ratio = table.query("comparison == @name and library == 'nmf_teach'").speed_up.item()
        print(f"speed-up {name:13s} (Surprise / nmf_teach): {ratio:5.1f}x")
    for what, value in first.items():
        print(f"first call in a new process, {what}: {value:.1f} s")
    print(f"written: {RESULTS / 'fit_times.csv'}, {RESULTS / 'first_call.csv'}")


if __name__ == "__main__":
    main()
