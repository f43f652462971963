"""The ratings grouped by user and by item: the index arrays every fitting loop walks.

A factor model's epoch is a few sums "over the ratings of user ``u``" and "over
the ratings of item ``i``". :func:`index_ratings` builds, once per fit, the
compressed-sparse-row (CSR) arrays that make those sums plain loops:

* the ratings **in user order** (users by row number, each user's ratings in
  input order, which is the order of ``surprise.Trainset.all_ratings()``):
  ``items[r]`` and ``ratings[r]`` for ``r = 0 .. n_ratings-1``; the ratings
  of user ``u`` are ``r in range(user_ptr[u], user_ptr[u + 1])``;
* the same ratings **grouped by item**: the ratings of item ``i`` are
  ``r = by_item[j]`` for ``j in range(item_ptr[i], item_ptr[i + 1])``, in user
  order, and ``item_users[j]`` is the user of rating ``by_item[j]``.

Indices are int32 (int64 for the pointers), so 20 million ratings take
20M x (4 + 8 + 4 + 4) bytes = 400 MB here, about as much as the DataFrame they
came from. Nothing of shape ``(n_ratings, k)`` is ever built.

Used by :class:`nmf_teach.NMF` and :class:`nmf_teach.biased_nmf.BiasedNMF`;
notebook 13 explains what a compiled loop is.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class RatingsIndex(NamedTuple):
    """CSR index arrays of the ratings (see the module docstring)."""

    user_ptr: np.ndarray  # int64 (n_users + 1,)
    items: np.ndarray  # int32 (n_ratings,): item row of rating r
    ratings: np.ndarray  # float64 (n_ratings,)
    item_ptr: np.ndarray  # int64 (n_items + 1,)
    by_item: np.ndarray  # int32 (n_ratings,): rating positions grouped by item
    item_users: np.ndarray  # int32 (n_ratings,): user row of rating by_item[j]

    @property
    def user_counts(self) -> np.ndarray:
        """``|I_u|``, the number of ratings of each user, shape ``(n_users,)``."""
        return np.diff(self.user_ptr)

    @property
    def item_counts(self) -> np.ndarray:
        """``|U_i|``, the number of ratings of each item, shape ``(n_items,)``."""
        return np.diff(self.item_ptr)


@njit(cache=True)
def group_by(rows: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Counting sort: ``(ptr, order)`` with ``order[ptr[g]:ptr[g+1]]`` the positions of group ``g``.

    Stable (each group keeps the input order); ``order`` is int32, ``ptr`` int64.
    """
    ptr = np.zeros(n_groups + 1, dtype=np.int64)
    for r in range(len(rows)):
        ptr[rows[r] + 1] += 1
    for g in range(n_groups):
        ptr[g + 1] += ptr[g]
    next_slot = ptr[:-1].copy()
    order = np.empty(len(rows), dtype=np.int32)
    for r in range(len(rows)):
        g = rows[r]
        order[next_slot[g]] = r
        next_slot[g] += 1
    return ptr, order


@njit(cache=True)
def first_repeated_pair(
    user_ptr: np.ndarray, items: np.ndarray, input_rows: np.ndarray, n_items: int
) -> int:
    """The first input row whose (user, item) pair appeared on an earlier row, or -1.

    Walks each user's ratings remembering, per item, the last user that rated it:
    O(n_ratings) time and one int32 array of ``n_items``, no hashing of pairs.
    """
    last_user = np.full(n_items, -1, dtype=np.int32)
    first = -1
    for u in range(len(user_ptr) - 1):
        for r in range(user_ptr[u], user_ptr[u + 1]):
            i = items[r]
            if last_user[i] == u and (first == -1 or input_rows[r] < first):
                first = input_rows[r]
            last_user[i] = u
    return first


def index_ratings(
    user_rows: np.ndarray, item_rows: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int
) -> tuple[RatingsIndex, int]:
    """Group ratings given as (user row, item row, rating) arrays in input order.

    Returns the :class:`RatingsIndex` and the first input row that repeats an
    earlier (user, item) pair (-1 if none), for the caller's error message.
    """
    user_rows = np.asarray(user_rows, dtype=np.int32)
    user_ptr, order = group_by(user_rows, n_users)
    items = np.asarray(item_rows, dtype=np.int32)[order]
    ratings = np.asarray(ratings, dtype=np.float64)[order]
    repeated = first_repeated_pair(user_ptr, items, order, n_items)
    item_ptr, by_item = group_by(items, n_items)
    item_users = user_rows[order][by_item]
    return RatingsIndex(user_ptr, items, ratings, item_ptr, by_item, item_users), repeated
