"""Shared input validation: messages name the problem and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from mixedopt import ValidationError
from mixedopt.validation import (
    as_sequence_of_ints,
    check_array,
    check_positive,
    check_targets,
    check_time_limit,
    check_X_y,
    is_integral,
)


def test_check_array_accepts_lists_and_bools():
    assert check_array([[1, 2]]).shape == (1, 2)
    assert check_array(np.array([[True, False]])).dtype == np.int64


@pytest.mark.parametrize(
    "X, match",
    [
        ([1.0, 2.0], "reshape"),
        (np.zeros((0, 3)), "empty"),
        ([[np.nan, 1.0]], "NaN"),
        ([[np.inf, 1.0]], "NaN or infinite"),
        ([["a", "b"]], "encode categorical"),
        (np.zeros((2, 2, 2)), "2-D"),
    ],
)
def test_check_array_errors(X, match):
    with pytest.raises(ValidationError, match=match):
        check_array(X)


def test_check_X_y_errors():
    with pytest.raises(ValidationError, match="different lengths"):
        check_X_y(np.ones((3, 2)), [0, 1])
    with pytest.raises(ValidationError, match="1 distinct class"):
        check_X_y(np.ones((3, 2)), [1, 1, 1])
    with pytest.raises(ValidationError, match="empty"):
        check_X_y(np.ones((3, 2)), [])
    _, y = check_X_y(np.ones((2, 2)), np.array([["a"], ["b"]]))
    assert y.tolist() == ["a", "b"]


def test_targets():
    assert check_targets([0, 1]).tolist() == [-1, 1]
    assert check_targets([True, False]).tolist() == [1, -1]
    assert check_targets([-1, 1]).dtype == np.int8
    with pytest.raises(ValidationError, match="targets in"):
        check_targets([0, 2])
    with pytest.raises(ValidationError, match="one target per row"):
        check_targets([1, -1], n_samples=3)


def test_positive_and_time_limit():
    assert check_time_limit(None) is None
    assert check_time_limit(2) == 2.0
    for bad in (0, -1, float("nan"), float("inf"), "5", True):
        with pytest.raises(ValidationError):
            check_time_limit(bad)
    with pytest.raises(ValidationError, match="integer"):
        check_positive(2.5, name="k", integer=True)


def test_int_sequences():
    assert as_sequence_of_ints("64, 32", name="hidden") == [64, 32]
    assert as_sequence_of_ints(3, name="hidden") == [3]
    assert as_sequence_of_ints((2, 1), name="hidden") == [2, 1]
    with pytest.raises(ValidationError, match="comma-separated"):
        as_sequence_of_ints("a,b", name="hidden")
    with pytest.raises(ValidationError):
        as_sequence_of_ints([1.5], name="hidden")


def test_is_integral():
    assert is_integral(np.array([1.0, -2.0]))
    assert not is_integral(np.array([1.5]))
    assert is_integral(np.array([1, 2], dtype=np.int8))
