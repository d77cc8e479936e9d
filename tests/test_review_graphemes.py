"""Issue #12: a grapheme cluster (joined emoji, flag, skin tone, keycap, accent) is one unit on the review screen.

spaCy cuts ``👩‍👩‍👧`` into five tokens and ``🇫🇷`` into two; the cursor, widen/shrink, a drag and a new span move
over whole clusters, the drawn segments never split one (so the terminal and the layout agree on the row's
width), and a stored span whose edge falls inside a cluster is kept as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from rich.cells import cell_len
from textual import events

from annotate.graphemes import cluster_tokens, is_boundary
from annotate.review.app import ReviewApp
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.review.taskstate import TaskState
from annotate.review.widgets import DocView
from annotate.store import Store
from reliability.helpers import make_task

NLP = spacy.blank("fr")
LABELS = ReviewLabels.load()
FAMILY, FLAG_FR, FLAG_DE, THUMB = "👩\u200d👩\u200d👧", "🇫🇷", "🇩🇪", "👍🏽"
TEXT = f"Le groupe Airbus {FAMILY} gagne {FLAG_FR}{FLAG_DE} et {THUMB} ici."
ORG_KEY = next(e.key for e in LABELS.entities if e.name == "ORG")


@pytest.mark.parametrize(("text", "cuts"), [
    (FAMILY, []),
    (FLAG_FR + FLAG_DE, [2]),  # two flags: the break is between the pairs, not inside one
    ("\U0001F1EB" + FLAG_FR, [2]),  # three indicators pair up from the start of their run (UAX #29): the third is alone
    (THUMB + "!", [2]),
    ("1\ufe0f\u20e3a", [3]),  # keycap
    ("cafe\u0301s", [1, 2, 3, 5]),  # combining accent
    ("ab", [1]),
], ids=["zwj-family", "two-flags", "odd-indicator", "skin-tone", "keycap", "accent", "ascii"])
def test_is_boundary_inside_and_between_clusters(text: str, cuts: list[int]):
    assert [k for k in range(1, len(text)) if is_boundary(text, k)] == cuts


def test_cluster_tokens_merges_the_pieces_of_a_cluster_and_keeps_plain_tokens_as_they_are():
    raw = make_task(NLP, TEXT, [])["tokens"]
    assert FAMILY not in [t["text"] for t in raw]  # spaCy cuts it: the case this is about
    units = cluster_tokens(TEXT, raw)
    assert [t["text"] for t in units] == ["Le", "groupe", "Airbus", FAMILY, "gagne", FLAG_FR, FLAG_DE, "et", THUMB, "ici", "."]
    assert all(TEXT[t["start"]:t["end"]] == t["text"] for t in units)
    plain = make_task(NLP, "Airbus gagne.", [])["tokens"]
    assert cluster_tokens("Airbus gagne.", plain) is plain


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "g.db") as s:
        s.add_tasks("eco", [make_task(NLP, TEXT, [("Airbus", "ORG")])])
        yield s


def make_app(store: Store) -> ReviewApp:
    return ReviewApp(ReviewSession(store, "eco", "bea", LABELS))


def stored_spans(store: Store) -> list[dict]:
    (d,) = list(store.iter_decisions("eco"))
    return d["spans"], d["tokens"]


def assert_token_indices_fit(spans: list[dict], tokens: list[dict]) -> None:
    """Stored token indices are those of the task's own tokens (spaCy's), not of the screen's units."""
    for s in spans:
        assert tokens[s["token_start"]]["start"] == s["start"] and tokens[s["token_end"]]["end"] == s["end"], s


async def test_review_cursor_steps_over_a_joined_emoji_in_one_move_and_labelling_it_stores_the_whole_cluster(store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        st = app.session.state
        await pilot.press("n", "right")
        assert st.tokens[st.cursor]["text"] == FAMILY
        await pilot.press("right", "right")
        assert st.tokens[st.cursor]["text"] == FLAG_FR
        await pilot.press("right")
        assert st.tokens[st.cursor]["text"] == FLAG_DE
        await pilot.press("left", "left", "left", ORG_KEY)  # back on the family: a one-unit span
        assert FAMILY in [s["text"] for s in st.spans]
        await pilot.press("a")
    spans, tokens = stored_spans(store)
    assert sorted(s["text"] for s in spans) == sorted(["Airbus", FAMILY])
    assert_token_indices_fit(spans, tokens)


async def test_review_widen_and_shrink_move_by_whole_clusters(store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        st = app.session.state
        await pilot.press("right_square_bracket")
        assert st.span["text"] == f"Airbus {FAMILY}"
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert st.span["text"] == f"Airbus {FAMILY} gagne {FLAG_FR}"
        await pilot.press("right_curly_bracket")
        assert st.span["text"] == f"Airbus {FAMILY} gagne"
        await pilot.press("right_square_bracket", "a")
    spans, tokens = stored_spans(store)
    assert [s["text"] for s in spans] == [f"Airbus {FAMILY} gagne {FLAG_FR}"]
    assert_token_indices_fit(spans, tokens)


def _split_clusters(strip) -> bool:
    """Whether the drawn segments cut a cluster: their widths summed differ from the width of their joined text."""
    texts = [seg.text for seg in strip]
    return sum(cell_len(t) for t in texts) != cell_len("".join(texts))


async def test_review_drawn_rows_never_split_a_cluster_so_the_row_keeps_its_width(store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        doc = app.query_one(DocView)
        st = app.session.state
        for keys in (("n", "right"), ("right", "right"), ("right",), ("right", "right")):  # cursor on each cluster
            await pilot.press(*keys)
            assert st.tokens[st.cursor]["text"] in (FAMILY, FLAG_FR, FLAG_DE, THUMB)
            strips = [doc.render_line(y) for y in range(doc.size.height)]
            assert not any(_split_clusters(s) for s in strips), st.tokens[st.cursor]["text"]


def _cell(st, char: int) -> tuple[int, int]:
    """The widget offset of character ``char`` of the one-line text (after the border, and Airbus's tag)."""
    col = cell_len(st.text[:char])
    if char >= st.text.index("Airbus") + len("Airbus"):
        col += len("ORG") + 1  # the tag drawn after the span
    return (col + 2, 1)


async def test_review_drag_from_inside_one_cluster_to_inside_another_marks_whole_clusters(store):
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        st = app.session.state
        a = _cell(st, TEXT.index(FAMILY) + 2)  # inside the family
        b = _cell(st, TEXT.index(FLAG_FR) + 1)  # on the second indicator of the French flag
        await pilot.mouse_down(DocView, offset=a)
        await pilot.hover(DocView, offset=b)
        await pilot.mouse_up(DocView, offset=b)
        await pilot._post_mouse_events([events.Click], DocView, offset=b, button=1)
        assert st.selection is not None
        ts, te = st.selection
        assert st.text[st.tokens[ts]["start"]:st.tokens[te]["end"]] == f"{FAMILY} gagne {FLAG_FR}"


def test_a_stored_span_with_an_edge_inside_a_cluster_is_kept_as_stored():
    task = make_task(NLP, TEXT, [("👩", "ORG")])  # an imported fragment: the first woman of the family
    (frag,) = task["spans"]
    st = TaskState(task, LABELS)
    assert st.tokens[st.spans[0]["token_start"]]["text"] == FAMILY  # on screen it sits on the family's unit
    out = st.to_task()["spans"]
    assert [(s["start"], s["end"], s["text"], s["token_start"], s["token_end"]) for s in out] == [
        (frag["start"], frag["end"], frag["text"], frag["token_start"], frag["token_end"])
    ]


def test_a_word_longer_than_the_line_is_cut_between_clusters():
    from annotate.review.layout import wrap_paragraph

    text = "x" * 9 + FAMILY * 4  # the cut at 10 cells would fall inside the first family
    lines = wrap_paragraph(text, [(0, len(text), -1, False)], {}, 10)
    cuts = [line[0][0] for line in lines[1:]]
    assert cuts and all(is_boundary(text, k) for k in cuts)
    assert "".join(text[a:b] for line in lines for a, b, _o, _t in line) == text

