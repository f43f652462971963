"""Checks of the numbers a notebook's text quotes from its stored run.

A notebook's prose says things like "the tuned model reaches an RMSE of 0.850".
The cell after it checks that claim, so that a change to the package that moves
the number cannot slip by. But a learner who changes ``n_factors`` or a seed
*should* see the number move, and should not be stopped by an ``AssertionError``.

:func:`check_stored` does both:

* under ``make test`` (the environment variable ``NMF_TEACH_STRICT=1``, which the
  Makefile sets) a claim that does not hold raises ``AssertionError``, so the
  notebooks still pin their numbers;
* in a learner's kernel it prints a short note with the stored and the new value
  and lets the notebook run on.

Only numbers that depend on parameters a learner may change belong here.
Invariants (factors are never negative, the loss never increases) stay plain
``assert`` statements: they hold for any parameters.
"""

from __future__ import annotations

import os

STRICT_VARIABLE = "NMF_TEACH_STRICT"


def strict() -> bool:
    """True under ``make test`` (``NMF_TEACH_STRICT=1``), False in a learner's kernel."""
    return os.environ.get(STRICT_VARIABLE, "") not in ("", "0")


def check_stored(holds: bool, claim: str, *, stored: object = None, now: object = None) -> bool:
    """Check a claim that the text makes about the stored run.

    Parameters
    ----------
    holds : bool
        Whether the claim holds in this run, e.g. ``abs(rmse - 0.850) < 5e-4``.
    claim : str
        The claim in words, e.g. ``"the tuned model's 5-fold RMSE is 0.850"``.
    stored, now : optional
        The value the text was written for, and the value of this run; shown in
        the message when they differ.

    Returns
    -------
    bool
        ``holds``. When it is False: raises ``AssertionError`` in strict mode,
        otherwise prints a note and returns False.

    Examples
    --------
    >>> check_stored(0.8497 < 0.86, "the RMSE is below 0.86")
    True
    """
    if holds:
        return True
    values = ""
    if stored is not None or now is not None:
        values = f": stored {stored}, now {now}"
    if strict():
        raise AssertionError(f"the stored run's claim no longer holds: {claim}{values}")
    print(
        "Note: the text was written for the stored run, and you changed something, "
        f"so this claim no longer holds ({claim}){values}. That is fine: read on "
        "with your own numbers."
    )
    return False
