"""The ratings grouped by user: the index arrays every fitting loop walks.

A factor model's epoch is a few sums "over the ratings of user ``u``" and "over
the ratings of item ``i``". :func:`index_ratings` sorts the ratings once per
fit into **user order** (users by row number, each user's ratings in input
order, which is the order of ``surprise.Trainset.all_ratings()``):
``items[r]`` and ``ratings[r]`` for ``r = 0 .. n_ratings-1``, and the ratings
of user ``u`` are ``r in range(user_ptr[u], user_ptr[u + 1])`` (the
compressed-sparse-row, CSR, layout).

The sums over an item's ratings are made in user order too, by adding each
rating's share into a row per item, so every loop reads the ratings front to
back, which matters once they no longer fit in the processor's cache.
:class:`nmf_teach.NMF` runs its user side and its item side as jobs side by
side (``nmf._epoch``). :class:`nmf_teach.biased_nmf.BiasedNMF` cuts the users into
``N_CHUNKS`` chunks with about the same number of ratings (``chunk_ptr``); the
chunks run in parallel, each adds its share of every item's sums into a row of
its own (``item_sums[chunk, i]``), and the rows are added up afterwards. The
results do not depend on the number of cores (the chunks are the same on any
machine).

Indices are int32 (int64 for the pointers): 20 million ratings take
20M x (4 + 8) bytes = 240 MB here, and nothing of shape ``(n_ratings, k)`` is built.

Used by :class:`nmf_teach.NMF` and :class:`nmf_teach.biased_nmf.BiasedNMF`;
notebook 14 explains what a compiled loop is.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

#: The users are cut into this many chunks, each one task for a core.
N_CHUNKS = 4


class RatingsIndex(NamedTuple):
    """The ratings in user order (see the module docstring)."""

    user_ptr: np.ndarray  # int64 (n_users + 1,): ratings of user u are user_ptr[u]:user_ptr[u+1]
    items: np.ndarray  # int32 (n_ratings,): item row of rating r
    ratings: np.ndarray  # float64 (n_ratings,)
    item_counts: np.ndarray  # int64 (n_items,): |U_i|, the number of ratings of each item
    chunk_ptr: np.ndarray  # int64 (N_CHUNKS + 1,): users chunk_ptr[c]:chunk_ptr[c+1] form chunk c

    @property
    def user_counts(self) -> np.ndarray:
        """``|I_u|``, the number of ratings of each user, shape ``(n_users,)``."""
        return np.diff(self.user_ptr)


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
    """Sort ratings given as (user row, item row, rating) arrays in input order into user order.

    Returns the :class:`RatingsIndex` and the first input row that repeats an
    earlier (user, item) pair (-1 if none), for the caller's error message.
    """
    user_ptr, order = group_by(np.asarray(user_rows, dtype=np.int32), n_users)
    items = np.asarray(item_rows, dtype=np.int32)[order]
    ratings = np.asarray(ratings, dtype=np.float64)[order]
    repeated = first_repeated_pair(user_ptr, items, order, n_items)
    del order
    item_counts = np.bincount(items, minlength=n_items).astype(np.int64)
    # Chunk c starts at the first user whose ratings begin at or after c/N of them.
    targets = np.arange(N_CHUNKS + 1) * (len(items) / N_CHUNKS)
    chunk_ptr = np.searchsorted(user_ptr, targets, side="left").astype(np.int64)
    chunk_ptr[0], chunk_ptr[-1] = 0, n_users
    return RatingsIndex(user_ptr, items, ratings, item_counts, chunk_ptr), repeated
