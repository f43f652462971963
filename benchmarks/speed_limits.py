"""How fast can a vectorized NMF epoch be? The evidence behind the speed target.

Issue 2 asks for ``nmf_teach.NMF`` to fit at least 10x faster than
``surprise.NMF``, while the developers' guide asks for a package that is "fast
because it is vectorized" (numpy and scipy only, no compiled code of our own).
This script measures, in one run on MovieLens small with default parameters:

1. the cost of one epoch in each library: (fit with 50 epochs - fit with 0
   epochs) / 50, and the fixed cost of a fit (0 epochs);
2. the *vectorized floor*: the five sums one epoch cannot avoid, each done by
   the fastest numpy/scipy operation we found, and nothing else:

   * ``p_u . q_i`` for every rating (gather ``p_u`` rows into a fixed sparse
     pattern, one sparse product; see ``nmf_teach.nmf._RatingsLayout.dots``),
   * ``sum_i r_ui q_i`` and ``sum_i est_ui q_i`` per user,
   * ``sum_u r_ui p_u`` and ``sum_u est_ui p_u`` per item
     (four CSR @ dense products, the item pair on a second thread as in
     ``NMF._epoch``);

   from which the best ratio a vectorized fit could reach follows:
   ``surprise fit / (nmf_teach fixed cost + 50 x floor)``;
3. slower vectorized alternatives for two of those sums (gathering whole rows
   and reducing with einsum / ``np.add.reduceat``), so the choice can be checked;
4. only if numba is installed (it is not a dependency: ``pip install numba``),
   the same fit as a compiled loop on both cores, a probe of what a kernel of
   our own would give (first call includes JIT compilation, reported separately).

All repeats alternate between the candidates so they see the same machine
load; medians are reported. Writes ``benchmarks/results/speed_limits.csv``.

    python benchmarks/speed_limits.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from surprise import NMF as SurpriseNMF
from surprise import Dataset, Reader

from nmf_teach import NMF
from nmf_teach.datasets import load_movielens_small
from nmf_teach.nmf import _RatingsLayout

RESULTS = Path(__file__).resolve().parent / "results"
N_EPOCHS = 50  # Surprise's default


def seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def sorted_by_user(ratings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inner user rows, item rows and ratings, grouped by user as NMF.fit keeps them."""
    user_rows, _ = pd.factorize(ratings["user"])
    item_rows, _ = pd.factorize(ratings["item"])
    order = np.argsort(user_rows, kind="stable")
    return user_rows[order], item_rows[order], ratings["rating"].to_numpy(float)[order]


def layout_and_factors(ratings: pd.DataFrame) -> tuple[_RatingsLayout, np.ndarray, np.ndarray]:
    """NMF's fixed sparse patterns for these ratings, and random factors of the default size."""
    user_rows, item_rows, values = sorted_by_user(ratings)
    n_users, n_items, k = user_rows.max() + 1, item_rows.max() + 1, NMF().n_factors
    layout = _RatingsLayout(user_rows, item_rows, values, (n_users, n_items), k)
    rng = np.random.RandomState(0)
    return layout, rng.uniform(size=(n_users, k)), rng.uniform(size=(n_items, k))


def vectorized_floor(ratings: pd.DataFrame, pool: ThreadPoolExecutor) -> Callable[[], None]:
    """One call = the five unavoidable sums of an epoch, and nothing else."""
    layout, pu, qi = layout_and_factors(ratings)
    layout.set_estimates(layout.dots(pu, qi))

    def sums() -> None:
        layout.dots(pu, qi)
        item_side = pool.submit(lambda: (layout.ratings_by_item @ pu, layout.est_by_item @ pu))
        layout.ratings_by_user @ qi, layout.est_by_user @ qi
        item_side.result()

    return sums


def slower_alternatives(ratings: pd.DataFrame) -> dict[str, Callable[[], object]]:
    """Other vectorized ways to the same sums, measured so the floor's choice can be checked."""
    layout, pu, qi = layout_and_factors(ratings)
    users, items = layout.user_rows_intp, layout.item_rows.astype(np.intp)
    values = layout.ratings_by_user.data  # the ratings, grouped by user
    pu_rows, qi_rows = np.empty((len(values), pu.shape[1])), np.empty((len(values), qi.shape[1]))
    starts = layout.user_ptr[:-1]

    def dots_einsum() -> np.ndarray:  # gather both factor rows, then a row-wise dot
        np.take(pu, users, axis=0, out=pu_rows, mode="clip")
        np.take(qi, items, axis=0, out=qi_rows, mode="clip")
        return np.einsum("rf,rf->r", pu_rows, qi_rows)

    def dots_sparse() -> np.ndarray:  # what NMF uses
        return layout.dots(pu, qi)

    def user_sums_reduceat() -> np.ndarray:  # gather q_i rows, scale, add up per user
        np.take(qi, items, axis=0, out=qi_rows, mode="clip")
        return np.add.reduceat(qi_rows * values[:, None], starts, axis=0)

    def user_sums_sparse() -> np.ndarray:  # what NMF uses
        return layout.ratings_by_user @ qi

    return {
        "dots: sparse pattern (used)": dots_sparse,
        "dots: gather + einsum": dots_einsum,
        "one user sum: CSR @ dense (used)": user_sums_sparse,
        "one user sum: gather + reduceat": user_sums_reduceat,
    }


def numba_probe(ratings: pd.DataFrame) -> tuple[Callable[[], np.ndarray], float] | None:
    """A compiled fit (numba, both cores), or None if numba is not installed.

    Same updates as ``NMF._epoch`` (unbiased). Each epoch is one pass over the
    ratings by user (``est``, the user sums and the new ``p_u``; users are
    independent, so ``prange`` splits them over the cores) and one by item (the
    item sums from the start-of-epoch ``p_u``, then ``q_i``). The timed fit
    starts from the DataFrame, as ``NMF.fit`` does (ids, sorting, patterns).
    """
    if importlib.util.find_spec("numba") is None:
        return None
    import numba

    @numba.njit(fastmath=True, parallel=True)
    def epoch(user_ptr, items, values, item_ptr, users_by_item, to_item, values_by_item, pu, qi,
              ureg, ireg):  # fmt: skip
        n_users, k = pu.shape
        est, est_by_item, new_pu = np.empty(len(values)), np.empty(len(values)), np.empty_like(pu)
        for u in numba.prange(n_users):
            num, den = np.zeros(k), np.zeros(k)
            for j in range(user_ptr[u], user_ptr[u + 1]):
                i, e = items[j], 0.0
                for f in range(k):
                    e += qi[i, f] * pu[u, f]
                est[j] = e
                for f in range(k):
                    num[f] += qi[i, f] * values[j]
                    den[f] += qi[i, f] * e
            for f in range(k):
                d = den[f] + ureg[u] * pu[u, f]
                new_pu[u, f] = pu[u, f] * num[f] / d if d != 0 else pu[u, f]
        for j in numba.prange(len(values)):
            est_by_item[j] = est[to_item[j]]
        for i in numba.prange(qi.shape[0]):
            num, den = np.zeros(k), np.zeros(k)
            for j in range(item_ptr[i], item_ptr[i + 1]):
                u = users_by_item[j]
                for f in range(k):
                    num[f] += pu[u, f] * values_by_item[j]
                    den[f] += pu[u, f] * est_by_item[j]
            for f in range(k):
                d = den[f] + ireg[i] * qi[i, f]
                if d != 0:
                    qi[i, f] = qi[i, f] * num[f] / d
        pu[:] = new_pu

    def fit() -> np.ndarray:
        user_rows, item_rows, values = sorted_by_user(ratings)
        n_users, n_items, k = user_rows.max() + 1, item_rows.max() + 1, NMF().n_factors
        user_counts = np.bincount(user_rows, minlength=n_users)
        item_counts = np.bincount(item_rows, minlength=n_items)
        user_ptr = np.concatenate([[0], np.cumsum(user_counts)])
        item_ptr = np.concatenate([[0], np.cumsum(item_counts)])
        to_item = np.argsort(item_rows, kind="stable")
        ureg, ireg = user_counts * NMF().reg_pu, item_counts * NMF().reg_qi
        users_by_item, values_by_item = user_rows[to_item], values[to_item]
        rng = np.random.RandomState(0)
        pu = rng.uniform(0, 1, (n_users, k))
        qi = rng.uniform(0, 1, (n_items, k))
        for _ in range(N_EPOCHS):
            epoch(user_ptr, item_rows, values, item_ptr, users_by_item, to_item,
                  values_by_item, pu, qi, ureg, ireg)  # fmt: skip
        return pu

    compile_seconds = seconds(fit)
    return fit, compile_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS / "speed_limits.csv")
    args = parser.parse_args()

    ratings = load_movielens_small()[["user", "item", "rating"]]
    scale = (0.5, 5.0)
    trainset = Dataset.load_from_df(ratings, Reader(rating_scale=scale)).build_full_trainset()
    pool = ThreadPoolExecutor(max_workers=1)
    floor = vectorized_floor(ratings, pool)
    probe = numba_probe(ratings)

    candidates: dict[str, Callable[[], object]] = {
        "surprise fit": lambda: SurpriseNMF(random_state=0).fit(trainset),
        "surprise fixed cost": lambda: SurpriseNMF(n_epochs=0, random_state=0).fit(trainset),
        "nmf_teach fit": lambda: NMF(random_state=0).fit(ratings, rating_scale=scale),
        "nmf_teach fixed cost": lambda: NMF(n_epochs=0, random_state=0).fit(
            ratings, rating_scale=scale
        ),
        "vectorized floor epoch": floor,
    }
    alternatives = slower_alternatives(ratings)
    candidates.update(alternatives)
    if probe is not None:
        candidates["numba fit"] = probe[0]
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(args.repeats):
        for name, action in candidates.items():
            times[name].append(seconds(action))
    median = {name: statistics.median(values) for name, values in times.items()}

    theirs, ours = median["surprise fit"], median["nmf_teach fit"]
    theirs_epoch = (theirs - median["surprise fixed cost"]) / N_EPOCHS
    ours_epoch = (ours - median["nmf_teach fixed cost"]) / N_EPOCHS
    floor_epoch = median["vectorized floor epoch"]
    best_fit = median["nmf_teach fixed cost"] + N_EPOCHS * floor_epoch
    rows = [
        ("surprise.NMF fit", theirs, 1.0),
        ("surprise.NMF one epoch", theirs_epoch, 1.0),
        ("nmf_teach.NMF fit", ours, theirs / ours),
        ("nmf_teach.NMF one epoch", ours_epoch, theirs_epoch / ours_epoch),
        ("nmf_teach.NMF fixed cost (0 epochs)", median["nmf_teach fixed cost"], np.nan),
        ("vectorized floor: one epoch's five sums", floor_epoch, theirs_epoch / floor_epoch),
        ("best vectorized fit (fixed cost + 50 floors)", best_fit, theirs / best_fit),
    ]
    rows += [(f"option {name}", median[name], np.nan) for name in alternatives]
    if probe is not None:
        pu_numba = probe[0]()
        pu_ours = NMF(random_state=0).fit(ratings, rating_scale=scale).pu_
        rows.append(("numba probe fit", median["numba fit"], theirs / median["numba fit"]))
        rows.append(("numba probe first call (JIT compile + fit)", probe[1], np.nan))
    table = pd.DataFrame(rows, columns=["what", "median_seconds", "speed_up_vs_surprise"])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.output, index=False)

    print(f"MovieLens small, default parameters, {args.repeats} alternating repeats, medians")
    for what, secs, ratio in rows:
        ratio_text = f"{ratio:6.1f}x" if np.isfinite(ratio) else ""
        print(f"{what:<46} {secs * 1e3:9.2f} ms {ratio_text}")
    if probe is None:
        print("numba is not installed: the compiled-kernel probe was skipped")
    else:
        print(f"numba probe: largest |pu| difference from nmf_teach.NMF "
              f"{np.abs(pu_numba - pu_ours).max():.1e}")  # fmt: skip
    print(f"written: {args.output}")


if __name__ == "__main__":
    main()
