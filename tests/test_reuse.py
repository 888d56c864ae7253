"""LastResult: a stage's last result comes back only for the very same objects and equal values."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.reuse import LastResult, forget_all


def test_reused_only_for_the_same_objects_and_equal_values():
    last: LastResult[list] = LastResult()
    page, calls = np.zeros(4), []

    def make() -> list:
        calls.append(1)
        return [len(calls)]

    first = last.get((page,), (1.5, "a"), make)
    assert last.get((page,), (1.5, "a"), make) is first and len(calls) == 1
    assert last.get((page.copy(),), (1.5, "a"), make) is not first  # equal content, another object
    assert last.get((page,), (1.5, "b"), make)[0] == 3
    assert last.get((page,), (1.5,), make)[0] == 4  # fewer values
    assert last.get((page, page), (1.5,), make)[0] == 5  # more objects


def test_a_failing_stage_leaves_nothing_to_reuse():
    last: LastResult[str] = LastResult()
    page = object()
    assert last.get((page,), (), lambda: "old") == "old"

    def fail() -> str:
        raise RuntimeError("bad page")

    with pytest.raises(RuntimeError):
        last.get((page,), (1,), fail)
    assert last.get((page,), (), lambda: "new") == "new"


def test_forget_all_drops_every_last_result():
    a: LastResult[str] = LastResult()
    b: LastResult[str] = LastResult()
    a.get((), (1,), lambda: "a")
    b.get((), (2,), lambda: "b")
    forget_all()
    assert a.get((), (1,), lambda: "a again") == "a again" and b.get((), (2,), lambda: "b again") == "b again"
