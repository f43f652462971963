"""Tests for nmf_teach.datasets: toy tables, shipped MovieLens, offline downloaders."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import re
import shutil
import threading
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pooch
import pytest

from nmf_teach import datasets

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SHIPPED_FILES = ("README.txt", "movies.csv", "ratings.csv")


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sums(folder: Path) -> dict[str, str]:
    out = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        out[Path(name).name] = digest
    return out


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# --------------------------------------------------------------------------- #
# Toy data
# --------------------------------------------------------------------------- #
def test_toy_ratings_matrix_values_and_labels():
    R = datasets.toy_ratings_matrix()
    assert R.shape == (3, 3)
    assert list(R.index) == ["User 1", "User 2", "User 3"]
    assert list(R.columns) == ["Movie 1", "Movie 2", "Movie 3"]
    np.testing.assert_array_equal(R.to_numpy(), [[5, 3, 0], [4, 0, 0], [1, 1, 0]])
    assert "not rated" in datasets.toy_ratings_matrix.__doc__


def test_toy_data_are_fresh_copies():
    R = datasets.toy_ratings_matrix()
    R.iloc[0, 0] = 99
    assert datasets.toy_ratings_matrix().iloc[0, 0] == 5
    U, _ = datasets.toy_factors()
    U.iloc[0, 0] = 99
    assert datasets.toy_factors()[0].iloc[0, 0] == 0.8
    S = datasets.surprise_example_ratings()
    S.loc[0, "rating"] = 0
    assert datasets.surprise_example_ratings().loc[0, "rating"] == 4.5


def test_toy_ratings_long_has_only_observed_entries():
    long = datasets.toy_ratings_long()
    assert list(long.columns) == ["user", "item", "rating"]
    assert len(long) == 5
    assert (long["rating"] > 0).all()
    expected = [
        ("User 1", "Movie 1", 5.0),
        ("User 1", "Movie 2", 3.0),
        ("User 2", "Movie 1", 4.0),
        ("User 3", "Movie 1", 1.0),
        ("User 3", "Movie 2", 1.0),
    ]
    assert list(long.itertuples(index=False, name=None)) == expected
    # Round trip back to the matrix (missing -> 0).
    back = long.pivot(index="user", columns="item", values="rating")
    back = back.reindex(columns=datasets.toy_ratings_matrix().columns).fillna(0)
    np.testing.assert_array_equal(back.to_numpy(), datasets.toy_ratings_matrix().to_numpy())


def test_toy_factors_values():
    U, V = datasets.toy_factors()
    assert U.shape == V.shape == (3, 2)
    assert list(U.index) == ["User 1", "User 2", "User 3"]
    assert list(V.index) == ["Movie 1", "Movie 2", "Movie 3"]
    assert list(U.columns) == list(V.columns) == ["Feature 1", "Feature 2"]
    np.testing.assert_array_equal(U.to_numpy(), [[0.8, 1.2], [1.1, 0.0], [0.3, 0.5]])
    np.testing.assert_array_equal(V.to_numpy(), [[2.0, 0.3], [1.5, 1.0], [0.5, 0.2]])
    assert (U.to_numpy() >= 0).all() and (V.to_numpy() >= 0).all()


def test_toy_predicted_table_is_not_the_product_of_the_factors():
    P = datasets.toy_predicted_table()
    np.testing.assert_array_equal(P.to_numpy(), [[5, 3, 0.86], [4, 1.5, 0.55], [1, 1, 0.25]])
    assert list(P.index) == list(datasets.toy_ratings_matrix().index)
    assert list(P.columns) == list(datasets.toy_ratings_matrix().columns)
    U, V = datasets.toy_factors()
    product = U.to_numpy() @ V.to_numpy().T
    np.testing.assert_allclose(product[0, 0], 0.8 * 2.0 + 1.2 * 0.3)
    assert not np.allclose(product, P.to_numpy(), atol=0.01)
    # Not even the text's filled-in cells agree with the product.
    assert abs(product[0, 2] - 0.86) > 0.01


def test_action_romance_factors_values():
    U, V = datasets.action_romance_factors()
    assert list(U.columns) == list(V.columns) == ["Action", "Romance"]
    assert list(U.index) == ["User 1", "User 2", "User 3"]
    assert list(V.index) == ["Movie A", "Movie B", "Movie C"]
    np.testing.assert_array_equal(U.to_numpy(), [[0.8, 0.2], [0.4, 0.6], [1.0, 0.1]])
    np.testing.assert_array_equal(V.to_numpy(), [[0.9, 0.2], [0.1, 0.8], [0.6, 0.3]])
    assert U.loc["User 1"] @ V.loc["Movie A"] == pytest.approx(0.76)


def test_surprise_example_ratings():
    df = datasets.surprise_example_ratings()
    assert list(df.columns) == ["user_id", "movie_id", "rating"]
    assert df["user_id"].tolist() == [1, 2, 1, 3]
    assert df["movie_id"].tolist() == ["A", "B", "C", "A"]
    assert df["rating"].tolist() == [4.5, 3.0, 5.0, 2.5]
    assert df["rating"].dtype == np.float64
    assert datasets.SURPRISE_EXAMPLE_RATING_SCALE == (0.5, 5.0)
    lo, hi = datasets.SURPRISE_EXAMPLE_RATING_SCALE
    assert df["rating"].between(lo, hi).all()


# --------------------------------------------------------------------------- #
# Shipped MovieLens latest-small
# --------------------------------------------------------------------------- #
def test_shipped_files_match_sha256sums():
    folder = datasets.movielens_small_path()
    assert folder.is_dir()
    sums = _sums(folder)
    assert sorted(sums) == sorted(SHIPPED_FILES)
    for name in SHIPPED_FILES:
        assert _sha256_bytes((folder / name).read_bytes()) == sums[name], name


@pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=(
        "../shared/data is not beside this clone. This test compares the MovieLens files "
        "that ship in nmf_teach/data/ml-latest-small (README.txt with the dataset's license "
        "terms, movies.csv, ratings.csv) byte for byte with the project's reference copy in "
        "../shared/data/ml-latest-small, and their SHA256SUMS with "
        "../shared/data/ml-latest-small.sha256, so that nothing was re-encoded or edited. "
        "Without that folder only the shipped files' own SHA256SUMS are checked"
    ),
)
def test_shipped_files_identical_to_shared_copy():
    folder = datasets.movielens_small_path()
    for name in SHIPPED_FILES:
        shipped = (folder / name).read_bytes()
        assert shipped == (SHARED_DATA / "ml-latest-small" / name).read_bytes(), name
    shared_sums = {
        line.split()[1]: line.split()[0]
        for line in (SHARED_DATA / "ml-latest-small.sha256").read_text().splitlines()
    }
    for name, digest in _sums(folder).items():
        assert shared_sums[f"ml-latest-small/{name}"] == digest


def test_load_movielens_small_facts():
    df = datasets.load_movielens_small()
    assert list(df.columns) == ["user", "item", "rating", "timestamp"]
    assert df.dtypes.to_dict() == {
        "user": np.dtype("int64"),
        "item": np.dtype("int64"),
        "rating": np.dtype("float64"),
        "timestamp": np.dtype("int64"),
    }
    assert len(df) == 100_836
    assert df["user"].nunique() == 610
    assert df["item"].nunique() == 9_724
    assert set(df["rating"].unique()) <= {k / 2 for k in range(1, 11)}
    assert df["rating"].min() == 0.5 and df["rating"].max() == 5.0
    assert not df.duplicated(subset=["user", "item"]).any()
    # File order: the first line is "1,1,4.0,964982703".
    assert df.iloc[0].tolist() == [1, 1, 4.0, 964982703]


def test_load_movielens_small_returns_copies():
    a = datasets.load_movielens_small()
    a.loc[0, "rating"] = -1.0
    b = datasets.load_movielens_small()
    assert b.loc[0, "rating"] == 4.0
    assert a is not b


def test_load_movielens_small_movies_and_genre_matrix():
    movies = datasets.load_movielens_small_movies()
    assert list(movies.columns) == ["item", "title", "genres"]
    assert len(movies) == 9_742
    assert movies["item"].dtype == np.int64
    first = movies.iloc[0]
    assert first["title"] == "Toy Story (1995)"
    assert first["genres"] == "Adventure|Animation|Children|Comedy|Fantasy"
    # Every rated item has a title.
    ratings = datasets.load_movielens_small()
    assert set(ratings["item"]) <= set(movies["item"])

    G = datasets.genre_matrix(movies)
    assert G.index.name == "item"
    assert G.index.tolist() == movies["item"].tolist()
    assert "(no genres listed)" not in G.columns
    assert list(G.columns) == sorted(G.columns)
    assert {"Action", "Romance", "Comedy", "Drama"} <= set(G.columns)
    assert (G.dtypes == np.int64).all()
    assert set(np.unique(G.to_numpy())) <= {0, 1}
    assert G.loc[1].sum() == 5 and G.loc[1, "Animation"] == 1
    no_genre = movies.loc[movies["genres"] == "(no genres listed)", "item"]
    assert len(no_genre) > 0
    assert (G.loc[no_genre].sum(axis=1) == 0).all()


def test_genre_matrix_small_input_and_errors():
    movies = pd.DataFrame(
        {"item": [10, 20, 30], "genres": ["Drama|Action", "(no genres listed)", "Drama"]}
    )
    G = datasets.genre_matrix(movies)
    assert list(G.columns) == ["Action", "Drama"]
    np.testing.assert_array_equal(G.to_numpy(), [[1, 1], [0, 0], [0, 1]])
    with pytest.raises(TypeError):
        datasets.genre_matrix([1, 2])
    with pytest.raises(ValueError, match="genres"):
        datasets.genre_matrix(movies[["item"]])
    with pytest.raises(ValueError, match="more than once"):
        datasets.genre_matrix(pd.concat([movies, movies]))


@pytest.fixture
def small_copy(tmp_path, monkeypatch):
    """A copy of the shipped folder in tmp_path that the loaders are pointed at."""
    folder = tmp_path / "ml-latest-small"
    shutil.copytree(datasets.movielens_small_path(), folder)
    monkeypatch.setattr(datasets, "movielens_small_path", lambda: folder)
    return folder


def test_hash_check_rejects_tampered_ratings(small_copy):
    path = small_copy / "ratings.csv"
    data = path.read_bytes()
    path.write_bytes(data.replace(b"1,1,4.0,964982703", b"1,1,5.0,964982703", 1))
    expected = _sums(small_copy)["ratings.csv"]
    actual = _sha256_bytes(path.read_bytes())
    with pytest.raises(ValueError) as info:
        datasets.load_movielens_small()
    message = str(info.value)
    assert "ratings.csv" in message and expected in message and actual in message


def test_hash_check_rejects_wrong_expected_hash(small_copy):
    sums = small_copy / "SHA256SUMS"
    wrong = "0" * 64
    text = sums.read_text()
    text = text.replace(_sums(small_copy)["movies.csv"], wrong)
    sums.write_text(text)
    with pytest.raises(ValueError, match=f"movies.csv.*{wrong}"):
        datasets.load_movielens_small_movies()


def test_hash_check_rejects_missing_entry(small_copy):
    sums = small_copy / "SHA256SUMS"
    lines = [ln for ln in sums.read_text().splitlines() if "ratings.csv" not in ln]
    sums.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="no SHA-256 entry"):
        datasets.load_movielens_small()


# --------------------------------------------------------------------------- #
# Downloaders, fully offline: a local HTTP server serves fake archives
# --------------------------------------------------------------------------- #
FAKE_100K = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n"
FAKE_1M = "1::1193::5::978300760\n1::661::3::978302109\n2::1357::5::978298709\n"
EXPECTED_FAKE_100K = pd.DataFrame(
    {
        "user": np.array([196, 186, 22], dtype=np.int64),
        "item": np.array([242, 302, 377], dtype=np.int64),
        "rating": np.array([3.0, 3.0, 1.0]),
        "timestamp": np.array([881250949, 891717742, 878887116], dtype=np.int64),
    }
)
EXPECTED_FAKE_1M = pd.DataFrame(
    {
        "user": np.array([1, 1, 2], dtype=np.int64),
        "item": np.array([1193, 661, 1357], dtype=np.int64),
        "rating": np.array([5.0, 3.0, 5.0]),
        "timestamp": np.array([978300760, 978302109, 978298709], dtype=np.int64),
    }
)


def _make_zip(path: Path, members: dict[str, str]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    path.write_bytes(buffer.getvalue())
    return _sha256_bytes(buffer.getvalue())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serve tmp_path/"srv" on 127.0.0.1; yields an object with .url(name) and .stop()."""
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    root = tmp_path / "srv"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )  # stop() returns within 10 ms
    thread.start()

    class Server:
        folder = root
        stopped = False

        @staticmethod
        def url(name: str) -> str:
            return f"http://127.0.0.1:{httpd.server_address[1]}/{name}"

        def stop(self) -> None:
            if not self.stopped:
                httpd.shutdown()
                httpd.server_close()
                thread.join(timeout=5)
                self.stopped = True

    srv = Server()
    yield srv
    srv.stop()


FAKE_CSV_RELEASE = "userId,movieId,rating,timestamp\n1,296,5.0,1147880044\n1,306,3.5,1147868817\n"
EXPECTED_FAKE_CSV_RELEASE = pd.DataFrame(
    {
        "user": np.array([1, 1], dtype=np.int64),
        "item": np.array([296, 306], dtype=np.int64),
        "rating": np.array([5.0, 3.5]),
        "timestamp": np.array([1147880044, 1147868817], dtype=np.int64),
    }
)

FETCHERS = [
    pytest.param(
        datasets.fetch_movielens_100k,
        "ml-100k.zip",
        {"ml-100k/u.data": FAKE_100K, "ml-100k/README": "fake"},
        EXPECTED_FAKE_100K,
        id="100k",
    ),
    pytest.param(
        datasets.fetch_movielens_1m,
        "ml-1m.zip",
        {"ml-1m/ratings.dat": FAKE_1M, "ml-1m/movies.dat": "1::Toy Story (1995)::Animation\n"},
        EXPECTED_FAKE_1M,
        id="1m",
    ),
    pytest.param(
        datasets.fetch_movielens_25m,
        "ml-25m.zip",
        {"ml-25m/ratings.csv": FAKE_CSV_RELEASE, "ml-25m/movies.csv": "movieId,title,genres\n"},
        EXPECTED_FAKE_CSV_RELEASE,
        id="25m",
    ),
    pytest.param(
        datasets.fetch_movielens_32m,
        "ml-32m.zip",
        {"ml-32m/ratings.csv": FAKE_CSV_RELEASE, "ml-32m/README.txt": "fake"},
        EXPECTED_FAKE_CSV_RELEASE,
        id="32m",
    ),
]


@pytest.mark.parametrize(("fetch", "fname", "members", "expected"), FETCHERS)
def test_fetch_downloads_verifies_and_caches(server, tmp_path, fetch, fname, members, expected):
    digest = _make_zip(server.folder / fname, members)
    cache = tmp_path / "cache"
    df = fetch(data_home=cache, url=server.url(fname), known_hash=digest)
    pd.testing.assert_frame_equal(df, expected)
    assert (cache / fname).is_file()

    server.stop()  # from now on any download attempt would fail
    again = fetch(data_home=cache, url=server.url(fname), known_hash=f"sha256:{digest}")
    pd.testing.assert_frame_equal(again, expected)


@pytest.mark.parametrize(("fetch", "fname", "members", "expected"), FETCHERS)
def test_fetch_wrong_hash_raises_and_leaves_nothing(
    server, tmp_path, fetch, fname, members, expected
):
    _make_zip(server.folder / fname, members)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError):
        fetch(data_home=cache, url=server.url(fname), known_hash="0" * 64)
    assert _files_under(cache) == []


@pytest.mark.parametrize(("fetch", "fname", "members", "expected"), FETCHERS)
def test_fetch_archive_without_member_raises_and_cleans_up(
    server, tmp_path, fetch, fname, members, expected
):
    digest = _make_zip(server.folder / fname, {"something/else.txt": "x"})
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="no member"):
        fetch(data_home=cache, url=server.url(fname), known_hash=digest)
    assert _files_under(cache) == []


def test_fetch_failure_keeps_existing_cache(server, tmp_path):
    digest = _make_zip(server.folder / "ml-100k.zip", {"ml-100k/u.data": FAKE_100K})
    cache = tmp_path / "cache"
    datasets.fetch_movielens_100k(cache, url=server.url("ml-100k.zip"), known_hash=digest)
    before = _files_under(cache)
    with pytest.raises(ValueError):
        datasets.fetch_movielens_100k(cache, url=server.url("ml-100k.zip"), known_hash="1" * 64)
    assert _files_under(cache) == before


def test_fetch_uses_env_data_home(server, tmp_path, monkeypatch):
    digest = _make_zip(server.folder / "ml-100k.zip", {"ml-100k/u.data": FAKE_100K})
    env_home = tmp_path / "env-home"
    monkeypatch.setenv("NMF_TEACH_DATA", str(env_home))
    df = datasets.fetch_movielens_100k(url=server.url("ml-100k.zip"), known_hash=digest)
    assert len(df) == 3
    assert (env_home / "ml-100k.zip").is_file()


def test_fetch_defaults_are_pinned(monkeypatch, tmp_path):
    """Without overrides the official URL and pinned SHA-256 go to pooch (no network)."""
    calls = []

    def fake_retrieve(**kwargs):
        calls.append(kwargs)
        raise ValueError("stop before any download")

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    monkeypatch.delenv("NMF_TEACH_DATA", raising=False)
    for fetch in (
        datasets.fetch_movielens_100k,
        datasets.fetch_movielens_1m,
        datasets.fetch_movielens_25m,
        datasets.fetch_movielens_32m,
    ):
        with pytest.raises(ValueError, match="stop before"):
            fetch(tmp_path / "c")
    assert calls[0]["url"] == "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
    assert calls[0]["known_hash"] == f"sha256:{datasets.ML_100K_SHA256}"
    assert calls[1]["url"] == "https://files.grouplens.org/datasets/movielens/ml-1m.zip"
    assert calls[1]["known_hash"] == f"sha256:{datasets.ML_1M_SHA256}"
    for sha in (datasets.ML_100K_SHA256, datasets.ML_1M_SHA256):
        assert re.fullmatch("[0-9a-f]{64}", sha), sha  # a SHA-256 in lowercase hex
    assert calls[2]["url"] == "https://files.grouplens.org/datasets/movielens/ml-25m.zip"
    assert calls[2]["known_hash"] == "md5:6b51fb2759a8657d3bfcbfc42b592ada"
    assert calls[3]["url"] == "https://files.grouplens.org/datasets/movielens/ml-32m.zip"
    assert calls[3]["known_hash"] == "md5:d472be332d4daa821edc399621853b57"
    assert calls[0]["progressbar"] is False
    assert calls[2]["progressbar"] is True and calls[3]["progressbar"] is True
    assert not (tmp_path / "c").exists()


def test_default_data_home(monkeypatch, tmp_path):
    monkeypatch.delenv("NMF_TEACH_DATA", raising=False)
    assert datasets._data_home(None) == Path(pooch.os_cache("nmf_teach"))
    monkeypatch.setenv("NMF_TEACH_DATA", str(tmp_path))
    assert datasets._data_home(None) == tmp_path
    assert datasets._data_home(tmp_path / "x") == tmp_path / "x"


def test_every_benchmark_table_a_notebook_reads_is_shipped():
    """The notebooks read benchmark tables through the package (they run outside the repo)."""
    import json
    import re
    from pathlib import Path

    names = set()
    for path in Path(__file__).resolve().parent.parent.glob("notebooks/*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            names |= set(re.findall(r'load_benchmark_results\("(\w+)"\)', "".join(cell["source"])))
    assert names, "no notebook reads a benchmark table"
    assert names <= set(datasets.benchmark_result_names())
    for name in names:
        assert not datasets.load_benchmark_results(name).empty


def test_unknown_benchmark_table_names_the_shipped_ones():
    with pytest.raises(ValueError, match="fit_times"):
        datasets.load_benchmark_results("fit_time")
    with pytest.raises(TypeError, match="string"):
        datasets.load_benchmark_results(3)
