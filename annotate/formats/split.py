"""The train/dev split of an export: seeded, deterministic, stratified over themes.

:func:`split_dev` picks the ``round(n * dev_split)`` inputs with the smallest seeded hash.
:func:`stratified_dev` does the same within each theme (examples grouped by their rarest
accepted theme), then makes sure every theme with two or more examples keeps a positive in
train (a theme whose positives all went to dev could never be learnt).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable

from murmurhash.mrmr import hash as _mmh3

from ..errors import Errors


def _key(seed: int, ih: int) -> tuple[int, int]:
    return int(_mmh3(f"{seed}:{ih}")), int(ih)


def split_dev(input_hashes: Iterable[int], dev_split: float, seed: int) -> set[int]:
    """A deterministic dev set: the ``round(n * dev_split)`` inputs with the smallest seeded hash.

    At least one example goes to dev and one to train when there are two or more.
    """
    if not 0.0 <= dev_split < 1.0:
        raise Errors.E407(dev_split=dev_split)
    hashes = input_hashes if hasattr(input_hashes, "__len__") else list(input_hashes)
    n = len(hashes)
    n_dev = round(n * dev_split)
    if dev_split > 0 and n >= 2:
        n_dev = min(max(n_dev, 1), n - 1)
    # the same as sorted(...)[:n_dev], holding only n_dev keys (not all n) at a time
    keyed = heapq.nsmallest(n_dev, (_key(seed, ih) for ih in hashes))
    return {ih for _, ih in keyed}


def stratified_dev(themes_of: dict[int, frozenset[str]], dev_split: float, seed: int) -> set[int]:
    """A dev set stratified over themes; ``themes_of``: input hash -> its accepted themes.

    Examples are grouped by their rarest theme (no theme: one group) and each group split as
    :func:`split_dev` splits; then for every theme with at least two examples and no positive
    left in train, its dev positive with the largest seeded hash moves to train.
    """
    if not 0.0 <= dev_split < 1.0:
        raise Errors.E407(dev_split=dev_split)
    if not any(themes_of.values()):
        return split_dev(list(themes_of), dev_split, seed)
    counts = Counter(t for ts in themes_of.values() for t in ts)
    groups: dict[str, list[int]] = {}
    for ih, ts in themes_of.items():
        rarest = min(ts, key=lambda t: (counts[t], t)) if ts else ""
        groups.setdefault(rarest, []).append(ih)
    dev: set[int] = set()
    for name in sorted(groups):
        members = groups[name]
        n_dev = round(len(members) * dev_split)
        keyed = heapq.nsmallest(n_dev, (_key(seed, ih) for ih in members))
        dev.update(ih for _, ih in keyed)
    if dev_split > 0 and len(themes_of) >= 2 and not dev:  # as split_dev: one dev example at least
        dev = split_dev(list(themes_of), dev_split, seed)
    for theme in sorted(counts, key=lambda t: (counts[t], t)):
        if counts[theme] < 2:
            continue
        positives = [ih for ih, ts in themes_of.items() if theme in ts]
        if all(ih in dev for ih in positives):
            dev.discard(max(positives, key=lambda ih: _key(seed, ih)))
    return dev
