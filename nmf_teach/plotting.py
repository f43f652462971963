"""Figures for the course: rating-matrix heatmaps, loss curves, error comparisons.

Every function draws on a Matplotlib ``Axes`` (a new figure if ``ax`` is None),
returns that ``Axes``, and uses only the object-oriented API, so it works the
same in notebooks and headless (``Agg``) builds. Colour maps are readable by
colour-blind readers: ``viridis`` by default, ``RdBu_r`` with limits symmetric
around 0 for signed data (``diverging=True``). Missing ratings are never a
colour: they are drawn as light grey hatched cells marked "?".

Used throughout the course: ``heatmap`` from ``notebooks/02_ratings_matrix.ipynb``,
``loss_curve`` in ``notebooks/05_learning_u_and_v.ipynb``, ``bar_compare`` in
``notebooks/09_against_the_baselines.ipynb``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

__all__ = ["heatmap", "loss_curve", "bar_compare"]

MISSING_FACE = "0.92"  # light grey background of a missing cell
MISSING_HATCH_COLOR = "0.6"
MISSING_TEXT = "?"
AUTO_ANNOTATE_MAX_CELLS = 400  # annotate=None writes numbers only in matrices this small
ALL_TICKS_MAX = 40  # label every row / column up to this many, else a readable subset


def _new_axes(ax: Axes | None) -> Axes:
    """``ax``, or the Axes of a new figure."""
    if ax is None:
        import matplotlib.pyplot as plt  # here, so importing this module never picks a backend

        _, ax = plt.subplots()
    return ax


# --------------------------------------------------------------------------
# heatmap
# --------------------------------------------------------------------------


def _matrix_and_labels(matrix: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, list, list]:
    """Values as a float array, shape (n_rows, n_cols), plus row and column labels."""
    if isinstance(matrix, pd.DataFrame):
        row_labels, col_labels = list(matrix.index), list(matrix.columns)
        values = matrix.to_numpy()
    else:
        values = np.asarray(matrix)
        row_labels = col_labels = None
    try:
        values = values.astype(np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"heatmap needs numbers, got dtype {values.dtype}; convert with "
            f"pd.to_numeric / .astype(float) first"
        ) from None
    if values.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D matrix (rows x columns), got shape {values.shape}")
    if values.size == 0:
        raise ValueError(f"the matrix is empty (shape {values.shape}); nothing to draw")
    if np.isinf(values).any():
        raise ValueError("the matrix contains inf; replace it with a number or NaN (missing)")
    if row_labels is None:
        row_labels, col_labels = list(range(values.shape[0])), list(range(values.shape[1]))
    return values, row_labels, col_labels


def _missing_mask(values: np.ndarray, missing: object) -> np.ndarray:
    """True where a cell is missing: NaN, or True in the optional boolean ``missing``."""
    mask = np.isnan(values)
    if missing is not None:
        extra = missing.to_numpy() if isinstance(missing, pd.DataFrame) else np.asarray(missing)
        if extra.dtype != bool:
            raise TypeError(
                f"missing must be a boolean mask (True = missing), got dtype {extra.dtype}; "
                f"e.g. missing=(R == 0)"
            )
        if extra.shape != values.shape:
            raise ValueError(
                f"missing has shape {extra.shape} but the matrix has shape {values.shape}; "
                f"pass one True/False per cell"
            )
        mask = mask | extra
    return mask


def _color_limits(
    shown: np.ndarray, vmin: float | None, vmax: float | None, diverging: bool
) -> tuple[float, float]:
    """Colour limits: given, else the data range; symmetric around 0 if ``diverging``."""
    lo = vmin if vmin is not None else (shown.min() if shown.size else 0.0)
    hi = vmax if vmax is not None else (shown.max() if shown.size else 1.0)
    if diverging:
        lim = max(abs(lo), abs(hi))
        lo, hi = -lim, lim
    if lo > hi:
        raise ValueError(f"vmin={lo} is larger than vmax={hi}; swap them")
    if lo == hi:  # a constant matrix: give the colour bar some width
        lo, hi = lo - 0.5, hi + 0.5
    return float(lo), float(hi)


def _label_axis(axis, labels: list) -> None:
    """Tick labels from ``labels``: every one if few, else a readable integer subset."""
    if len(labels) <= ALL_TICKS_MAX:
        axis.set_major_locator(FixedLocator(np.arange(len(labels))))
    else:
        axis.set_major_locator(MaxNLocator(nbins=10, integer=True))
    axis.set_major_formatter(
        FuncFormatter(lambda pos, _: str(labels[int(pos)]) if 0 <= pos < len(labels) else "")
    )


def _text_color(rgba: tuple[float, ...]) -> str:
    """Black on light cells, white on dark ones (relative luminance)."""
    r, g, b = rgba[:3]
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "white"


def heatmap(
    matrix: pd.DataFrame | np.ndarray,
    *,
    ax: Axes | None = None,
    missing: np.ndarray | pd.DataFrame | None = None,
    annotate: bool | None = None,
    fmt: str = ".2f",
    cmap: str | Colormap | None = None,
    diverging: bool = False,
    title: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    cbar_label: str | None = "value",
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Draw a matrix as coloured cells, with missing cells clearly marked.

    Parameters
    ----------
    matrix : pd.DataFrame or np.ndarray, shape (n_rows, n_cols)
        Numbers to show, e.g. a users x items ratings matrix or a factor matrix.
        NaN means missing. A DataFrame's index / columns label the rows / columns
        (and their ``name`` the axes).
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    missing : bool array-like, shape (n_rows, n_cols), optional
        Extra cells to show as missing (True), e.g. ``R == 0`` when 0 codes "unrated".
    annotate : bool or None, default None
        Write each value in its cell. ``None``: only if the matrix has at most
        400 cells (more would be unreadable and slow).
    fmt : str, default ".2f"
        Format of the annotations, e.g. ".1f" or "g".
    cmap : str or Colormap, optional
        Colour map; default ``"viridis"``, or ``"RdBu_r"`` if ``diverging``.
    diverging : bool, default False
        Signed data (residuals, centred ratings): symmetric limits around 0, so
        white/neutral means 0.
    title : str, optional
    vmin, vmax : float, optional
        Colour limits (default: the range of the non-missing values).
    cbar_label : str or None, default "value"
        Label of the colour bar (e.g. "rating"); ``None`` for no colour bar.
    xlabel, ylabel : str, optional
        Axis labels (default: the DataFrame's ``columns.name`` / ``index.name``).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.images[0]`` holds the image; its array is masked at the missing cells.

    Raises
    ------
    ValueError, TypeError
        For an empty, non-2-D or non-numeric matrix, inf values, or a ``missing``
        mask of the wrong shape or type.

    Examples
    --------
    >>> R = pd.DataFrame([[5, np.nan], [3, 1]], index=["ann", "bob"], columns=["A", "B"])
    >>> ax = heatmap(R, cbar_label="rating", title="Who rated what")
    >>> bool(ax.images[0].get_array().mask[0, 1])
    True
    """
    values, row_labels, col_labels = _matrix_and_labels(matrix)
    mask = _missing_mask(values, missing)
    lo, hi = _color_limits(values[~mask], vmin, vmax, diverging)
    colormap = cmap if cmap is not None else ("RdBu_r" if diverging else "viridis")
    if not isinstance(colormap, Colormap):
        colormap = matplotlib.colormaps[colormap]
    colormap = colormap.with_extremes(bad=(0, 0, 0, 0))  # missing: transparent ...
    n_rows, n_cols = values.shape

    ax = _new_axes(ax)
    # ... so this hatched grey background shows through at the missing cells
    ax.add_patch(
        Rectangle(
            (-0.5, -0.5),
            n_cols,
            n_rows,
            facecolor=MISSING_FACE,
            edgecolor=MISSING_HATCH_COLOR,
            hatch="//",
            linewidth=0,
            zorder=0,
        )
    )
    norm = Normalize(vmin=lo, vmax=hi)
    image = ax.imshow(
        np.ma.masked_array(values, mask=mask),
        cmap=colormap,
        norm=norm,
        interpolation="nearest",
        aspect="auto",
        zorder=1,
    )
    if cbar_label is not None:
        ax.figure.colorbar(image, ax=ax, label=cbar_label)

    if annotate is None:
        annotate = values.size <= AUTO_ANNOTATE_MAX_CELLS
    if annotate:
        for (row, col), value in np.ndenumerate(values):
            if mask[row, col]:
                ax.text(col, row, MISSING_TEXT, ha="center", va="center", color="0.3", zorder=2)
            else:
                color = _text_color(colormap(norm(value)))
                ax.text(
                    col, row, format(value, fmt), ha="center", va="center", color=color, zorder=2
                )

    _label_axis(ax.xaxis, col_labels)
    _label_axis(ax.yaxis, row_labels)
    if any(len(str(label)) > 3 for label in col_labels):
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    if isinstance(matrix, pd.DataFrame):
        xlabel = xlabel if xlabel is not None else matrix.columns.name
        ylabel = ylabel if ylabel is not None else matrix.index.name
    if xlabel:
        ax.set_xlabel(str(xlabel))
    if ylabel:
        ax.set_ylabel(str(ylabel))
    if title:
        ax.set_title(title)
    return ax


# --------------------------------------------------------------------------
# loss curve
# --------------------------------------------------------------------------


def loss_curve(
    losses: Sequence[float] | np.ndarray | pd.Series,
    *,
    ax: Axes | None = None,
    label: str | None = None,
    logy: bool = False,
    title: str | None = None,
    start: int = 1,
) -> Axes:
    """Plot a training loss against the iteration number.

    Call it several times on the same ``ax`` with different ``label`` values to
    compare runs (a legend is added once a line has a label).

    Parameters
    ----------
    losses : 1-D sequence of float, shape (n_epochs,), or pd.Series
        Loss after each iteration. A Series is plotted against its index.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    label : str, optional
        Legend entry for this curve.
    logy : bool, default False
        Logarithmic loss axis (needs all losses > 0): shows late progress better.
    title : str, optional
    start : int, default 1
        Iteration number of ``losses[0]`` (for arrays). 1 matches
        ``multiplicative_updates``, whose ``losses[t]`` follows iteration ``t + 1``;
        use 0 if the first entry is the loss of the initial factors.

    Returns
    -------
    matplotlib.axes.Axes
        With x label "iteration" and y label "loss".

    Raises
    ------
    ValueError
        If ``losses`` is empty, not 1-D or not finite, or ``logy`` with a loss <= 0.
    """
    if isinstance(losses, pd.Series):
        x, y = losses.index.to_numpy(), losses.to_numpy(dtype=np.float64)
    else:
        y = np.asarray(losses, dtype=np.float64)
        x = np.arange(start, start + y.size)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"losses must be a non-empty 1-D sequence, got shape {y.shape}")
    if not np.isfinite(y).all():
        first = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(
            f"losses contain NaN or inf (first at position {first}): the fit diverged; "
            f"check the input data and the learning settings"
        )
    if logy and (y <= 0).any():
        raise ValueError("logy=True needs every loss > 0 (log of 0 or less); use logy=False")

    ax = _new_axes(ax)
    ax.plot(x, y, marker="o" if y.size <= 30 else None, markersize=3, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    if x.dtype.kind in "iu":
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    if label is not None:
        ax.legend()
    if title:
        ax.set_title(title)
    return ax


# --------------------------------------------------------------------------
# bar comparison (e.g. RMSE of several models)
# --------------------------------------------------------------------------


def bar_compare(
    values: pd.Series | Mapping[str, float],
    *,
    ax: Axes | None = None,
    xlabel: str = "RMSE",
    errors: pd.Series | Mapping[str, float] | None = None,
    sort: bool = True,
    fmt: str = ".3f",
    title: str | None = None,
) -> Axes:
    """Horizontal bars comparing one number across models, each bar labelled with its value.

    Parameters
    ----------
    values : pd.Series or dict, name -> float, length m
        E.g. ``{"global mean": 1.04, "NMF k=15": 0.92}`` or ``cv_table.mean()``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    xlabel : str, default "RMSE"
        What the numbers are.
    errors : pd.Series or dict, optional
        Error-bar half-widths with the same names (e.g. the std over CV folds).
    sort : bool, default True
        Smallest value on top (best first for errors such as RMSE).
    fmt : str, default ".3f"
        Format of the value labels.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``values`` is empty or not finite, or ``errors`` does not match its names.
    """
    series = pd.Series(values, dtype=np.float64)
    if series.empty:
        raise ValueError("values is empty: pass at least one name -> number")
    if not np.isfinite(series.to_numpy()).all():
        raise ValueError(f"values must be finite numbers, got {series.to_dict()}")
    err = None
    if errors is not None:
        err = pd.Series(errors, dtype=np.float64)
        if set(err.index) != set(series.index) or not np.isfinite(err.to_numpy()).all():
            raise ValueError(
                f"errors must give one finite number for each of {list(series.index)}, "
                f"got {err.to_dict()}"
            )
    if sort:
        series = series.sort_values(kind="stable")
    if err is not None:
        err = err.reindex(series.index)

    ax = _new_axes(ax)
    positions = np.arange(len(series))
    bars = ax.barh(
        positions,
        series.to_numpy(),
        xerr=None if err is None else err.to_numpy(),
        color="C0",
        capsize=4,
    )
    ax.bar_label(bars, labels=[format(v, fmt) for v in series], padding=4)
    ax.set_yticks(positions, labels=[str(name) for name in series.index])
    ax.invert_yaxis()  # first entry on top
    ax.set_xlabel(xlabel)
    ax.margins(x=0.15)
    if title:
        ax.set_title(title)
    return ax
