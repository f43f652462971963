"""Scale benchmark: fit time, peak memory and held-out RMSE from 1 to 20 million ratings.

The ratings are synthetic (generated here, never downloaded), shaped like real
ones: users with planted non-negative tastes over 8 hidden genres, item
popularity that falls as a power law (a few items get most ratings), and
half-star ratings from 0.5 to 5 made of taste plus noise. Ids are int64 and
ratings float64, as ``pd.read_csv`` gives them, so the input frame takes
24 bytes per rating (0.48 GB at 20 million). 1% of the ratings are held out.

Every fit runs in its own process, which loads the frame, fits and scores the
held-out ratings, and reports its own peak resident memory (``VmHWM`` in
``/proc/self/status``; a parent's ``ru_maxrss`` of its children would include
the parent). Fits, all with 15 factors and 10 epochs unless the library has
its own setting:

* ``surprise``: ``surprise.NMF(n_factors=15, n_epochs=10)`` on a trainset built
  from the frame (time to build it reported apart). Up to 5M ratings only:
  its per-rating Python objects need about 6.8 GB at 20M.
* ``nmf_teach``: ``nmf_teach.NMF(n_factors=15, n_epochs=10)`` on the frame.
* ``tuned``: ``nmf_teach.tuned_nmf(random_state=0)`` (100 factors, 20 epochs).
* ``spark``: Spark MLlib's ``ALS(nonnegative=True)`` on ``local[2]`` (rank 15,
  10 iterations, ``regParam`` 0.06 weighted by counts as Surprise's NMF's
  penalty is), through :func:`nmf_teach.spark.fit_and_measure`; the peak
  memory is the Python process's plus the JVM's (reported apart too). Needs
  pyspark and Java 17+.

More libraries plug in through ``FITTERS`` (a function that takes the train
and test frames and returns seconds and RMSE).

Writes ``scale.csv`` and ``scale.png`` in ``nmf_teach/data/benchmark_results/``
(log-log: seconds and memory against ratings).

    python benchmarks/scale.py [--sizes 1000000 5000000 20000000] [--libraries ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from _provenance import write_csv

RESULTS = Path(__file__).resolve().parent.parent / "nmf_teach" / "data" / "benchmark_results"
SIZES = [1_000_000, 5_000_000, 20_000_000]
SURPRISE_MAX = 5_000_000
N_FACTORS, N_EPOCHS = 15, 10
SCALE = (0.5, 5.0)


# ------------------------------------------------------------------ the data
def synthetic_ratings(n_ratings: int, seed: int = 0) -> pd.DataFrame:
    """``n_ratings`` distinct (user, item, rating) rows with planted non-negative tastes.

    ``n_ratings / 100`` users and ``n_ratings / 200`` items; item ``j`` (by
    popularity rank) is drawn with probability proportional to ``(j + 10) ** -1.1``;
    users are drawn uniformly. With tastes ``p_u`` and genre mixes ``q_i`` drawn
    from sparse Dirichlet distributions over 8 genres and ``a = 8 p_u . q_i``
    (mean 1), the rating is ``0.5 + 4.5 (1 - exp(-a))`` plus Gaussian noise
    (sd 0.5), rounded to half stars and clipped to [0.5, 5].
    """
    rng = np.random.default_rng(seed)
    n_users, n_items = n_ratings // 100, n_ratings // 200
    weights = (np.arange(n_items) + 10.0) ** -1.1
    cells = np.empty(0, dtype=np.int64)
    while len(cells) < n_ratings:  # draw, drop repeated (user, item) pairs, draw again
        need = int((n_ratings - len(cells)) * 1.1) + 1000
        users = rng.integers(0, n_users, need)
        items = rng.choice(n_items, size=need, p=weights / weights.sum())
        cells = pd.unique(np.concatenate([cells, users * n_items + items]))
    cells = cells[:n_ratings]
    users, items = cells // n_items, cells % n_items
    tastes = rng.dirichlet(np.full(8, 0.3), n_users)
    genres = rng.dirichlet(np.full(8, 0.3), n_items)
    affinity = np.zeros(n_ratings)
    for f in range(8):  # a = 8 p_u . q_i, one genre at a time (no (n_ratings, 8) array)
        affinity += 8 * tastes[users, f] * genres[items, f]
    stars = 0.5 + 4.5 * (1 - np.exp(-affinity)) + rng.normal(0, 0.5, n_ratings)
    ratings = np.clip(np.round(stars * 2) / 2, *SCALE)
    return pd.DataFrame({"user": users, "item": items, "rating": ratings})


def write_data(n_ratings: int, folder: Path) -> None:
    """Generate once; every fit process then loads the same train / test files."""
    frame = synthetic_ratings(n_ratings)
    test = np.random.default_rng(1).random(n_ratings) < 0.01
    frame[~test].reset_index(drop=True).to_pickle(folder / "train.pkl")
    frame[test].reset_index(drop=True).to_pickle(folder / "test.pkl")


# ------------------------------------------------------------------ the fits
def fit_surprise(train: pd.DataFrame, test: pd.DataFrame) -> dict:
    from surprise import NMF as SurpriseNMF
    from surprise import Dataset, Reader

    start = time.perf_counter()
    trainset = Dataset.load_from_df(train, Reader(rating_scale=SCALE)).build_full_trainset()
    prepare = time.perf_counter() - start
    del train
    algo = SurpriseNMF(n_factors=N_FACTORS, n_epochs=N_EPOCHS, random_state=0)
    start = time.perf_counter()
    algo.fit(trainset)
    seconds = time.perf_counter() - start
    pred = np.array([algo.predict(u, i).est for u, i in zip(test.user, test.item, strict=True)])
    return {"prepare_seconds": prepare, "fit_seconds": seconds, "epochs": N_EPOCHS, "pred": pred}


def fit_nmf_teach(train: pd.DataFrame, test: pd.DataFrame) -> dict:
    from nmf_teach import NMF

    model = NMF(n_factors=N_FACTORS, n_epochs=N_EPOCHS, random_state=0)
    start = time.perf_counter()
    model.fit(train, rating_scale=SCALE)
    seconds = time.perf_counter() - start
    return {"fit_seconds": seconds, "epochs": N_EPOCHS, "pred": model.predict_frame(test)}


def fit_tuned(train: pd.DataFrame, test: pd.DataFrame) -> dict:
    from nmf_teach import tuned_nmf

    model = tuned_nmf(random_state=0)
    start = time.perf_counter()
    model.fit(train, rating_scale=SCALE)
    seconds = time.perf_counter() - start
    return {"fit_seconds": seconds, "epochs": model.n_epochs, "pred": model.predict_frame(test)}


def fit_spark(train: pd.DataFrame, test: pd.DataFrame) -> dict:
    from nmf_teach import spark

    session = spark.local_session(driver_memory="8g")
    result = spark.fit_and_measure(
        train, test, rank=N_FACTORS, reg=0.06, iterations=N_EPOCHS, seed=0, spark=session
    )
    jvm = result["jvm_peak_rss_bytes"]
    spark.stop_session(session)
    return {
        "fit_seconds": result["fit_seconds"],
        "epochs": N_EPOCHS,
        "rmse": result["rmse"],
        "jvm_peak_rss_gb": jvm / 1e9 if jvm is not None else float("nan"),
    }


FITTERS: dict[str, Callable[[pd.DataFrame, pd.DataFrame], dict]] = {
    "surprise": fit_surprise,
    "nmf_teach": fit_nmf_teach,
    "tuned": fit_tuned,
    "spark": fit_spark,
}


def peak_rss_gb() -> float:
    """This process's peak resident memory (VmHWM), in GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e9
    raise RuntimeError("no VmHWM in /proc/self/status (this benchmark needs Linux)")


def run_one(library: str, folder: Path) -> None:
    """In a child process: load, fit, score, print one JSON line."""
    train, test = pd.read_pickle(folder / "train.pkl"), pd.read_pickle(folder / "test.pkl")
    n_train = len(train)
    result = FITTERS[library](train, test)
    if "pred" in result:
        pred = result.pop("pred")
        result["rmse"] = float(np.sqrt(np.mean((test.rating.to_numpy() - pred) ** 2)))
    result["python_peak_rss_gb"] = peak_rss_gb()
    result["peak_rss_gb"] = result["python_peak_rss_gb"] + result.get("jvm_peak_rss_gb", 0.0)
    result["n_train"] = n_train
    print(json.dumps(result))


# ------------------------------------------------------------------ the run
def plot(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for library, rows in table.groupby("library", sort=False):
        axes[0].plot(rows.n_ratings, rows.fit_seconds, "o-", label=library)
        axes[1].plot(rows.n_ratings, rows.peak_rss_gb, "o-", label=library)
    for ax, label in zip(axes, ["fit time (s)", "peak memory (GB)"], strict=True):
        ax.set(xscale="log", yscale="log", xlabel="ratings", ylabel=label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    axes[0].set_title("Fit time against ratings")
    axes[1].set_title("Peak resident memory (all processes)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--libraries", nargs="+", default=list(FITTERS), choices=list(FITTERS))
    parser.add_argument("--output", type=Path, default=RESULTS / "scale.csv")
    parser.add_argument("--fit", help=argparse.SUPPRESS)  # internal: run one fit
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fit:
        run_one(args.fit, args.data)
        return

    rows = []
    for n_ratings in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            print(f"{n_ratings:,} ratings: generating", flush=True)
            write_data(n_ratings, folder)
            for library in args.libraries:
                if library == "surprise" and n_ratings > SURPRISE_MAX:
                    continue
                command = [sys.executable, __file__, "--fit", library, "--data", str(folder)]
                out = subprocess.run(command, capture_output=True, text=True, check=True)
                result = json.loads(out.stdout.strip().splitlines()[-1])
                result.update(library=library, n_ratings=n_ratings)
                rows.append(result)
                print(
                    f"  {library:10s} fit {result['fit_seconds']:8.2f} s   peak "
                    f"{result['peak_rss_gb']:5.2f} GB   held-out RMSE {result['rmse']:.4f}",
                    flush=True,
                )
    table = pd.DataFrame(rows)
    table["ns_per_rating_epoch"] = table.fit_seconds / (table.n_train * table.epochs) * 1e9
    columns = ["library", "n_ratings", "n_train", "epochs", "fit_seconds", "prepare_seconds"]
    columns += ["ns_per_rating_epoch", "peak_rss_gb", "python_peak_rss_gb", "jvm_peak_rss_gb"]
    columns += ["rmse"]
    table = table.reindex(columns=columns)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_csv(table, args.output)
    plot(table, args.output.with_suffix(".png"))
    print(table.round(3).to_string(index=False))
    print(f"written: {args.output} and {args.output.with_suffix('.png')}")


if __name__ == "__main__":
    main()
