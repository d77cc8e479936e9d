"""The adjudication screen: the review screen over an :class:`~..adjudication.AdjudicationSession`, with every
annotator's version side by side under the text (:class:`~..widgets.versions.VersionsPanel`).

The task on screen starts as the majority version (majority spans kept, the other spans seen rejected, the
majority themes on); every review key edits it (accept / reject / relabel / resize / add spans, toggle themes)
and the answer keys store it as the final version into the gold dataset.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from ..adjudication import AdjudicationSession
from ..app import ReviewApp
from ..widgets import DocView, KeyLine, Panel, ThemePanel
from ..widgets.versions import AdjudicationStatus, VersionsPanel

_REVIEW = Path(__file__).resolve().parent.parent


class AdjudicationApp(ReviewApp):
    """Adjudicate the cases of a dataset one by one; every final version is stored before the next case shows."""

    TITLE = "annotate review --adjudicate"
    CSS_PATH = [_REVIEW / "review.tcss", _REVIEW / "adjudicate.tcss"]
    session: AdjudicationSession

    def compose(self) -> ComposeResult:
        yield AdjudicationStatus(id="status")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield DocView(self.session.labels, id="doc")
                yield VersionsPanel(id="versions")
            yield ThemePanel(id="side")
        yield Panel(id="message")
        yield KeyLine(id="keys")

    def _redraw_panels(self) -> None:
        super()._redraw_panels()
        self.query_one(VersionsPanel).show(self.session.state, self.session.labels)

    def visible_text(self) -> str:
        versions = self.query_one(VersionsPanel).text_for(self.session.state, self.session.labels).plain
        return super().visible_text() + "\n" + versions
