"""Fit-time benchmark: nmf_teach.NMF against surprise.NMF on MovieLens small.

Both libraries fit the same ratings, in the same row order, with default
parameters and the same seed, several times in one run. Prints the median fit
time of each, their ratio, and the largest difference between their
predictions on every training pair.

    python benchmarks/bench_fit.py [--repeats 5] [--biased]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from surprise import NMF as SurpriseNMF
from surprise import Dataset, Reader

from nmf_teach import NMF
from nmf_teach.datasets import load_movielens_small


def median_fit_time(fit, repeats: int) -> tuple[float, object]:
    times, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times), model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--biased", action="store_true", help="benchmark the biased model")
    args = parser.parse_args()

    ratings = load_movielens_small()[["user", "item", "rating"]]
    scale = (0.5, 5.0)
    trainset = Dataset.load_from_df(ratings, Reader(rating_scale=scale)).build_full_trainset()
    params = dict(biased=args.biased, random_state=0)

    theirs_time, theirs = median_fit_time(lambda: SurpriseNMF(**params).fit(trainset), args.repeats)
    ours_time, ours = median_fit_time(
        lambda: NMF(**params).fit(ratings, rating_scale=scale), args.repeats
    )
    expected = np.array(
        [theirs.predict(u, i).est for u, i in zip(ratings.user, ratings.item, strict=True)]
    )
    difference = np.abs(ours.predict_frame(ratings) - expected).max()

    mode = "biased" if args.biased else "unbiased"
    print(
        f"MovieLens small: {len(ratings)} ratings, default parameters ({mode}), "
        f"{args.repeats} repeats"
    )
    print(f"surprise.NMF   median fit time: {theirs_time:8.3f} s")
    print(f"nmf_teach.NMF  median fit time: {ours_time:8.3f} s")
    print(f"speed-up (surprise / nmf_teach): {theirs_time / ours_time:6.1f}x")
    print(f"largest prediction difference:   {difference:.2e}")


if __name__ == "__main__":
    main()
