"""A stage's last result, reused while its inputs are unchanged.

Sweeps, the preview and render-only benchmarks show one page on one sheet under many cameras and lights; dataset
frames never repeat. Each stage that is costly and often repeated (the page, the deformed sheet, the sheet as drawn
for a camera, the crease-marked texture, the texture's upload) keeps its last result, one per process: reused when
the inputs that are objects are the very same objects and the inputs that are values compare equal. Results are
never modified after they are made, so a reused one is the bytes a fresh one would be.
"""

from __future__ import annotations

import weakref
from typing import Callable, Generic, TypeVar

T = TypeVar("T")
_ALL: weakref.WeakSet[LastResult] = weakref.WeakSet()


def forget_all() -> None:
    """Drop every stage's last result: a dataset frame never shares one with the next, and memory held across
    frames is memory the next frame must fault in afresh."""
    for last in list(_ALL):
        last.forget()


class LastResult(Generic[T]):
    """One stage's last result and the inputs it was made from (held, so their identities stay unique)."""

    def __init__(self) -> None:
        self._same: tuple[object, ...] | None = None
        self._equal: tuple[object, ...] = ()
        self._result: T | None = None
        _ALL.add(self)

    def forget(self) -> None:
        self._same, self._equal, self._result = None, (), None

    def get(self, same: tuple[object, ...], equal: tuple[object, ...], make: Callable[[], T]) -> T:
        """``make()``, or the last result when ``same`` are the objects (by identity) and ``equal`` the values (by
        ``==``) of the call that made it."""
        last = self._same
        if (last is None or len(last) != len(same) or any(a is not b for a, b in zip(last, same))
                or self._equal != equal):
            self.forget()  # a failing make() leaves nothing stale
            result = make()
            self._same, self._equal, self._result = same, equal, result
        return self._result  # type: ignore[return-value]
