r"""Non-negative ALS on Apache Spark: a job, a quiet local session and a benchmark helper.

This module is optional: it imports without ``pyspark``, which is imported
inside the functions that need it (``pip install "nmf_teach[spark]"``; Spark
also needs Java 17 or newer on the machine). The course explains it in
``notebooks/16_nmf_on_spark.ipynb``.

The model
---------
Spark's ``pyspark.ml.recommendation.ALS`` with ``nonnegative=True`` fits the
same model as :class:`nmf_teach.nmf.NMF`, ``r̂_ui = p_u . q_i`` with user factors
``P`` (shape ``(n_users, k)``) and item factors ``Q`` (shape ``(n_items, k)``),
all ``>= 0``. Its objective is ALS-WR's (Zhou, Wilkinson, Schreiber and Pan,
2008, "Large-Scale Parallel Collaborative Filtering for the Netflix Prize",
AAIM 2008, LNCS 5034, pp. 337-348), where each factor vector is penalized in proportion to
its number of ratings (``|I_u|`` items of user ``u``, ``|U_i|`` users of item
``i``):

.. math:: \sum_{(u,i)\in K} (r_{ui} - p_u \cdot q_i)^2
          + \lambda \Big( \sum_u |I_u| \lVert p_u \rVert^2
          + \sum_i |U_i| \lVert q_i \rVert^2 \Big)

This is twice the objective of Luo et al. (2014) that :class:`nmf_teach.nmf.NMF`
minimises, when ``reg_pu = reg_qi = lambda``: the same problem, solved another way.

The update
----------
ALS alternates two exact half-steps. With ``Q`` fixed, the objective splits into
one small least-squares problem per user; with the non-negativity constraint
each is a non-negative least-squares (NNLS) problem in its normal-equation form,

.. math:: p_u = \arg\min_{p \ge 0}\; p^\top (Q_u^\top Q_u + \lambda |I_u| I)\, p
          - 2\, p^\top Q_u^\top r_u

where ``Q_u`` (shape ``(|I_u|, k)``) holds the factors of the items user ``u``
rated and ``r_u`` (shape ``(|I_u|,)``) their ratings. Spark solves it with a
projected-gradient NNLS solver on the ``k x k`` matrix. Then ``Q`` is updated
the same way with ``P`` fixed. Each half-step solves its sub-problems exactly, so
one iteration lowers the objective far more than one pass of multiplicative
updates (the notebook plots both).

Unknown users and items
-----------------------
Spark returns NaN (``coldStartStrategy="nan"``) for a user or item without
training ratings; :func:`score` replaces it with the mean training rating, as
``nmf_teach.NMF.predict_frame`` does, and counts those rows. Predictions
are clipped to the range of the training ratings, as the package clips to its
``rating_scale_``.

The job
-------
::

    python -m nmf_teach.spark --ratings ratings.csv --output DIR \
        [--rank 50 --reg 0.1 --iterations 10 --test-fraction 0.2 --seed 0 --master local[2]]

reads a CSV with a header (MovieLens ``userId,movieId,rating[,timestamp]``, or
``user,item,rating``) or Parquet (a ``.parquet`` file or a folder), holds out
``--test-fraction`` of the rows (``DataFrame.randomSplit`` with ``--seed``),
fits ALS, scores the held-out rows, writes ``DIR/user_factors`` and
``DIR/item_factors`` as Parquet (columns ``id``, ``factors``; replaced if they
exist) and prints one JSON object as its last line of output (``rmse``,
``rmse_known``, ``n_train``, ``n_test``, ``n_cold``, ``fit_seconds``, ...). On a
cluster, run the same file with ``spark-submit --master URL`` (the ``--master``
option of the job is then ignored)::

    SCRIPT=$(python -c 'import nmf_teach.spark as m; print(m.__file__)')
    spark-submit --master spark://host:7077 "$SCRIPT" \
        --ratings hdfs:///ratings.parquet --output hdfs:///als

Bad input (a missing or empty file, missing columns, a rating that is not a
number, an id that is not an integer, an option out of range) ends the job
with exit status 1 and a one-line ``error: ...`` message on stderr, never only
a Java stack trace (an option that cannot be parsed at all: argparse's usage
message and status 2).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # only for type hints: pyspark is optional
    import pandas as pd
    from pyspark.ml.recommendation import ALSModel
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "SparkJobError",
    "als_wr_objective",
    "collect_factors",
    "from_pandas",
    "fit_als",
    "fit_and_measure",
    "jvm_peak_rss_bytes",
    "local_session",
    "main",
    "read_ratings",
    "run_job",
    "score",
    "stop_session",
    "to_pandas",
]

#: Column names accepted for (user, item, rating), in order of preference.
ID_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("userId", "movieId", "rating"),
    ("user", "item", "rating"),
)

_QUIET_LOG4J2 = """\
# Written by nmf_teach.spark.local_session: Spark logs errors only, to stderr.
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %p %c{1}: %m%n%ex
"""


class SparkJobError(ValueError):
    """Bad input for the Spark job: the message names the problem and the fix."""


@contextlib.contextmanager
def _stderr_to(fd: int) -> Iterator[None]:
    """Point file descriptor 2 at ``fd`` inside the block (child processes inherit it)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        os.dup2(fd, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _require_pyspark() -> None:
    # pyspark 4 warns on import that it is not tested with pandas 3; the course
    # only moves plain rows between pandas and Spark (no Arrow, no pandas API on Spark).
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    try:
        import pyspark  # noqa: F401
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "nmf_teach.spark needs pyspark: pip install 'nmf_teach[spark]', or in the "
            "course's repository `make course SPARK=1` (and Java 17 or newer, e.g. "
            "apt install openjdk-17-jre-headless)"
        ) from error
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SparkJobError(
            "Spark needs Java 17 or newer and no `java` was found: install it "
            "(apt install openjdk-17-jre-headless, or conda install openjdk=17) "
            "or set JAVA_HOME"
        )


# --------------------------------------------------------------------------- session
def local_session(
    master: str = "local[2]",
    app_name: str = "nmf_teach",
    shuffle_partitions: int = 4,
    driver_memory: str = "1g",
) -> SparkSession:
    """A quiet, self-cleaning local SparkSession, the one the notebook and the tests use.

    * No web UI, no progress bars, Spark's own log at level ERROR (a small
      log4j2 configuration is passed to the JVM, so even its start-up messages
      stay quiet);
    * ``spark.sql.shuffle.partitions`` small (the default 200 is for clusters);
    * Spark's scratch space (``spark.local.dir``), the JVM's ``java.io.tmpdir``,
      the SQL warehouse and the checkpoint folder (ALS needs one beyond about
      10 iterations, or its lineage grows until a StackOverflowError) all live in
      one new temporary folder, removed when Python exits.

    If a session is already running in this process, it is returned as it is
    (Spark has one session per JVM): stop it first to change the settings.
    """
    _require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    _remove_stale_scratch()
    scratch = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}_"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    log_config = scratch / "log4j2.properties"
    log_config.write_text(_QUIET_LOG4J2, encoding="utf-8")
    java_options = f"-Dlog4j2.configurationFile={log_config.as_uri()} -Djava.io.tmpdir={scratch}"
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", driver_memory)
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.executor.extraJavaOptions", java_options)
        .config("spark.local.dir", str(scratch / "local"))
        .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "false")  # no pyarrow needed
    )
    # The JVM writes a few lines to its stderr that no Spark setting silences
    # (the JDK's "Using incubator modules", netlib's BLAS probe, Spark's start-up
    # notice). It inherits the stderr of this process when it starts, so point
    # that at a log file for the moment of the start; Python's stderr is restored.
    with open(scratch / "jvm_stderr.log", "ab") as log, _stderr_to(log.fileno()):
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(str(scratch / "checkpoints"))
    return spark


def stop_session(spark: SparkSession) -> None:
    """Stop ``spark`` and delete the temporary folder :func:`local_session` made for it.

    (The folder is also deleted when Python exits normally, and a folder left by
    a process that was killed is deleted by the next :func:`local_session`.)
    """
    scratch = _scratch_of(spark)
    spark.stop()
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


_SCRATCH_PREFIX = "nmf_teach_spark_"


def _scratch_of(spark: SparkSession) -> Path | None:
    """The temporary folder of a session made by :func:`local_session`, else None."""
    local_dir = spark.sparkContext.getConf().get("spark.local.dir")
    if not local_dir:
        return None
    folder = Path(local_dir).parent
    return folder if folder.name.startswith(_SCRATCH_PREFIX) else None


def _remove_stale_scratch() -> None:
    """Delete the temporary folders of earlier sessions whose process no longer runs."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_SCRATCH_PREFIX}*_*"):
        try:
            pid = int(folder.name[len(_SCRATCH_PREFIX) :].split("_")[0])
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
        except ValueError:
            continue  # not one of ours
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            continue  # alive, another user's


# --------------------------------------------------------------------------- reading
def read_ratings(spark: SparkSession, path: str) -> DataFrame:
    """Read and check a ratings table; return a DataFrame ``user`` (int), ``item`` (int),
    ``rating`` (double).

    ``path`` is a CSV file with a header (``userId,movieId,rating[,...]`` as in
    MovieLens, or ``user,item,rating``) or Parquet (a file ending in
    ``.parquet`` or a folder). Raises :class:`SparkJobError` for a missing or
    empty file, missing columns, non-numeric or missing ratings, and ids that
    are not integers (Spark's ALS needs integer ids).
    """
    from pyspark.sql import functions as F

    local = "://" not in path  # hdfs://, s3a://, ... are checked by Spark itself
    if local:
        if not os.path.exists(path):
            raise SparkJobError(f"ratings file not found: {path}")
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            raise SparkJobError(f"ratings file is empty: {path}")
    parquet = path.rstrip("/").endswith(".parquet") or (local and os.path.isdir(path))
    try:
        if parquet:
            frame = spark.read.parquet(path)
        else:
            frame = spark.read.csv(path, header=True, inferSchema=False)
    except Exception as error:  # AnalysisException, Py4JJavaError, ...
        kind = "Parquet" if parquet else "CSV"
        raise SparkJobError(f"cannot read {path} as {kind}: {_first_line(error)}") from error

    columns = frame.columns
    names = next((n for n in ID_COLUMNS if set(n) <= set(columns)), None)
    if names is None:
        wanted = " or ".join(",".join(n) for n in ID_COLUMNS)
        raise SparkJobError(
            f"{path} needs the columns {wanted} (a CSV needs a header line); it has {columns}"
        )
    user, item, rating = names
    raw = frame.select(
        F.col(user).cast("string").alias("u"),
        F.col(item).cast("string").alias("i"),
        F.col(rating).cast("string").alias("r"),
    )
    # try_cast: a value that is not a number becomes NULL (plain cast fails in ANSI mode).
    typed = raw.select(
        "u",
        "i",
        "r",
        F.expr("try_cast(u AS double)").alias("user_d"),
        F.expr("try_cast(i AS double)").alias("item_d"),
        F.expr("try_cast(r AS double)").alias("rating"),
    ).cache()
    bad_rating = F.expr("rating IS NULL OR isnan(rating) OR abs(rating) = double('inf')")
    counts = typed.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(bad_rating.cast("int")).alias("bad_rating"),
        F.sum(_bad_id("user_d").cast("int")).alias("bad_user"),
        F.sum(_bad_id("item_d").cast("int")).alias("bad_item"),
    ).first()
    if counts["rows"] == 0:
        raise SparkJobError(f"{path} has no ratings (only a header, or no rows)")
    checks = (
        ("bad_rating", bad_rating, rating, "r", "must be finite numbers"),
        ("bad_user", _bad_id("user_d"), user, "u", "must be integers (ALS needs int ids)"),
        ("bad_item", _bad_id("item_d"), item, "i", "must be integers (ALS needs int ids)"),
    )
    for key, is_bad, column, short, rule in checks:
        if counts[key]:
            example = typed.filter(is_bad).select(short).first()[0]
            typed.unpersist()
            raise SparkJobError(
                f"{counts[key]} of {counts['rows']} values of column {column!r} in {path} "
                f"are missing or invalid (for example {example!r}): {column} values {rule}"
            )
    clean = typed.select(
        F.col("user_d").cast("int").alias("user"),
        F.col("item_d").cast("int").alias("item"),
        "rating",
    )
    typed.unpersist()
    return clean


def _bad_id(column: str) -> Any:
    """True where a (double) id is missing, not whole, or outside Java's int range."""
    from pyspark.sql import functions as F

    return F.expr(
        f"{column} IS NULL OR isnan({column}) OR {column} < -2147483648 "
        f"OR {column} > 2147483647 OR {column} % 1 != 0"
    )


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "desc", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# --------------------------------------------------------------------------- fit, score
def fit_als(
    train: DataFrame,
    rank: int = 50,
    reg: float = 0.1,
    iterations: int = 10,
    seed: int = 0,
    blocks: int = 2,
) -> ALSModel:
    """Fit ``ALS(nonnegative=True)`` on a DataFrame with columns ``user``, ``item``, ``rating``.

    ``rank`` is ``k``, ``reg`` is ALS-WR's ``lambda`` (``regParam``, multiplied
    by each user's / item's number of ratings), ``iterations`` the number of
    alternating passes (``maxIter``). ``blocks`` fixes ``numUserBlocks`` and
    ``numItemBlocks`` and ``seed`` the random start, so a fit is repeatable.
    """
    _require_pyspark()
    from pyspark.ml.recommendation import ALS

    als = ALS(
        rank=rank,
        regParam=reg,
        maxIter=iterations,
        nonnegative=True,
        implicitPrefs=False,
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        coldStartStrategy="nan",
        numUserBlocks=blocks,
        numItemBlocks=blocks,
        checkpointInterval=10,
        seed=seed,
    )
    return als.fit(train)


def score(
    model: ALSModel, test: DataFrame, fallback: float, scale: tuple[float, float]
) -> DataFrame:
    """Predict the rows of ``test``; unknown user or item -> ``fallback``; clip to ``scale``.

    Returns ``test`` with two more columns: ``prediction`` (double) and ``cold``
    (true where Spark had no factors for the user or the item, so the
    prediction is ``fallback``, normally the mean training rating).
    """
    from pyspark.sql import functions as F

    low, high = scale
    raw = model.transform(test)
    cold = F.isnan(F.col("prediction")) | F.col("prediction").isNull()
    return raw.withColumn("cold", cold).withColumn(
        "prediction",
        F.least(
            F.greatest(
                F.when(F.col("cold"), F.lit(float(fallback))).otherwise(F.col("prediction")),
                F.lit(float(low)),
            ),
            F.lit(float(high)),
        ),
    )


def from_pandas(spark: SparkSession, ratings: pd.DataFrame) -> DataFrame:
    """A local pandas ratings table as a cached Spark DataFrame ``user``, ``item``, ``rating``.

    ``ratings`` has user id, item id and rating as its first three columns
    (integer ids, as Spark's ALS needs). The rows are written to a CSV file in
    a temporary folder and read back by Spark with :func:`read_ratings`, which
    checks them: much faster than ``spark.createDataFrame`` on Python rows,
    which pickles every row. For a local session only (on a cluster the
    executors cannot see this machine's temporary folder; read the data from
    shared storage there).
    """
    scratch = _scratch_of(spark)
    if scratch is not None:  # a local_session: its folder, removed with it
        (scratch / "frames").mkdir(exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=scratch / "frames"))
    else:
        folder = Path(tempfile.mkdtemp(prefix="nmf_teach_frame_"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "ratings.csv"
    table = ratings.iloc[:, :3].copy()
    table.columns = ["user", "item", "rating"]
    table.to_csv(path, index=False)
    frame = read_ratings(spark, str(path)).cache()
    frame.count()  # read it now, while the file exists
    return frame


def to_pandas(frame: DataFrame) -> pd.DataFrame:
    """``frame.collect()`` as a pandas DataFrame with the same columns.

    For small results only (everything comes to the driver). Unlike
    ``DataFrame.toPandas`` it needs no pyarrow and goes through no pandas type
    conversion of pyspark's (which warns under pandas 3).
    """
    import pandas as pd

    return pd.DataFrame([tuple(row) for row in frame.collect()], columns=frame.columns)


def collect_factors(factors: DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Bring a factor table (``model.userFactors`` or ``itemFactors``) to numpy.

    Returns ``(ids, matrix)``: the ids in increasing order, shape ``(n,)``, and
    the factors, shape ``(n, rank)``, float64 (Spark stores float32), row ``r``
    belonging to ``ids[r]``.
    """
    rows = sorted((int(row[0]), row[1]) for row in factors.select("id", "features").collect())
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    matrix = np.array([row[1] for row in rows], dtype=np.float64)
    return ids, matrix.reshape(len(ids), -1)


def als_wr_objective(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    pu: np.ndarray,
    qi: np.ndarray,
    reg: float,
) -> dict[str, float]:
    """ALS-WR's objective and its three terms, in numpy.

    ``users`` and ``items`` (shape ``(n_ratings,)``) are row numbers into ``pu``
    (shape ``(n_users, k)``) and ``qi`` (shape ``(n_items, k)``); ``ratings`` the
    observed ratings. Returns ``error`` (sum of squared errors), ``user_penalty``
    (``reg * sum_u |I_u| ||p_u||^2``), ``item_penalty`` (likewise) and ``total``,
    their sum. Half of ``total`` is the objective of :class:`nmf_teach.nmf.NMF`
    with ``reg_pu = reg_qi = reg``.
    """
    users, items = np.asarray(users), np.asarray(items)
    est = np.einsum("rf,rf->r", pu[users], qi[items])
    error = float(np.sum((np.asarray(ratings, dtype=np.float64) - est) ** 2))
    n_u = np.bincount(users, minlength=len(pu))
    n_i = np.bincount(items, minlength=len(qi))
    user_penalty = float(reg * np.sum(n_u * np.sum(pu**2, axis=1)))
    item_penalty = float(reg * np.sum(n_i * np.sum(qi**2, axis=1)))
    return {
        "error": error,
        "user_penalty": user_penalty,
        "item_penalty": item_penalty,
        "total": error + user_penalty + item_penalty,
    }


# --------------------------------------------------------------------------- the job
def run_job(
    spark: SparkSession,
    ratings: str,
    output: str,
    rank: int = 50,
    reg: float = 0.1,
    iterations: int = 10,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> dict[str, Any]:
    """Read, split, fit, score and save; return the summary the CLI prints as JSON."""
    from pyspark.sql import functions as F

    _check_job_params(rank, reg, iterations, test_fraction)
    data = read_ratings(spark, ratings)
    train, test = data.randomSplit([1.0 - test_fraction, test_fraction], seed=seed)
    train, test = train.cache(), test.cache()
    stats = train.agg(
        F.count(F.lit(1)).alias("n"),
        F.mean("rating").alias("mean"),
        F.min("rating").alias("low"),
        F.max("rating").alias("high"),
    ).first()
    if stats["n"] == 0:
        raise SparkJobError("the training part is empty: use more ratings or a smaller split")

    start = time.perf_counter()
    model = fit_als(train, rank=rank, reg=reg, iterations=iterations, seed=seed)
    model.userFactors.count()  # the fit is lazy in parts: materialise it inside the timer
    fit_seconds = time.perf_counter() - start

    scored = score(model, test, stats["mean"], (stats["low"], stats["high"]))
    errors = scored.select(F.col("cold"), ((F.col("rating") - F.col("prediction")) ** 2).alias("e"))
    result = errors.agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(F.col("cold").cast("int")).alias("cold"),
        F.mean("e").alias("mse"),
        F.mean(F.when(~F.col("cold"), F.col("e"))).alias("mse_known"),
    ).first()

    for name, factors in (("user_factors", model.userFactors), ("item_factors", model.itemFactors)):
        table = factors.select("id", F.col("features").alias("factors"))
        table.write.mode("overwrite").parquet(os.path.join(output, name))

    def root(mse: float | None) -> float | None:
        return None if mse is None else round(math.sqrt(mse), 6)

    return {
        "rmse": root(result["mse"]),
        "rmse_known": root(result["mse_known"]),
        "n_train": int(stats["n"]),
        "n_test": int(result["n"]),
        "n_cold": int(result["cold"] or 0),
        "fit_seconds": round(fit_seconds, 3),
        "train_mean": round(float(stats["mean"]), 6),
        "rank": rank,
        "reg": reg,
        "iterations": iterations,
        "test_fraction": test_fraction,
        "seed": seed,
        "output": output,
    }


def _check_job_params(rank: int, reg: float, iterations: int, test_fraction: float) -> None:
    if rank < 1:
        raise SparkJobError(f"--rank must be at least 1, got {rank}")
    if not reg >= 0:
        raise SparkJobError(f"--reg must be >= 0, got {reg}")
    if iterations < 1:
        raise SparkJobError(f"--iterations must be at least 1, got {iterations}")
    if not 0 < test_fraction < 1:
        raise SparkJobError(
            f"--test-fraction must be between 0 and 1 (exclusive), got {test_fraction}"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nmf_teach.spark",
        description="Fit non-negative ALS (Spark) on a ratings file, score a held-out part, "
        "save the factors as Parquet and print a JSON summary as the last line.",
    )
    parser.add_argument("--ratings", required=True, help="CSV with header, or Parquet")
    parser.add_argument("--output", required=True, help="folder for user_factors/item_factors")
    parser.add_argument("--rank", type=int, default=50, help="number of factors k (50)")
    parser.add_argument("--reg", type=float, default=0.1, help="ALS-WR lambda, regParam (0.1)")
    parser.add_argument("--iterations", type=int, default=10, help="ALS passes, maxIter (10)")
    parser.add_argument("--test-fraction", type=float, default=0.2, help="held out (0.2)")
    parser.add_argument("--seed", type=int, default=0, help="split and start seed (0)")
    parser.add_argument(
        "--master",
        default="local[2]",
        help="Spark master URL (local[2]); ignored under spark-submit, which sets its own",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (0 ok, 1 bad input, 2 bad options)."""
    args = _parser().parse_args(argv)
    try:
        _check_job_params(args.rank, args.reg, args.iterations, args.test_fraction)
        if "://" not in args.ratings and not os.path.exists(args.ratings):
            raise SparkJobError(f"ratings file not found: {args.ratings}")
        _require_pyspark()
        from pyspark.sql import SparkSession

        created = SparkSession.getActiveSession() is None  # else reuse it, leave it running
        if "PYSPARK_GATEWAY_PORT" in os.environ:  # under spark-submit: its master and conf
            spark = SparkSession.builder.appName("nmf_teach.spark").getOrCreate()
        else:
            spark = local_session(master=args.master, app_name="nmf_teach.spark")
        try:
            summary = run_job(
                spark,
                args.ratings,
                args.output,
                rank=args.rank,
                reg=args.reg,
                iterations=args.iterations,
                test_fraction=args.test_fraction,
                seed=args.seed,
            )
        finally:
            if created:
                stop_session(spark)
    except (SparkJobError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a Spark failure: one readable line, not a Java stack trace
        print(f"error: Spark failed: {type(error).__name__}: {_first_line(error)}", file=sys.stderr)
        return 1
    print(json.dumps(summary), flush=True)
    return 0


# --------------------------------------------------------------------------- benchmark
def jvm_peak_rss_bytes(spark: SparkSession) -> int | None:
    """Peak resident memory (``VmHWM``) of the JVM behind ``spark``, in bytes.

    The JVM is the process py4j launched (``spark-submit`` ends by exec-ing
    ``java``) or its ``java`` child. Linux only (reads ``/proc``); ``None`` when
    it cannot be found, e.g. when the JVM was not started by this Python.
    """
    proc = getattr(spark.sparkContext._gateway, "proc", None)
    if proc is None:
        return None
    candidates = [proc.pid, *_children(proc.pid)]
    for pid in candidates:
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            if comm != "java":
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            continue
    return None


def _children(pid: int) -> list[int]:
    """All descendants of ``pid`` (from /proc/*/stat), nearest first."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def fit_and_measure(
    train: pd.DataFrame,
    test: pd.DataFrame,
    rank: int = 50,
    reg: float = 0.1,
    iterations: int = 10,
    seed: int = 0,
    spark: SparkSession | None = None,
) -> dict[str, float | int | None]:
    """Fit ALS on pandas ratings and measure it, for the scale benchmark.

    ``train`` and ``test`` have user id, item id and rating as their first
    three columns (integer ids). Returns ``fit_seconds`` (the ALS fit only,
    data already in Spark), ``rmse`` on ``test`` (unknown ids scored with the
    training mean, as the job does), ``n_cold`` and ``jvm_peak_rss_bytes`` (the
    JVM's peak resident memory so far, see :func:`jvm_peak_rss_bytes`).
    ``spark`` defaults to :func:`local_session` (left running for the next call;
    stop it with :func:`stop_session`).
    """
    from pyspark.sql import functions as F

    spark = spark or local_session()
    train_sdf, test_sdf = from_pandas(spark, train), from_pandas(spark, test)
    start = time.perf_counter()
    model = fit_als(train_sdf, rank=rank, reg=reg, iterations=iterations, seed=seed)
    model.userFactors.count()
    fit_seconds = time.perf_counter() - start
    ratings = train.iloc[:, 2]
    scored = score(model, test_sdf, float(ratings.mean()), (ratings.min(), ratings.max()))
    result = scored.agg(
        F.mean((F.col("rating") - F.col("prediction")) ** 2).alias("mse"),
        F.sum(F.col("cold").cast("int")).alias("cold"),
    ).first()
    train_sdf.unpersist(), test_sdf.unpersist()
    return {
        "fit_seconds": fit_seconds,
        "rmse": math.sqrt(result["mse"]),
        "n_cold": int(result["cold"] or 0),
        "jvm_peak_rss_bytes": jvm_peak_rss_bytes(spark),
    }


if __name__ == "__main__":
    sys.exit(main())
