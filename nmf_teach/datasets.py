"""Datasets for the course: the toy tables of the source text and MovieLens.

Toy data
--------
The small tables printed in the source text (``toy_ratings_matrix``,
``toy_factors``, ``toy_predicted_table``, ``action_romance_factors``,
``surprise_example_ratings``) are rebuilt on every call, so a notebook may
modify what it gets without affecting anyone else.

MovieLens
---------
``load_movielens_small`` reads MovieLens "latest small" (GroupLens Research,
release of 2018-09-26: 100,836 ratings from 610 users on 9,724 movies), which
ships inside this package in ``nmf_teach/data/ml-latest-small/`` together with
its ``SHA256SUMS``; every file is checked against that hash before it is read.
``fetch_movielens_100k`` and ``fetch_movielens_1m`` download the larger
MovieLens 100K and 1M archives on demand from GroupLens with :mod:`pooch`,
verify their pinned SHA-256 hashes and cache them (these datasets may not
be redistributed, so they are never shipped). ``fetch_movielens_25m`` and
``fetch_movielens_32m`` do the same for the 25 and 32 million ratings
releases (about 250 MB each to download), checked against GroupLens's own MD5.

When you use MovieLens data, cite

    F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets:
    History and Context. ACM Transactions on Interactive Intelligent Systems
    (TiiS) 5, 4: 19:1-19:19. https://doi.org/10.1145/2827872

License: the MovieLens data are provided by GroupLens Research (University of
Minnesota) under the terms in the dataset's own ``README.txt``, shipped
unchanged at ``movielens_small_path() / "README.txt"``. In short: the data may
be used for any research purpose; do not state or imply endorsement by the
University of Minnesota or GroupLens; acknowledge the data by citing the paper
above; redistribution (including transformations) must carry the same license
conditions; no commercial or revenue-bearing use without permission from
GroupLens. Only ``ratings.csv`` and ``movies.csv`` of the release are shipped
(the README also describes ``links.csv`` and ``tags.csv``). GroupLens calls
"latest small" a *development* dataset; use 100K or 1M for results meant to be
compared with published work. ``README.txt`` is the binding text.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd

from nmf_teach._validation import check_ratings_frame

__all__ = [
    "ML_100K_SHA256",
    "ML_100K_URL",
    "ML_1M_SHA256",
    "ML_1M_URL",
    "ML_25M_MD5",
    "ML_25M_URL",
    "ML_32M_MD5",
    "ML_32M_URL",
    "SURPRISE_EXAMPLE_RATING_SCALE",
    "action_romance_factors",
    "benchmark_result_names",
    "fetch_movielens_100k",
    "fetch_movielens_1m",
    "fetch_movielens_25m",
    "fetch_movielens_32m",
    "genre_matrix",
    "load_benchmark_results",
    "load_movielens_small",
    "load_movielens_small_movies",
    "movielens_small_path",
    "surprise_example_ratings",
    "toy_factors",
    "toy_predicted_table",
    "toy_ratings_long",
    "toy_ratings_matrix",
]

#: ``rating_scale`` of the ``surprise.Reader`` in the source text's code example.
SURPRISE_EXAMPLE_RATING_SCALE: tuple[float, float] = (0.5, 5.0)

#: Official GroupLens download address of MovieLens 100K.
ML_100K_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
#: Official GroupLens download address of MovieLens 1M.
ML_1M_URL = "https://files.grouplens.org/datasets/movielens/ml-1m.zip"

# GroupLens itself publishes only MD5 sums (ml-100k.zip.md5:
# 0e33842e24a9c977be4e0107933c0723, ml-1m.zip.md5: c4d9eecfca2ab87c1945afe126590906).
# The SHA-256 values below were NOT computed by us from a download (the package
# was written offline); they are the values pinned by several independent public
# projects, some of which state that the same archive matched the GroupLens MD5.
#: SHA-256 of ``ml-100k.zip`` (4,924,029 bytes); see the note in the source.
ML_100K_SHA256 = "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229"
#: SHA-256 of ``ml-1m.zip``; see the note in the source.
ML_1M_SHA256 = "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20"

#: Official GroupLens download address of MovieLens 25M (released 2019-11).
ML_25M_URL = "https://files.grouplens.org/datasets/movielens/ml-25m.zip"
#: Official GroupLens download address of MovieLens 32M (released 2024-05).
ML_32M_URL = "https://files.grouplens.org/datasets/movielens/ml-32m.zip"
# GroupLens publishes an MD5 next to each archive (ml-25m.zip.md5, ml-32m.zip.md5);
# these are those values, as pinned by many independent public projects. MD5 is
# enough to detect a corrupted or changed download (not a deliberate forgery).
#: MD5 of ``ml-25m.zip`` (GroupLens's ``ml-25m.zip.md5``).
ML_25M_MD5 = "6b51fb2759a8657d3bfcbfc42b592ada"
#: MD5 of ``ml-32m.zip`` (GroupLens's ``ml-32m.zip.md5``).
ML_32M_MD5 = "d472be332d4daa821edc399621853b57"

_DATA_DIR = Path(__file__).resolve().parent / "data" / "ml-latest-small"
_BENCHMARK_DIR = Path(__file__).resolve().parent / "data" / "benchmark_results"
_RATING_COLUMNS = ["user", "item", "rating", "timestamp"]
_RATING_DTYPES = {"user": "int64", "item": "int64", "rating": "float64", "timestamp": "int64"}
_NO_GENRES = "(no genres listed)"

_USERS = ["User 1", "User 2", "User 3"]
_MOVIES = ["Movie 1", "Movie 2", "Movie 3"]


# --------------------------------------------------------------------------- #
# Toy data of the source text
# --------------------------------------------------------------------------- #
def _frame(
    values: list[list[float]],
    index: list[str],
    columns: list[str],
    *,
    index_name: str,
    columns_name: str,
) -> pd.DataFrame:
    frame = pd.DataFrame(values, index=index, columns=columns, dtype="float64")
    frame.index.name = index_name
    frame.columns.name = columns_name
    return frame


def toy_ratings_matrix() -> pd.DataFrame:
    """The 3 x 3 user-item rating matrix R of the source text. Used in
    ``notebooks/02_ratings_matrix.ipynb``.

    Returns
    -------
    pandas.DataFrame
        Rows ``"User 1"`` .. ``"User 3"`` (index name ``"user"``), columns
        ``"Movie 1"`` .. ``"Movie 3"`` (columns name ``"item"``), float64 values
        ``[[5, 3, 0], [4, 0, 0], [1, 1, 0]]``. A ``0`` means "not rated": it is a
        missing rating, not a rating of zero (nobody has rated Movie 3). A new
        frame is built on every call.

    See Also
    --------
    toy_ratings_long : the observed ratings only, one row per rating.
    """
    return _frame(
        [[5, 3, 0], [4, 0, 0], [1, 1, 0]],
        _USERS,
        _MOVIES,
        index_name="user",
        columns_name="item",
    )


def toy_ratings_long() -> pd.DataFrame:
    """The observed (non-zero) entries of :func:`toy_ratings_matrix` in long form. Used in
    ``notebooks/02_ratings_matrix.ipynb``.

    Returns
    -------
    pandas.DataFrame
        Columns ``user``, ``item``, ``rating`` (labels such as ``"User 1"`` and
        ``"Movie 1"``; rating float64), one row per observed rating, in row-major
        order of the matrix: 5 rows. This is the layout
        ``surprise.Dataset.load_from_df`` expects.
    """
    long = toy_ratings_matrix().stack().rename("rating").reset_index()
    long = long[long["rating"] != 0].reset_index(drop=True)
    return long[["user", "item", "rating"]]


def toy_factors() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The user and item factor tables printed "after training" in the source text. Used in
    ``notebooks/03_factorization_by_hand.ipynb``.

    Returns
    -------
    U : pandas.DataFrame
        Rows ``"User 1"`` .. ``"User 3"``, columns ``"Feature 1"``, ``"Feature 2"``:
        ``[[0.8, 1.2], [1.1, 0.0], [0.3, 0.5]]``.
    V : pandas.DataFrame
        Rows ``"Movie 1"`` .. ``"Movie 3"``, same columns:
        ``[[2.0, 0.3], [1.5, 1.0], [0.5, 0.2]]``.

    Notes
    -----
    The text says ``U @ V.T`` approximates R; these are illustrative numbers, and
    the product does not reproduce the text's predicted table (see
    :func:`toy_predicted_table`).
    """
    features = ["Feature 1", "Feature 2"]
    U = _frame(
        [[0.8, 1.2], [1.1, 0.0], [0.3, 0.5]],
        _USERS,
        features,
        index_name="user",
        columns_name="factor",
    )
    V = _frame(
        [[2.0, 0.3], [1.5, 1.0], [0.5, 0.2]],
        _MOVIES,
        features,
        index_name="item",
        columns_name="factor",
    )
    return U, V


def toy_predicted_table() -> pd.DataFrame:
    """The "predicted ratings" table exactly as printed in the source text. Used in
    ``notebooks/03_factorization_by_hand.ipynb``.

    Returns
    -------
    pandas.DataFrame
        Same labels as :func:`toy_ratings_matrix`, values
        ``[[5, 3, 0.86], [4, 1.5, 0.55], [1, 1, 0.25]]``.

    Notes
    -----
    This table is **not** ``U @ V.T`` for the factors of :func:`toy_factors`
    (for instance User 1 / Movie 1 gives ``0.8 * 2.0 + 1.2 * 0.3 = 1.96``, not 5):
    it keeps the observed ratings and fills the gaps with illustrative numbers.
    The course computes the product and shows the difference.
    """
    return _frame(
        [[5, 3, 0.86], [4, 1.5, 0.55], [1, 1, 0.25]],
        _USERS,
        _MOVIES,
        index_name="user",
        columns_name="item",
    )


def action_romance_factors() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The "Action" / "Romance" latent-factor example of the source text. Used in
    ``notebooks/04_latent_factors.ipynb``.

    Returns
    -------
    U : pandas.DataFrame
        Rows ``"User 1"`` .. ``"User 3"``, columns ``"Action"``, ``"Romance"``:
        ``[[0.8, 0.2], [0.4, 0.6], [1.0, 0.1]]``.
    V : pandas.DataFrame
        Rows ``"Movie A"``, ``"Movie B"``, ``"Movie C"``, same columns:
        ``[[0.9, 0.2], [0.1, 0.8], [0.6, 0.3]]``.

    Examples
    --------
    User 1's predicted preference for Movie A is the dot product of their rows:

    >>> U, V = action_romance_factors()
    >>> round(float(U.loc["User 1"] @ V.loc["Movie A"]), 2)
    0.76
    """
    factors = ["Action", "Romance"]
    U = _frame(
        [[0.8, 0.2], [0.4, 0.6], [1.0, 0.1]],
        _USERS,
        factors,
        index_name="user",
        columns_name="factor",
    )
    V = _frame(
        [[0.9, 0.2], [0.1, 0.8], [0.6, 0.3]],
        ["Movie A", "Movie B", "Movie C"],
        factors,
        index_name="item",
        columns_name="factor",
    )
    return U, V


def surprise_example_ratings() -> pd.DataFrame:
    """The ratings table of the source text's ``Surprise`` code example. Used in
    ``notebooks/07_surprise_nmf.ipynb``.

    Returns
    -------
    pandas.DataFrame
        Columns ``user_id`` (int64: 1, 2, 1, 3), ``movie_id`` (``"A"``, ``"B"``,
        ``"C"``, ``"A"``) and ``rating`` (float64: 4.5, 3.0, 5.0, 2.5). The
        example's ``Reader`` used ``rating_scale=SURPRISE_EXAMPLE_RATING_SCALE``,
        i.e. ``(0.5, 5.0)``.
    """
    return pd.DataFrame(
        {
            "user_id": pd.array([1, 2, 1, 3], dtype="int64"),
            "movie_id": ["A", "B", "C", "A"],
            "rating": pd.array([4.5, 3.0, 5.0, 2.5], dtype="float64"),
        }
    )


# --------------------------------------------------------------------------- #
# Benchmark results (shipped)
# --------------------------------------------------------------------------- #
def benchmark_result_names() -> list[str]:
    """Names of the shipped benchmark result tables, for :func:`load_benchmark_results`."""
    return sorted(path.stem for path in _BENCHMARK_DIR.glob("*.csv"))


def load_benchmark_results(name: str) -> pd.DataFrame:
    """One table written by a script in the repository's ``benchmarks/`` folder.

    Some measurements take far longer than a notebook may run (timings against
    Surprise, cross-validation of every model, fits of 20 million ratings), so a
    benchmark script writes them to ``nmf_teach/data/benchmark_results/NAME.csv``
    and notebooks 09, 10, 14, 15 and 16 read them from there. The files ship
    inside the package, so the notebooks also run outside the repository. Each row
    records the machine, library versions and commit that produced it.

    Parameters
    ----------
    name : str
        Table name without ``.csv``, e.g. ``"fit_times"``; see
        :func:`benchmark_result_names`.

    Examples
    --------
    >>> "fit_times" in benchmark_result_names()
    True
    >>> load_benchmark_results("fit_times").empty
    False
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'fit_times', not {type(name).__name__}")
    path = _BENCHMARK_DIR / f"{name.removesuffix('.csv')}.csv"
    if not path.is_file():
        raise ValueError(
            f"no benchmark result named {name!r}; the shipped tables are {benchmark_result_names()}"
        )
    return pd.read_csv(path)


# --------------------------------------------------------------------------- #
# MovieLens latest-small (shipped)
# --------------------------------------------------------------------------- #
def movielens_small_path() -> Path:
    """Folder of the shipped MovieLens "latest small" files.

    Returns
    -------
    pathlib.Path
        ``.../nmf_teach/data/ml-latest-small``, holding ``ratings.csv``,
        ``movies.csv``, the dataset's license ``README.txt`` and ``SHA256SUMS``.
    """
    return _DATA_DIR


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified_file(folder: Path, name: str) -> Path:
    """Return ``folder / name`` after checking its SHA-256 against ``SHA256SUMS``."""
    sums_file = folder / "SHA256SUMS"
    expected = None
    for line in sums_file.read_text(encoding="ascii").splitlines():
        parts = line.split()
        if len(parts) == 2 and Path(parts[1].lstrip("*")).name == name:
            expected = parts[0].lower()
    if expected is None:
        raise ValueError(f"{sums_file} has no SHA-256 entry for {name!r}; cannot verify it")
    path = folder / name
    actual = _sha256(path)
    if actual != expected:
        raise ValueError(
            f"{path} is not the published file: expected SHA-256 {expected}, got {actual}. "
            f"The copy is modified or corrupted; reinstall nmf_teach (or restore the file) "
            f"instead of using it."
        )
    return path


def _finish_ratings(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a parsed ratings table the standard columns/dtypes and validate it."""
    frame = frame.astype(_RATING_DTYPES)
    check_ratings_frame(frame)
    return frame.reset_index(drop=True)


@functools.lru_cache(maxsize=4)
def _read_small_ratings(folder: Path) -> pd.DataFrame:
    path = _verified_file(folder, "ratings.csv")
    frame = pd.read_csv(path, encoding="utf-8")
    frame = frame.rename(columns={"userId": "user", "movieId": "item"})
    return _finish_ratings(frame[_RATING_COLUMNS])


@functools.lru_cache(maxsize=4)
def _read_small_movies(folder: Path) -> pd.DataFrame:
    path = _verified_file(folder, "movies.csv")
    frame = pd.read_csv(
        path, encoding="utf-8", dtype={"movieId": "int64", "title": "str", "genres": "str"}
    )
    return frame.rename(columns={"movieId": "item"})[["item", "title", "genres"]]


def load_movielens_small() -> pd.DataFrame:
    """MovieLens "latest small" ratings (shipped with the package). Used in
    ``notebooks/08_movielens_small.ipynb``.

    The SHA-256 of ``ratings.csv`` is checked against the shipped ``SHA256SUMS``
    before the file is read. The parsed table is cached per process; each call
    returns a fresh copy you may modify.

    Returns
    -------
    pandas.DataFrame
        100,836 rows in file order with columns ``user`` (int64, MovieLens
        ``userId``), ``item`` (int64, ``movieId``), ``rating`` (float64, 0.5 to
        5.0 in half stars) and ``timestamp`` (int64, seconds since 1970-01-01 UTC).

    Raises
    ------
    ValueError
        If ``ratings.csv`` does not match its published SHA-256 (the message names
        the file and both hashes).

    Notes
    -----
    Cite Harper & Konstan (2015) and respect the license in
    ``movielens_small_path() / "README.txt"`` (see the module docstring).
    """
    return _read_small_ratings(movielens_small_path()).copy()


def load_movielens_small_movies() -> pd.DataFrame:
    """Titles and genres of the MovieLens "latest small" movies. Used in
    ``notebooks/08_movielens_small.ipynb``.

    ``movies.csv`` is SHA-256 checked like :func:`load_movielens_small`, parsed
    once per process, and returned as a fresh copy.

    Returns
    -------
    pandas.DataFrame
        9,742 rows with columns ``item`` (int64 ``movieId``), ``title`` (e.g.
        ``"Toy Story (1995)"``) and ``genres`` (the file's ``|``-separated string,
        e.g. ``"Adventure|Animation|Children|Comedy|Fantasy"``; ``"(no genres
        listed)"`` when there is none).

    Raises
    ------
    ValueError
        If ``movies.csv`` does not match its published SHA-256.
    """
    return _read_small_movies(movielens_small_path()).copy()


def genre_matrix(movies: pd.DataFrame) -> pd.DataFrame:
    """One-hot genre table, for correlating latent factors with genres. Used in
    ``notebooks/11_what_the_factors_mean.ipynb``.

    Parameters
    ----------
    movies : pandas.DataFrame
        A table with columns ``item`` and ``genres`` (``|``-separated), such as
        :func:`load_movielens_small_movies` returns.

    Returns
    -------
    pandas.DataFrame
        Index ``item`` (one row per movie, same order as ``movies``), one int64
        0/1 column per genre in alphabetical order. The placeholder
        ``"(no genres listed)"`` is not a genre: such movies get a row of zeros.

    Raises
    ------
    TypeError
        If ``movies`` is not a DataFrame.
    ValueError
        If a column is missing, ``genres`` has missing values, or an item repeats.
    """
    if not isinstance(movies, pd.DataFrame):
        raise TypeError(f"movies must be a pandas DataFrame, got {type(movies).__name__}")
    missing = [c for c in ("item", "genres") if c not in movies.columns]
    if missing:
        raise ValueError(
            f"movies needs columns 'item' and 'genres' (as load_movielens_small_movies() "
            f"returns); missing {missing}, got {list(movies.columns)}"
        )
    if movies["genres"].isna().any():
        raise ValueError("movies['genres'] has missing values; use '(no genres listed)' instead")
    if movies["item"].duplicated().any():
        dup = movies["item"][movies["item"].duplicated()].iloc[0]
        raise ValueError(f"item {dup!r} appears more than once in movies")
    dummies = movies["genres"].astype(str).str.get_dummies(sep="|")
    dummies = dummies.drop(columns=[_NO_GENRES], errors="ignore")
    dummies = dummies.reindex(columns=sorted(dummies.columns)).astype("int64")
    dummies.index = pd.Index(movies["item"].to_numpy(), name="item")
    dummies.columns.name = "genre"
    return dummies


# --------------------------------------------------------------------------- #
# MovieLens 100K / 1M (downloaded on demand)
# --------------------------------------------------------------------------- #
def _data_home(data_home: str | os.PathLike[str] | None) -> Path:
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get("NMF_TEACH_DATA")
    if env:
        return Path(env).expanduser()
    import pooch  # lazily: see _retrieve_member

    return Path(pooch.os_cache("nmf_teach"))


def _retrieve_member(
    *,
    fname: str,
    member: str,
    default_url: str,
    default_hash: str,
    data_home: str | os.PathLike[str] | None,
    url: str | None,
    known_hash: str | None,
    progressbar: bool,
) -> Path:
    """Download ``fname`` (if not cached and valid), check its hash, extract ``member``.

    On any failure the cache folder is left as it was found: files and folders
    this call created are removed before the error propagates.
    """
    # Imported here, not at the top: pooch imports tqdm.auto, which warns in a
    # notebook without ipywidgets; only the downloaders need pooch.
    import pooch

    folder = _data_home(data_home)
    archive = folder / fname
    extract_dir = folder / (fname + ".unzip")
    created = [p for p in (folder, archive, extract_dir) if not p.exists()]
    try:
        paths = pooch.retrieve(
            url=url or default_url,
            known_hash=known_hash or default_hash,
            fname=fname,
            path=folder,
            processor=pooch.Unzip(members=[member]),
            progressbar=progressbar,
        )
        wanted = extract_dir / member
        if not any(Path(p) == wanted for p in paths) or not wanted.is_file():
            raise ValueError(f"the archive {archive} has no member {member!r}")
    except BaseException:
        for path in reversed(created):  # children before the folder
            if path.is_dir():
                if path == folder:
                    if not any(path.iterdir()):
                        path.rmdir()
                else:
                    shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()
        raise
    return wanted


def fetch_movielens_100k(
    data_home: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    known_hash: str | None = None,
    progressbar: bool = False,
) -> pd.DataFrame:
    """Download (once) and load the MovieLens 100K ratings.

    The archive ``ml-100k.zip`` is fetched with :func:`pooch.retrieve`, its
    SHA-256 is checked, and ``ml-100k/u.data`` is extracted next to it; later
    calls read the cache without touching the network.

    Parameters
    ----------
    data_home : str or path-like, optional
        Cache folder. Default: the ``NMF_TEACH_DATA`` environment variable if
        set, else ``pooch.os_cache("nmf_teach")`` (e.g. ``~/.cache/nmf_teach``).
    url : str, optional
        Download address; default :data:`ML_100K_URL` (GroupLens). Use it for a
        mirror: the file must still match ``known_hash``.
    known_hash : str, optional
        Expected hash, ``"sha256:<hex>"`` or bare hex (SHA-256) as pooch accepts;
        default :data:`ML_100K_SHA256`.
    progressbar : bool, default False
        Show a tqdm progress bar while downloading.

    Returns
    -------
    pandas.DataFrame
        Columns ``user``, ``item`` (int64), ``rating`` (float64, 1 to 5) and
        ``timestamp`` (int64), in file order (100,000 rows for the real data).

    Raises
    ------
    ValueError
        If the downloaded file does not match ``known_hash`` (raised by pooch), or
        the archive lacks ``ml-100k/u.data``. Nothing from the failed call is
        left in the cache folder.

    Notes
    -----
    The pinned default SHA-256 was not computed by the authors of this package
    from a download: it is the value pinned by several independent public
    projects (GroupLens publishes only the MD5 ``0e33842e24a9c977be4e0107933c0723``).
    If the official archive ever fails the check, verify it against that MD5
    and pass ``known_hash="md5:0e33842e24a9c977be4e0107933c0723"``.
    MovieLens 100K may not be redistributed; cite Harper & Konstan (2015) and
    read its license at https://files.grouplens.org/datasets/movielens/ml-100k-README.txt.
    """
    path = _retrieve_member(
        fname="ml-100k.zip",
        member="ml-100k/u.data",
        default_url=ML_100K_URL,
        default_hash=f"sha256:{ML_100K_SHA256}",
        data_home=data_home,
        url=url,
        known_hash=known_hash,
        progressbar=progressbar,
    )
    frame = pd.read_csv(path, sep="\t", header=None, names=_RATING_COLUMNS, encoding="ascii")
    return _finish_ratings(frame)


def fetch_movielens_1m(
    data_home: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    known_hash: str | None = None,
    progressbar: bool = False,
) -> pd.DataFrame:
    """Download (once) and load the MovieLens 1M ratings.

    Like :func:`fetch_movielens_100k`, for ``ml-1m.zip`` and its member
    ``ml-1m/ratings.dat`` (lines ``UserID::MovieID::Rating::Timestamp``).

    Parameters
    ----------
    data_home : str or path-like, optional
        Cache folder; default ``NMF_TEACH_DATA`` or ``pooch.os_cache("nmf_teach")``.
    url : str, optional
        Download address; default :data:`ML_1M_URL` (GroupLens).
    known_hash : str, optional
        Expected hash as pooch accepts it; default :data:`ML_1M_SHA256`.
    progressbar : bool, default False
        Show a tqdm progress bar while downloading.

    Returns
    -------
    pandas.DataFrame
        Columns ``user``, ``item`` (int64), ``rating`` (float64, 1 to 5) and
        ``timestamp`` (int64), in file order (1,000,209 rows for the real data).

    Raises
    ------
    ValueError
        If the download does not match ``known_hash`` or lacks
        ``ml-1m/ratings.dat``; nothing from the failed call is left in the cache.

    Notes
    -----
    The pinned default SHA-256 was not computed by the authors of this package
    from a download: it is the value pinned by several independent public
    projects (GroupLens publishes only the MD5 ``c4d9eecfca2ab87c1945afe126590906``;
    pass ``known_hash="md5:c4d9eecfca2ab87c1945afe126590906"`` to use that).
    MovieLens 1M may not be redistributed; cite Harper & Konstan (2015) and read
    its license at https://files.grouplens.org/datasets/movielens/ml-1m-README.txt.
    """
    path = _retrieve_member(
        fname="ml-1m.zip",
        member="ml-1m/ratings.dat",
        default_url=ML_1M_URL,
        default_hash=f"sha256:{ML_1M_SHA256}",
        data_home=data_home,
        url=url,
        known_hash=known_hash,
        progressbar=progressbar,
    )
    # "::" split with the fast C parser: split on ":" and keep every other field.
    frame = pd.read_csv(
        path, sep=":", header=None, usecols=[0, 2, 4, 6], encoding="ascii", engine="c"
    )
    frame.columns = _RATING_COLUMNS
    return _finish_ratings(frame)


def _fetch_csv_release(
    name: str,
    default_url: str,
    default_md5: str,
    data_home: str | os.PathLike[str] | None,
    url: str | None,
    known_hash: str | None,
    progressbar: bool,
) -> pd.DataFrame:
    """Download ``name.zip`` once; read ``name/ratings.csv`` (userId,movieId,rating,timestamp)."""
    path = _retrieve_member(
        fname=f"{name}.zip",
        member=f"{name}/ratings.csv",
        default_url=default_url,
        default_hash=f"md5:{default_md5}",
        data_home=data_home,
        url=url,
        known_hash=known_hash,
        progressbar=progressbar,
    )
    frame = pd.read_csv(
        path, header=0, names=_RATING_COLUMNS, dtype=_RATING_DTYPES, encoding="utf-8", engine="c"
    )
    return _finish_ratings(frame)


def fetch_movielens_25m(
    data_home: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    known_hash: str | None = None,
    progressbar: bool = True,
) -> pd.DataFrame:
    """Download (once) and load the MovieLens 25M ratings (25,000,095 of them).

    Like :func:`fetch_movielens_100k`, for ``ml-25m.zip`` (about 250 MB) and its
    member ``ml-25m/ratings.csv``. The download shows a progress bar. The
    returned frame takes about 800 MB of memory, and fitting
    :class:`nmf_teach.nmf.NMF` on it needs about as much again
    (``benchmarks/scale.py`` measures this).

    Parameters
    ----------
    data_home : str or path-like, optional
        Cache folder; default ``NMF_TEACH_DATA`` or ``pooch.os_cache("nmf_teach")``.
    url : str, optional
        Download address; default :data:`ML_25M_URL` (GroupLens).
    known_hash : str, optional
        Expected hash as pooch accepts it; default ``"md5:"`` + :data:`ML_25M_MD5`,
        the checksum GroupLens publishes.
    progressbar : bool, default True
        Show a tqdm progress bar while downloading.

    Returns
    -------
    pandas.DataFrame
        Columns ``user``, ``item`` (int64), ``rating`` (float64, 0.5 to 5) and
        ``timestamp`` (int64), in file order.

    Raises
    ------
    ValueError
        If the download does not match ``known_hash`` or lacks
        ``ml-25m/ratings.csv``; nothing from the failed call is left in the cache.

    Notes
    -----
    MovieLens 25M may not be redistributed; cite Harper & Konstan (2015) and
    read its license at https://files.grouplens.org/datasets/movielens/ml-25m-README.html.
    """
    return _fetch_csv_release(
        "ml-25m", ML_25M_URL, ML_25M_MD5, data_home, url, known_hash, progressbar
    )


def fetch_movielens_32m(
    data_home: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    known_hash: str | None = None,
    progressbar: bool = True,
) -> pd.DataFrame:
    """Download (once) and load the MovieLens 32M ratings (32,000,204 of them).

    Exactly :func:`fetch_movielens_25m` (same parameters, columns and errors)
    for ``ml-32m.zip`` (about 240 MB) and its member ``ml-32m/ratings.csv``:
    the default address is :data:`ML_32M_URL` and the default hash
    ``"md5:"`` + :data:`ML_32M_MD5`, the checksum GroupLens publishes.
    MovieLens 32M may not be redistributed; cite Harper & Konstan (2015) and
    read its license at https://files.grouplens.org/datasets/movielens/ml-32m-README.html.
    """
    return _fetch_csv_release(
        "ml-32m", ML_32M_URL, ML_32M_MD5, data_home, url, known_hash, progressbar
    )
