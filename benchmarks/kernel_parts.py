"""Where an epoch's time goes: the compiled kernels of one epoch, on all cores and on one.

On MovieLens small, with the factors of a fresh start, times the kernel of one
epoch of ``nmf_teach.NMF()`` (15 factors, both modes) and the factor sweep of
one epoch of ``tuned_nmf()`` (100 factors):
the median of ``--repeats`` calls, in milliseconds, first with numba's default
number of threads and then with ``numba.set_num_threads(1)`` (the same machine
code on one core). Also prints the cost of one column pass of the tuned model
per rating, in nanoseconds. Nothing is written: the numbers are for
``benchmarks/README.md``'s account of the design ("How the fit got fast").

    python benchmarks/kernel_parts.py
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numba
import numpy as np

from nmf_teach import biased_nmf, nmf
from nmf_teach.datasets import load_movielens_small
from nmf_teach.tuned import TUNED_PARAMS


def median_ms(call: Callable[[], object], repeats: int) -> float:
    call()  # compiled (or loaded from the cache) before timing
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def nmf_epoch(ratings, biased: bool, repeats: int) -> float:
    model = nmf.NMF(biased=biased)
    index, _ = model._index_ratings(ratings, None)
    n_users, n_items, k = len(model.user_ids_), len(model.item_ids_), model.n_factors
    rng = np.random.RandomState(0)
    pu, qi = rng.uniform(0, 1, (n_users, k)), rng.uniform(0, 1, (n_items, k))
    pu_next, qi_next = np.empty_like(pu), np.empty_like(qi)
    bu, bi = np.zeros(n_users), np.zeros(n_items)
    est = np.empty(len(index.ratings))
    work = [np.empty_like(pu), np.empty_like(pu), np.empty_like(qi), np.empty_like(qi)]
    args = (
        biased, index.user_ptr, index.items, index.ratings, index.user_counts,
        index.item_counts, pu, qi, pu_next, qi_next, float(index.ratings.mean()), bu, bi,
        0.005, 0.005, 0.02, 0.02, 0.06, 0.06, est, *work,
    )  # fmt: skip
    return median_ms(lambda: nmf._epoch(*args), repeats)


def tuned_sweep(ratings, repeats: int) -> float:
    model = biased_nmf.BiasedNMF(**TUNED_PARAMS)
    index, _ = model._index_ratings(ratings, None, allow_negative=True)
    n_users, n_items, k = len(model.user_ids_), len(model.item_ids_), model.n_factors
    rng = np.random.RandomState(0)
    P0, Q0 = rng.uniform(0, 0.1, (k, n_users)), rng.uniform(0, 0.1, (k, n_items))
    residual0 = index.ratings - index.ratings.mean()
    biased_nmf._subtract_dots(index.user_ptr, index.items, P0, Q0, residual0)
    pen_u = model.reg_pu * index.user_counts.astype(np.float64)
    pen_i = model.reg_qi * index.item_counts.astype(np.float64)
    q_num, q_den = np.empty((2, len(index.chunk_ptr) - 1, n_items))

    def sweep() -> None:
        P, Q, residual = P0.copy(), Q0.copy(), residual0.copy()
        biased_nmf._factor_sweep(
            index.chunk_ptr, index.user_ptr, index.items, P, Q, residual,
            pen_u, pen_i, q_num, q_den,
        )  # fmt: skip

    return median_ms(sweep, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    ratings = load_movielens_small()[["user", "item", "rating"]]
    all_threads = numba.get_num_threads()
    rows = {}
    for threads in (all_threads, 1):
        numba.set_num_threads(threads)
        rows[threads] = {
            "NMF(), one epoch (_epoch)": nmf_epoch(ratings, False, args.repeats),
            "NMF(biased=True), one epoch (_epoch)": nmf_epoch(ratings, True, args.repeats),
            "BiasedNMF _factor_sweep (one epoch, 100 columns)": tuned_sweep(
                ratings, max(args.repeats // 20, 5)
            ),
        }
    numba.set_num_threads(all_threads)
    print(f"MovieLens small, {len(ratings):,} ratings; median ms per call")
    print(f"{'kernel':52s} {all_threads} threads   1 thread")
    for name in rows[1]:
        print(f"{name:52s} {rows[all_threads][name]:9.3f} {rows[1][name]:10.3f}")
    sweep_one = rows[1]["BiasedNMF _factor_sweep (one epoch, 100 columns)"]
    per_rating = sweep_one * 1e-3 / (TUNED_PARAMS["n_factors"] * len(ratings)) * 1e9
    print(f"tuned model, one column pass on one core: {per_rating:.1f} ns per rating")


if __name__ == "__main__":
    main()
