"""nmf_teach.spark: the ALS job end to end, its bad-input errors, and the helpers.

One quiet local SparkSession (``local_session``) is shared by the module, and
``main`` (the command line) runs in this process on it. Two cases run
``python -m nmf_teach.spark`` in its own process without starting Spark: a
missing file, and pyspark missing (the package still imports). A fresh JVM per
case would cost 10 to 30 s each; the full command was checked by hand
(``python -m nmf_teach.spark --ratings nmf_teach/data/ml-latest-small/ratings.csv
--output /tmp/x``) and under ``spark-submit``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nmf_teach import spark as nspark
from nmf_teach.datasets import load_movielens_small

pytest.importorskip("pyspark")

ROOT = Path(__file__).resolve().parents[1]
RANK = 4
FAST = {"rank": RANK, "reg": 0.1, "iterations": 3, "test_fraction": 0.25, "seed": 1}


@pytest.fixture(scope="module")
def spark():
    session = nspark.local_session()
    yield session
    nspark.stop_session(session)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """3,000 MovieLens ratings in the file's own columns (many movies rated once)."""
    ratings = load_movielens_small().iloc[:3000]
    return ratings.rename(columns={"user": "userId", "item": "movieId"})


@pytest.fixture(scope="module")
def sample_csv(sample, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("csv") / "ratings.csv"
    sample.to_csv(path, index=False)
    return path


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "ratings.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _factors(spark, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    frame = spark.read.parquet(str(folder))
    assert frame.columns == ["id", "factors"]
    rows = frame.collect()
    return np.array([r.id for r in rows]), np.array([r.factors for r in rows])


def _check_outputs(spark, summary: dict, output: Path, n_rows: int) -> None:
    assert summary["n_train"] + summary["n_test"] == n_rows
    assert 0 < summary["n_test"] < n_rows
    assert 0 <= summary["n_cold"] <= summary["n_test"]
    assert 0 < summary["rmse"] < 2 and 0 < summary["rmse_known"] < 2
    assert summary["fit_seconds"] > 0
    for name in ("user_factors", "item_factors"):
        ids, factors = _factors(spark, output / name)
        assert factors.shape == (len(ids), RANK) and len(set(ids)) == len(ids)
        assert (factors >= 0).all()


@pytest.fixture(scope="module")
def csv_run(spark, sample_csv, tmp_path_factory) -> tuple[dict, Path]:
    output = tmp_path_factory.mktemp("out")
    return nspark.run_job(spark, str(sample_csv), str(output), **FAST), output


def test_job_on_csv(spark, sample, csv_run):
    summary, output = csv_run
    _check_outputs(spark, summary, output, len(sample))
    assert set(_factors(spark, output / "user_factors")[0]) <= set(sample["userId"])
    assert set(_factors(spark, output / "item_factors")[0]) <= set(sample["movieId"])


def test_job_on_parquet_gives_the_same_result(spark, sample, sample_csv, csv_run, tmp_path):
    parquet = tmp_path / "ratings.parquet"
    nspark.read_ratings(spark, str(sample_csv)).coalesce(1).write.parquet(str(parquet))
    from_parquet = nspark.run_job(spark, str(parquet), str(tmp_path / "b"), **FAST)
    _check_outputs(spark, from_parquet, tmp_path / "b", len(sample))
    for key in ("n_train", "n_test", "n_cold"):
        assert from_parquet[key] == csv_run[0][key]
    assert from_parquet["rmse"] == pytest.approx(csv_run[0]["rmse"], abs=1e-4)


def test_unknown_ids_are_counted_and_get_the_training_mean(spark):
    schema = "user int, item int, rating double"
    train = spark.createDataFrame([(1, 10, 4.0), (1, 11, 2.0), (2, 10, 5.0), (2, 11, 3.0)], schema)
    test = spark.createDataFrame([(1, 11, 2.0), (3, 10, 4.0), (2, 99, 1.0), (7, 98, 3.0)], schema)
    model = nspark.fit_als(train, rank=2, iterations=3)
    scored = nspark.to_pandas(
        nspark.score(model, test, fallback=3.5, scale=(0.5, 5.0)).orderBy("user")
    )
    assert scored["cold"].tolist() == [False, True, True, True]  # users 2, 3, 7: item 99, user 3
    assert scored.loc[scored["cold"], "prediction"].tolist() == [3.5, 3.5, 3.5]
    assert scored["prediction"].between(0.5, 5.0).all()


def test_job_counts_the_test_rows_with_unknown_ids(spark, sample_csv, csv_run):
    summary = csv_run[0]
    data = nspark.read_ratings(spark, str(sample_csv))
    frac = FAST["test_fraction"]
    train, test = (
        nspark.to_pandas(part) for part in data.randomSplit([1 - frac, frac], seed=FAST["seed"])
    )
    unknown = ~test["user"].isin(train["user"]) | ~test["item"].isin(train["item"])
    assert (len(train), len(test)) == (summary["n_train"], summary["n_test"])
    assert summary["n_cold"] == int(unknown.sum()) > 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("userId,movieId,rating\n", "no ratings"),
        ("userId,rating\n1,4.0\n", "needs the columns"),
        ("1,10,4.0\n2,10,3.0\n", "needs the columns"),  # no header
        ("userId,movieId,rating\n1,10,4.0\n2,10,good\n", "'rating'"),
        ("userId,movieId,rating\n1,10,4.0\n2,10,\n", "'rating'"),
        ("userId,movieId,rating\n1,10,4.0\nbob,10,3.0\n", "'userId'"),
        ("userId,movieId,rating\n1,10.5,4.0\n", "'movieId'"),
        ("userId,movieId,rating\n1,9999999999,4.0\n", "'movieId'"),
    ],
)
def test_bad_input_exits_non_zero_with_a_message(spark, tmp_path, capsys, text, message):
    path = _write(tmp_path, text)
    status = nspark.main(["--ratings", path, "--output", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 1 and captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err
    assert "Traceback" not in captured.err and "at org.apache" not in captured.err


@pytest.mark.parametrize(
    ("option", "value"),
    [("--rank", "0"), ("--iterations", "0"), ("--test-fraction", "1"), ("--reg", "-1")],
)
def test_bad_options_exit_non_zero(sample_csv, tmp_path, capsys, option, value):
    args = ["--ratings", str(sample_csv), "--output", str(tmp_path), option, value]
    assert nspark.main(args) == 1
    assert option in capsys.readouterr().err


def test_cli_prints_a_json_summary_last(spark, sample, tmp_path, capsys):
    small = sample.iloc[:500]
    ratings = tmp_path / "ratings.csv"
    small.to_csv(ratings, index=False)
    out = tmp_path / "out"
    args = ["--ratings", str(ratings), "--output", str(out), "--rank", str(RANK)]
    assert nspark.main([*args, "--iterations", "1", "--seed", "1"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"rmse", "n_train", "n_test", "n_cold", "fit_seconds"} <= set(summary)
    assert summary["n_train"] + summary["n_test"] == len(small)
    assert (out / "user_factors").is_dir() and (out / "item_factors").is_dir()
    assert spark.sparkContext._jsc is not None, "main stopped a session it did not start"


def test_missing_file_and_unreadable_parquet(spark, tmp_path, capsys):
    assert nspark.main(["--ratings", str(tmp_path / "nope.csv"), "--output", "x"]) == 1
    assert "not found" in capsys.readouterr().err
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"this is not parquet")
    assert nspark.main(["--ratings", str(broken), "--output", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Parquet" in err and "\tat " not in err


def test_objective_terms_match_the_nmf_objective():
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 5, 40), rng.integers(0, 7, 40)
    ratings = rng.uniform(1, 5, 40)
    pu, qi = rng.uniform(0, 1, (5, 3)), rng.uniform(0, 1, (7, 3))
    terms = nspark.als_wr_objective(users, items, ratings, pu, qi, reg=0.1)
    errors = ratings - np.sum(pu[users] * qi[items], axis=1)
    n_u, n_i = np.bincount(users, minlength=5), np.bincount(items, minlength=7)
    luo = 0.5 * np.sum(errors**2) + 0.05 * (n_u @ (pu**2).sum(1) + n_i @ (qi**2).sum(1))
    assert terms["total"] == pytest.approx(2 * luo)
    assert terms["total"] == pytest.approx(
        terms["error"] + terms["user_penalty"] + terms["item_penalty"]
    )


def test_fit_and_measure(spark, sample):
    train, test = sample.iloc[:2500], sample.iloc[2500:]
    result = nspark.fit_and_measure(train, test, rank=RANK, iterations=2, spark=spark)
    assert set(result) == {"fit_seconds", "rmse", "n_cold", "jvm_peak_rss_bytes"}
    assert result["fit_seconds"] > 0 and 0 < result["rmse"] < 2
    assert result["jvm_peak_rss_bytes"] > 50 * 2**20  # a JVM uses at least tens of MB


# ------------------------------------------------------------- separate processes


def test_cli_missing_file_in_a_process(tmp_path):
    missing = str(tmp_path / "missing.csv")
    done = subprocess.run(
        [sys.executable, "-m", "nmf_teach.spark", "--ratings", missing, "--output", "x"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"error: ratings file not found: {missing}\n"


def test_imports_and_fails_clearly_without_pyspark(tmp_path):
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "import nmf_teach, nmf_teach.spark as s\n"
        f"sys.exit(s.main(['--ratings', {str(ROOT / 'README.md')!r}, '--output', 'x']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert "pip install 'nmf_teach[spark]'" in done.stderr and "Traceback" not in done.stderr
