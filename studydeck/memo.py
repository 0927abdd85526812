"""Results kept for the next build in the same process: one owner for every memo.

A build from the command line ends with its process; watch mode builds after every save, in
one process, and most of what it computes did not change (the fonts, the entries that were
not edited, their typeset HTML, their cards). Every such memo is made here and follows one rule:
it holds at most `size` results and drops the least recently used one when full. clear()
empties them all; sizes() says what each holds (tests, and a look at a long watch session).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

_ALL: dict[str, Any] = {}  # name -> a Memo or an lru_cache'd function


def memo(size: int) -> Callable:
    """A function's results by its (hashable) arguments."""

    def wrap(fn: Callable) -> Callable:
        kept = functools.lru_cache(maxsize=size)(fn)
        _ALL[f"{fn.__module__}.{fn.__qualname__}"] = kept
        return kept

    return wrap


class Memo:
    """Results by a key the caller computes (when the arguments are not the key: a file's bytes
    by its path and stat, an entry's check by its text's digest)."""

    def __init__(self, name: str, size: int):
        self.size, self._kept = size, OrderedDict()
        _ALL[name] = self

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        value = make()
        self._kept[key] = value
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return value

    def peek(self, key: Hashable) -> Any:
        """The kept result, or None (counts as a use)."""
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        return None

    def put(self, key: Hashable, value: Any) -> None:
        self.get(key, lambda: value)

    def cache_clear(self) -> None:
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)


def clear() -> None:
    for kept in _ALL.values():
        kept.cache_clear()


def sizes() -> dict[str, int]:
    return {name: (len(k) if isinstance(k, Memo) else k.cache_info().currsize) for name, k in _ALL.items()}
