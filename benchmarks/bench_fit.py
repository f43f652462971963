"""Speed benchmark: nmf_teach.NMF against surprise.NMF on MovieLens small.

Both libraries fit the same ratings, in the same row order, with default
parameters and the same seed, several times in one run, alternating so that
both see the same machine load. Prints the median fit time of each, their
ratio, the time per prediction (one call at a time, and for nmf_teach also
vectorized over a whole DataFrame), and the largest difference between the two
libraries' predictions on every training pair. Writes the figures to
``benchmarks/results/fit_times.csv`` (read by notebook 13).

    python benchmarks/bench_fit.py [--repeats 7] [--biased]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
from surprise import NMF as SurpriseNMF
from surprise import Dataset, Reader

from nmf_teach import NMF
from nmf_teach.datasets import load_movielens_small

RESULTS = Path(__file__).resolve().parent / "results"


def seconds(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--biased", action="store_true", help="benchmark the biased model")
    parser.add_argument("--output", type=Path, default=RESULTS / "fit_times.csv")
    args = parser.parse_args()

    ratings = load_movielens_small()[["user", "item", "rating"]]
    scale = (0.5, 5.0)
    trainset = Dataset.load_from_df(ratings, Reader(rating_scale=scale)).build_full_trainset()
    params = dict(biased=args.biased, random_state=0)

    theirs, ours = SurpriseNMF(**params), NMF(**params)
    fit_times: dict[str, list[float]] = {"surprise": [], "nmf_teach": []}
    for _ in range(args.repeats):  # alternate, so both see the same machine load
        fit_times["surprise"].append(seconds(lambda: theirs.fit(trainset)))
        fit_times["nmf_teach"].append(seconds(lambda: ours.fit(ratings, rating_scale=scale)))

    pairs = list(zip(ratings.user, ratings.item, strict=True))
    sample = pairs[:20_000]
    one_theirs = seconds(lambda: [theirs.predict(u, i) for u, i in sample]) / len(sample)
    one_ours = seconds(lambda: [ours.predict(u, i) for u, i in sample]) / len(sample)
    batch_ours = seconds(lambda: ours.predict_frame(ratings)) / len(ratings)

    expected = np.array([theirs.predict(u, i).est for u, i in pairs])
    difference = float(np.abs(ours.predict_frame(ratings) - expected).max())

    fit_theirs = statistics.median(fit_times["surprise"])
    fit_ours = statistics.median(fit_times["nmf_teach"])
    mode = "biased" if args.biased else "unbiased"
    table = pd.DataFrame(
        {
            "library": ["surprise", "nmf_teach"],
            "mode": [mode, mode],
            "n_ratings": [len(ratings)] * 2,
            "repeats": [args.repeats] * 2,
            "median_fit_seconds": [fit_theirs, fit_ours],
            "predict_one_microseconds": [one_theirs * 1e6, one_ours * 1e6],
            "predict_frame_microseconds_per_row": [np.nan, batch_ours * 1e6],
            "max_prediction_difference": [0.0, difference],
        }
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.output, index=False)

    print(f"MovieLens small: {len(ratings)} ratings, default parameters ({mode}),")
    print(f"{args.repeats} alternating repeats")
    print(f"surprise.NMF   median fit time: {fit_theirs:8.3f} s")
    print(f"nmf_teach.NMF  median fit time: {fit_ours:8.3f} s")
    print(f"speed-up (surprise / nmf_teach): {fit_theirs / fit_ours:6.1f}x")
    print(
        f"one predict() call: surprise {one_theirs * 1e6:.1f} us, nmf_teach {one_ours * 1e6:.1f} us"
    )
    print(f"nmf_teach predict_frame: {batch_ours * 1e6:.3f} us per rating")
    print(f"largest prediction difference:   {difference:.2e}")
    print(f"written: {args.output}")


if __name__ == "__main__":
    main()
