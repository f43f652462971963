"""Tests of nmf_teach._ratings_index: CSR grouping, repeated pairs, compiled = plain Python."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nmf_teach._ratings_index import N_CHUNKS, first_repeated_pair, group_by, index_ratings


def plain(kernel):
    """The kernel's uncompiled Python function (itself when NUMBA_DISABLE_JIT=1)."""
    return getattr(kernel, "py_func", kernel)


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(st.integers(0, 6), min_size=0, max_size=40))
def test_group_by_is_a_stable_counting_sort(rows):
    rows = np.array(rows, dtype=np.int32)
    for kernel in (group_by, plain(group_by)):
        ptr, order = kernel(rows, 7)
        assert ptr.dtype == np.int64 and order.dtype == np.int32
        np.testing.assert_array_equal(
            ptr, np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=7))])
        )
        np.testing.assert_array_equal(order, np.argsort(rows, kind="stable"))


def test_index_groups_by_user_in_input_order():
    users = np.array([2, 0, 2, 1, 0])
    items = np.array([1, 1, 0, 2, 0])
    ratings = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    index, repeated = index_ratings(users, items, ratings, 3, 3)
    assert repeated == -1
    np.testing.assert_array_equal(index.user_ptr, [0, 2, 3, 5])
    np.testing.assert_array_equal(index.items, [1, 0, 2, 1, 0])  # user 0, user 1, user 2
    np.testing.assert_array_equal(index.ratings, [4.0, 1.0, 2.0, 5.0, 3.0])
    np.testing.assert_array_equal(index.user_counts, [2, 1, 2])
    np.testing.assert_array_equal(index.item_counts, [2, 2, 1])
    assert index.items.dtype == np.int32


@pytest.mark.parametrize("n_users", [1, 3, 50])
def test_chunks_cover_every_user_once_with_similar_numbers_of_ratings(n_users):
    rng = np.random.default_rng(n_users)
    users = rng.integers(0, n_users, 2000)
    users[:n_users] = np.arange(n_users)  # every user rates something
    index, _ = index_ratings(users, np.arange(2000), np.ones(2000), n_users, 2000)
    chunk_ptr = index.chunk_ptr
    assert len(chunk_ptr) == N_CHUNKS + 1
    assert chunk_ptr[0] == 0 and chunk_ptr[-1] == n_users
    assert (np.diff(chunk_ptr) >= 0).all()
    ratings_per_chunk = np.diff(index.user_ptr[chunk_ptr])
    assert ratings_per_chunk.sum() == 2000
    if n_users >= 50:  # enough users to balance: no chunk holds much more than its share
        assert ratings_per_chunk.max() < 2000 / N_CHUNKS * 1.3


@pytest.mark.parametrize("kernel", [first_repeated_pair, plain(first_repeated_pair)])
def test_first_repeated_pair_reports_the_earliest_repeat(kernel):
    users = np.array([0, 1, 1, 0, 1, 0])
    items = np.array([3, 2, 2, 3, 0, 1])  # rows 2 (1, 2) and 3 (0, 3) repeat
    index, repeated = index_ratings(users, items, np.ones(6), 2, 4)
    assert repeated == 2
    order = np.argsort(users, kind="stable").astype(np.int32)
    assert kernel(index.user_ptr, index.items, order, 4) == 2
    clean, none = index_ratings(users[:2], items[:2], np.ones(2), 2, 4)
    assert none == -1
