"""Issue #13 item 13: one long record costs what the same text costs as short records. The span
scans of the rule components went over every span for every span (quadratic in one record); they
are linear now. Timed as a ratio within one run (no absolute figure): one record of K sentences
against the same K sentences as K records, through the rule components on a blank tokenizer (the
model's own cost is linear and would only dilute the ratio)."""

from __future__ import annotations

import time

import pytest

from annotate.pipeline.quantities import QMatch, resolve_overlaps

SENT = "Le 3 janvier 2024, Acme a gagné 5 % à 12,5 millions d'euros, puis 7 % le 4 mars. "
K = 1000  # 81,000 characters, 5,000 quantities in one record


def _best(fn, repeat: int = 3) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


@pytest.fixture(scope="module")
def nlp():  # noqa: ANN201
    import spacy

    import annotate.pipeline.components  # noqa: F401 - registers the factories

    nlp = spacy.blank("fr")
    nlp.add_pipe("annotate_quantities")
    nlp.initialize()
    return nlp


def test_reliability_long_record_costs_what_short_records_cost(nlp):
    long_text = SENT * K
    doc = nlp(long_text)
    assert len(doc.ents) == 5 * K  # every quantity found in the long record too
    one = _best(lambda: nlp(long_text), repeat=2)
    many = _best(lambda: list(nlp.pipe([SENT] * K)), repeat=2)
    ratio = one / many
    print(f"1 record of {len(long_text)} chars: {one:.2f}s; {K} records: {many:.2f}s; ratio {ratio:.2f}")
    # quadratic, the ratio was 7 at this size (11 at 1,500 sentences); linear it is about 1
    assert ratio < 2.5, ratio


def test_reliability_long_record_overlaps_resolved_in_linear_time():
    def matches(n: int) -> list[QMatch]:
        # n disjoint matches plus one overlapping each (to be dropped)
        out = []
        for i in range(n):
            out.append(QMatch(start=10 * i, end=10 * i + 6, label="MONEY", kind="x", value=None))
            out.append(QMatch(start=10 * i + 3, end=10 * i + 8, label="DATE", kind="x", value=None))
        return out

    small, big = matches(6_000), matches(30_000)
    assert len(resolve_overlaps(big)) == 30_000
    t_small = _best(lambda: resolve_overlaps(small), repeat=5)
    t_big = _best(lambda: resolve_overlaps(big), repeat=5)
    # 5x the matches: linear about 5x (plus the sort's log); quadratic 25x
    assert t_big / t_small < 12, t_big / t_small
