"""nmf_teach: the small, transparent NMF package of the nmf-teach course.

One idea per module; each docstring points to the notebook that explains it.

* :class:`NMF` (``nmf_teach.nmf``): Surprise's NMF (Luo et al. 2014), exact, compiled (numba).
* :func:`multiplicative_updates` (``nmf_teach.multiplicative``): Lee & Seung (2001), dense.
* ``nmf_teach.datasets``: the source text's toy tables and MovieLens small (shipped).
* ``nmf_teach.metrics``, ``nmf_teach.model_selection``: RMSE/MAE, ranking metrics, splits, CV.
* ``nmf_teach.recommend``: top-N lists; ``nmf_teach.fold_in``: a new user's
  factors from a few ratings. ``nmf_teach.plotting``: heatmaps and loss curves.
* ``nmf_teach.factor_genres``: factors against genres. ``nmf_teach.stored_run``: the
  notebooks' checks of the numbers their text quotes.
* :func:`tuned_nmf` (``nmf_teach.tuned``, ``nmf_teach.biased_nmf``): the competitive NMF.
* :func:`tuned_implicit_nmf` (``nmf_teach.implicit``): NMF of the 0/1 "who rated what"
  matrix, for top-N lists.
"""

from importlib import metadata as _metadata

# The fitting loops run in parallel on OpenMP threads (numba's default). Between
# two parallel loops GNU OpenMP lets an idle thread spin for a moment before it
# sleeps, so that the many short parallel loops of a fit start at once. On a
# machine where other programs keep every core busy, set OMP_WAIT_POLICY=PASSIVE
# before importing nmf_teach (idle threads then sleep at once):
# benchmarks/openmp_wait.py measures both, quiet and busy.
from . import (
    datasets,
    factor_genres,
    fold_in,
    implicit,
    metrics,
    model_selection,
    plotting,
    recommend,
    stored_run,
)
from .implicit import ImplicitNMF, tuned_implicit_nmf
from .multiplicative import multiplicative_updates
from .nmf import NMF
from .tuned import tuned_nmf

try:  # the version written once, in pyproject.toml
    __version__ = _metadata.version("nmf_teach")
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "NMF",
    "ImplicitNMF",
    "datasets",
    "factor_genres",
    "fold_in",
    "implicit",
    "metrics",
    "model_selection",
    "multiplicative_updates",
    "plotting",
    "recommend",
    "stored_run",
    "tuned_implicit_nmf",
    "tuned_nmf",
]
