"""The pure parts of a replay: which generation comes next, the one alias swap, whether reading is done."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.common.elastic import generation_of


def next_generation(indices: Iterable[str], prefix: str, current: int) -> int:
    """One above every generation that exists (a failed replay's indices are never mixed into a new one)."""
    existing = [g for g in (generation_of(index, prefix) for index in indices) if g is not None]
    return max([current, *existing]) + 1


def swap_actions(alias: str, aliased: Iterable[str], new_indices: Iterable[str]) -> list[dict[str, Any]]:
    """One atomic ``_aliases`` call: the alias leaves every index it is on and lands on the new generation's."""
    new = sorted(set(new_indices))
    removed = [{"remove": {"index": index, "alias": alias}} for index in sorted(set(aliased) - set(new))]
    return removed + [{"add": {"index": index, "alias": alias}} for index in new]


def caught_up(positions: Mapping[Any, int], ends: Mapping[Any, int]) -> bool:
    """True when every partition was read up to its recorded end offset."""
    return all(positions.get(tp, 0) >= end for tp, end in ends.items())
