"""Best-fit-decreasing bin packing of documents into fixed-length sequences.

Documents are placed longest first into the open sequence with the least room that still fits them; a
max-segment-tree over "room left" finds that sequence in O(log seq_len) (the same idea as TRL's BFD packer).
Whole documents only: callers split or drop documents longer than the capacity first.
"""

from __future__ import annotations

import numpy as np


class _RoomTree:
    """Leaves 0..capacity; leaf r holds r while some open bin has exactly r tokens of room, else 0."""

    def __init__(self, capacity: int):
        self.size = 1
        while self.size < capacity + 1:
            self.size *= 2
        self.tree = [0] * (2 * self.size)
        self.count = [0] * (capacity + 1)

    def _set(self, room: int, value: int) -> None:
        i = room + self.size
        self.tree[i] = value
        i //= 2
        while i:
            left, right = self.tree[2 * i], self.tree[2 * i + 1]
            self.tree[i] = max(right, left)
            i //= 2

    def add(self, room: int) -> None:
        self.count[room] += 1
        if self.count[room] == 1:
            self._set(room, room)

    def remove(self, room: int) -> None:
        self.count[room] -= 1
        if self.count[room] == 0:
            self._set(room, 0)

    def smallest_at_least(self, need: int) -> int | None:
        """Smallest room ≥ need that some open bin has (None if none)."""
        if self.tree[1] < need:
            return None
        i = 1
        while i < self.size:
            i = 2 * i if self.tree[2 * i] >= need else 2 * i + 1
        return i - self.size


def best_fit_decreasing(lengths: np.ndarray | list[int], capacity: int) -> tuple[np.ndarray, int]:
    """Bin index for every document (input order) and the number of bins. Every length must be ≤ capacity."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size and (lengths.max() > capacity or lengths.min() <= 0):
        raise ValueError(f"document lengths must be in 1..{capacity}; got {lengths.min()}..{lengths.max()}")
    order = np.argsort(-lengths, kind="stable")
    tree = _RoomTree(capacity)
    bins_with_room: dict[int, list[int]] = {}  # room → open bin ids with that room (stack)
    assign = np.empty(lengths.size, dtype=np.int64)
    n_bins = 0
    for i in order.tolist():
        n = int(lengths[i])
        room = tree.smallest_at_least(n)
        if room is None:
            b, room = n_bins, capacity
            n_bins += 1
        else:
            b = bins_with_room[room].pop()
            tree.remove(room)
        assign[i] = b
        left = room - n
        if left > 0:
            bins_with_room.setdefault(left, []).append(b)
            tree.add(left)
    return assign, n_bins
