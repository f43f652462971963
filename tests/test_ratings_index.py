"""Tests of nmf_teach._ratings_index: CSR grouping, repeated pairs, compiled = plain Python."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nmf_teach._ratings_index import first_repeated_pair, group_by, index_ratings


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


def test_index_groups_by_user_in_input_order_and_by_item():
    users = np.array([2, 0, 2, 1, 0])
    items = np.array([1, 1, 0, 2, 0])
    ratings = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    index, repeated = index_ratings(users, items, ratings, 3, 3)
    assert repeated == -1
    np.testing.assert_array_equal(index.user_ptr, [0, 2, 3, 5])
    np.testing.assert_array_equal(index.items, [1, 0, 2, 1, 0])  # user 0, user 1, user 2
    np.testing.assert_array_equal(index.ratings, [4.0, 1.0, 2.0, 5.0, 3.0])
    np.testing.assert_array_equal(index.item_ptr, [0, 2, 4, 5])
    for i in range(3):
        for j in range(index.item_ptr[i], index.item_ptr[i + 1]):
            r = index.by_item[j]
            assert index.items[r] == i
            assert (
                index.user_ptr[index.item_users[j]] <= r < index.user_ptr[index.item_users[j] + 1]
            )
    np.testing.assert_array_equal(index.user_counts, [2, 1, 2])
    np.testing.assert_array_equal(index.item_counts, [2, 2, 1])
    for name in ("items", "by_item", "item_users"):
        assert getattr(index, name).dtype == np.int32, name


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
