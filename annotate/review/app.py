"""The review screen: a keyboard-first Textual app over a :class:`ReviewSession`.

Widgets never touch files or the database: the app holds a session (the
controller) and asks it to change state; it redraws from the session's state.
Every action is a :class:`~textual.binding.Binding` with an ``id`` (the table in
:mod:`.keymap`) so keys can be remapped (``ReviewApp(keymap={"next_span": "j"})``,
or ``--keymap`` on the command line). Relabel keys and theme keys come from
``labels/``. The look is ``review.tcss``.
"""

from __future__ import annotations

import bisect
import gc
import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal

from ..errors import AnnotateError
from ..store.browse import TaskBrowser
from . import history
from .keymap import ACTION_IDS, ACTIONS, apply_label_keys, key_display, keys_of
from .screens import BrowserScreen, ConfirmQuit, HelpScreen
from .session import ReviewSession, TaskState
from .widgets import DocView, KeyLine, Panel, StatusBar, ThemePanel
from .widgets.cues import cue_ranges
from .widgets.themes import side_width

# action id -> the TaskState method it applies to the task on screen (then the changed rows are redrawn);
# relabel and toggle_theme take the label or theme name their key binding passes
TASK_EDITS: dict[str, Callable[..., bool]] = {
    "next_span": TaskState.next_span,
    "prev_span": TaskState.prev_span,
    "first_span": TaskState.first_span,
    "last_span": TaskState.last_span,
    "next_same_label": TaskState.next_same_label,
    "accept_span": TaskState.accept_span,
    "reject_span": TaskState.reject_span,
    "relabel": TaskState.relabel,
    "widen_start": TaskState.widen_start,
    "widen_end": TaskState.widen_end,
    "shrink_start": TaskState.shrink_start,
    "shrink_end": TaskState.shrink_end,
    "delete_span": TaskState.delete_span,
    "add_span": TaskState.start_add,
    "mark": TaskState.mark,
    "cancel": TaskState.cancel_add,
    "toggle_theme": TaskState.toggle_theme,
}
# action id -> the answer it stores for the task on screen (then the next task is shown)
DECISIONS: dict[str, str] = {"accept": "accept", "reject": "reject", "ignore": "ignore"}

# the collector's generation-2 threshold while the screen runs: full collections only come from _settle_heap
_NO_AUTOMATIC_FULL_COLLECTION = 1_000_000

Loader = Callable[[Callable[[int, int], None], Callable[[AnnotateError], None], Callable[[], bool]], None]


class ReviewApp(App[int]):
    """Review tasks one by one; every decision is stored before the next task shows."""

    TITLE = "annotate review"
    CSS_PATH = "review.tcss"
    BINDINGS = [Binding(a.keys, a.id, a.description, id=a.id, show=False) for a in ACTIONS]

    def __init__(self, session: ReviewSession, *, loader: Loader | None = None, keymap: dict[str, str] | None = None) -> None:
        """``loader(progress, bad_line, should_stop)`` stores the input in a worker thread while the screen runs;
        ``keymap``: action id -> keys, replacing the defaults of those actions."""
        super().__init__()
        self.session = session
        self.loader = loader
        overrides = dict(keymap or {})
        # relabel and theme keys are remapped in the label set: the panel, the key line and the help show them
        session.labels = apply_label_keys(session.labels, overrides)
        self.keymap_overrides = {k: v for k, v in overrides.items() if k in ACTION_IDS}
        self.keys_of = keys_of(self.keymap_overrides)
        self.bad_lines: list[AnnotateError] = []
        self.loaded = (0, 0)
        self.loader_error: AnnotateError | None = None
        self.fatal_error: AnnotateError | None = None  # an error that closed the screen (raised by run_review)
        self._stopping = False
        self.heap_settled: dict[str, int] = {}  # stage -> calls of _settle_heap
        self._settled_task: TaskState | None = None  # the task on screen at the last _settle_heap
        self._gc_threshold: tuple[int, int, int] | None = None  # the collector's thresholds before the screen
        self.mouse_released = False  # release_mouse: the terminal has the mouse (its own text selection)
        for e in session.labels.entities:
            self.bind(e.key, f"relabel('{e.name}')", description=f"label {e.name}", show=False)
        for th in session.labels.themes:
            self.bind(th.key, f"toggle_theme('{th.name}')", description=f"theme {th.name}", show=False)

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="main"):
            yield DocView(self.session.labels, id="doc")
            yield ThemePanel(id="side")
        yield Panel(id="message")
        yield KeyLine(id="keys")

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(ThemePanel).styles.width = side_width(event.size.width)

    def on_mount(self) -> None:
        self.query_one(ThemePanel).styles.width = side_width(self.size.width)
        if self.keymap_overrides:
            self.set_keymap(self.keymap_overrides)
        self.query_one(KeyLine).show(self.keys_of, self.session.labels)
        self.redraw()
        if self.loader is not None:
            self.session.loading = True
            self.run_worker(self._load, thread=True, exclusive=True, name="loader")
        self.call_after_refresh(self._settle_heap, "first screen")
        # the task's timer: one status line a second, only while no key is pressed (every key redraws the status,
        # so a tick right after a key would only draw a second frame for the same press; see _tick_status)
        self.task_timer = self.set_interval(1.0, self._tick_status)

    def _settle_heap(self, stage: str) -> None:
        """Keep the garbage collector off a key's way to the screen (called once the frame is out).

        A full collection, triggered by the allocations of ordinary key presses, rescans every long-lived
        object (Textual, spaCy, the store, the label set) and stalls a key for ~80 ms. So:

        * ``first screen`` (and ``first task`` when the background loader brings it later, with the pipeline
          that annotates raw input): what is alive is frozen (``gc.freeze``: out of the collector's reach;
          objects are still freed by reference counting), once;
        * then automatic full collections are turned off (young generations are still collected as usual):
          at once, or when the background loader is done (while it runs, the collector keeps its own pace
          over what is not frozen);
        * ``task`` (another task is on screen) and ``loader done``: one full collection of what is not frozen
          (about a task's worth of objects, a few ms), after the frame.

        Before, ``gc.freeze`` ran on every redraw: no full collection ever came, but every reference cycle alive
        at a redraw and dead later (about 1,400 objects a task) was kept for good. The collector's thresholds
        are put back when the app ends (:meth:`on_unmount`).
        """
        self.heap_settled[stage] = self.heap_settled.get(stage, 0) + 1
        if stage in ("first screen", "first task"):
            gc.freeze()
        else:
            gc.collect()
        if self._gc_threshold is None and not self.session.loading:
            self._gc_threshold = gc.get_threshold()
            gc.set_threshold(self._gc_threshold[0], self._gc_threshold[1], _NO_AUTOMATIC_FULL_COLLECTION)

    def on_unmount(self) -> None:
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)
            self._gc_threshold = None

    def _load(self) -> None:
        assert self.loader is not None

        def progress(added: int, dups: int) -> None:
            self.call_from_thread(self._on_loaded, added, dups)

        def bad(err: AnnotateError) -> None:
            self.call_from_thread(self._on_bad_line, err)

        try:
            self.loader(progress, bad, lambda: self._stopping)
        except AnnotateError as e:
            self.call_from_thread(self._on_loader_failed, e)
        finally:
            if not self._stopping:
                self.call_from_thread(self._on_loader_done)

    def _on_loaded(self, added: int, dups: int) -> None:
        self.loaded = (added, dups)
        self.session.tasks_added()
        self.redraw()

    def _on_bad_line(self, err: AnnotateError) -> None:
        self.bad_lines.append(err)
        self.session.rejected_lines = len(self.bad_lines)
        if len(self.bad_lines) <= 3:
            self.notify(str(err), title="line not loaded", severity="warning", timeout=8)
        self.redraw_status()

    def _on_loader_failed(self, err: AnnotateError) -> None:
        self.loader_error = err
        self.notify(str(err), title="loading stopped", severity="error", timeout=15)

    def _on_loader_done(self) -> None:
        self.session.loading = False
        self.session.tasks_added()
        self.redraw()
        self.call_after_refresh(self._settle_heap, "loader done")

    def key_line(self) -> Text:
        return self.query_one(KeyLine).text_for(self.keys_of, self.session.labels)

    # ------------------------------------------------------------ drawing

    def visible_text(self) -> str:
        """What the screen shows, as plain text (status, visible text lines, themes, message, keys)."""
        doc = self.query_one(DocView)
        top = doc.scroll_offset.y
        height = doc.scrollable_content_region.height or 20
        s = self.session
        parts = [self.query_one(StatusBar).text_for(s, self.loaded[0], len(self.bad_lines), self._released_note()).plain]
        parts += ["".join(seg.text for seg in line) for line in doc._lines[top:top + height]]
        parts += [self.query_one(ThemePanel).text_for(s.state, s.labels).plain, s.state.message if s.state else "",
                  self.key_line().plain]
        return "\n".join(parts)

    def redraw(self) -> None:
        s = self.session
        doc = self.query_one(DocView)
        if s.state is None:
            if s.loading:
                placeholder = f"Loading tasks… ({self.loaded[0]:,} stored so far)"
            elif s.done:
                placeholder = "All tasks of this dataset are reviewed. u brings back the last one, q quits."
            else:
                placeholder = "No task to review. q quits."
            doc.show(None, placeholder)
        else:
            doc.show(s.state)
        self._redraw_panels()
        if s.state is not None and s.state is not self._settled_task:
            first, self._settled_task = self._settled_task is None, s.state
            if not first:
                self.call_after_refresh(self._settle_heap, "task")
            elif self.heap_settled:  # the first task came from the background loader, after the first screen
                self.call_after_refresh(self._settle_heap, "first task")

    def redraw_status(self) -> None:
        self._status_at = time.monotonic()
        self.query_one(StatusBar).show(self.session, self.loaded[0], len(self.bad_lines), self._released_note())

    def _released_note(self) -> str:
        """The key that takes the mouse back while the terminal has it, else ""."""
        return key_display(self.keys_of["release_mouse"]).split("/")[0] if self.mouse_released else ""

    _status_at = 0.0  # when the status bar was last drawn (monotonic)

    def _tick_status(self) -> None:
        """The 1 Hz timer: redraw the status (the task's clock) unless a key drew it less than a second ago.

        A tick during typing drew a second frame after a key's own (the pty benchmark counted it in the
        key's latency: 3 % of the presses, ~100 ms each); now a tick only draws when the screen is idle."""
        if time.monotonic() - self._status_at >= 0.9:
            self.redraw_status()

    def _redraw_panels(self) -> None:
        s = self.session
        self.query_one(ThemePanel).show(s.state, s.labels)
        self.query_one("#message", Panel).set(s.state.message if s.state else "")
        self.redraw_status()

    def _after(self) -> None:
        """After an edit of the task on screen: its layout (only what changed) and the panels."""
        if self.session.state is None:
            return
        self.query_one(DocView).relayout()
        self._redraw_panels()

    # ------------------------------------------------------------ actions
    # The edits of the task on screen and the decisions are made from TASK_EDITS and DECISIONS below the
    # class (action_next_span, ..., action_accept, ...); the other actions are here.

    def _edit(self, edit: Callable[..., bool], *args: Any) -> None:
        if (st := self.session.state) is not None:
            if edit.__name__ in history.CONTENT_EDITS:
                history.apply_edit(st, edit, *args)  # undoable with undo_edit
            else:
                edit(st, *args)
            if edit is TaskState.toggle_theme and args:
                self._show_cues(st, [args[0]], toggled=True)
            self._after()

    def _decide(self, answer: str) -> None:
        if self.session.state is None:
            return
        answered = self.session.state
        try:
            self.session.answer(answer)
            history.mark_saved(answered)
        except AnnotateError as e:
            if e.code == "E902":
                # the dataset was dropped by another command: stop (the error is printed once the screen is
                # closed) rather than store decisions into a dataset that no longer exists
                self.fatal_error = e
                self.exit()
                return
            # nothing is lost: the task stays on screen, answer again when the database is free
            self.notify(str(e), title="not saved", severity="error", timeout=10)
            return
        self.redraw()

    def action_undo(self) -> None:
        if self.session.undo():
            self.redraw()
        elif self.session.state is not None:
            self._after()

    def action_scroll_down(self) -> None:
        self.query_one(DocView).scroll_relative(y=3, animate=False)

    def action_scroll_up(self) -> None:
        self.query_one(DocView).scroll_relative(y=-3, animate=False)

    def action_page_down(self) -> None:
        doc = self.query_one(DocView)
        doc.scroll_relative(y=max(doc.scrollable_content_region.height - 1, 1), animate=False)

    def action_page_up(self) -> None:
        doc = self.query_one(DocView)
        doc.scroll_relative(y=-max(doc.scrollable_content_region.height - 1, 1), animate=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.keys_of, self.session.labels))

    def action_help_quit(self) -> None:
        """Ctrl-C (Textual's system binding) quits like q: every decision is already saved."""
        self.action_quit()

    def action_quit(self) -> None:  # type: ignore[override]
        """Quit; with unsaved edits on the task on screen, ask first (:class:`~.screens.ConfirmQuit`)."""
        st = self.session.state
        if history.has_unsaved_edits(st) and not isinstance(self.screen, ConfirmQuit):
            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._quit_now()

            self.push_screen(ConfirmQuit(history.unsaved_summary(st)), confirmed)  # type: ignore[arg-type]
            return
        self._quit_now()

    def _quit_now(self) -> None:
        self._stopping = True
        self.exit(self.session.saved)

    def _show_cues(self, st: TaskState, themes: list[str], *, toggled: bool = False) -> None:
        """Highlight the cue words of ``themes`` (what made them score) in the text; a message tells how many."""
        st.highlight = cue_ranges(st.original, themes)
        n = len(st.highlight)
        what = ", ".join(themes) if len(themes) <= 3 else f"{len(themes)} themes"
        if n:
            note = f"{n} cue word{'s' if n != 1 else ''} of {what} highlighted"
        elif not st.original.get("cues"):
            note = "no cue stored with this task (pre-annotate it again to get them)"
        else:
            note = f"no cue of {what} in this text"
        st.message = f"{st.message} · {note}" if toggled and st.message else note
        st.version += 1

    def action_cues(self) -> None:
        if (st := self.session.state) is None:
            return
        if st.highlight:
            st.highlight = ()
            st.message, st.version = "cues hidden", st.version + 1
        else:
            on = [t for t, v in st.themes.items() if v]
            self._show_cues(st, on or list(st.themes))
        self._after()

    # mouse: a click on a span selects it (in add mode: moves the token cursor), on a theme toggles it

    def action_release_mouse(self) -> None:
        """Give the mouse to the terminal (its own text selection, to copy a passage) or take it back.

        The driver stops (or starts again) asking the terminal for mouse events; while released, a mouse event
        that still comes (a terminal that ignores the request, the test pilot) changes nothing."""
        self.mouse_released = not self.mouse_released
        driver = self._driver
        toggle = getattr(driver, "_disable_mouse_support" if self.mouse_released else "_enable_mouse_support", None)
        if toggle is not None:
            toggle()
        if self.mouse_released:
            self.capture_mouse(None)
        note = (f"mouse released: select text with the terminal; press {self._released_note()} again"
                if self.mouse_released else "the screen has the mouse again")
        if (st := self.session.state) is not None:
            st.message, st.version = note, st.version + 1
            self._after()
        else:
            self.redraw_status()

    def on_doc_view_clicked(self, event: DocView.Clicked) -> None:
        st = self.session.state
        if st is None or self.mouse_released:
            return
        if st.adding:
            if event.offset is not None and st.tokens:
                i = bisect.bisect_right(st._starts, event.offset) - 1
                st.move_cursor(max(i, 0) - st.cursor)
        elif event.span >= 0:
            st.current = event.span
            st.message, st.version = "", st.version + 1
        self._after()

    def on_doc_view_dragged(self, event: DocView.Dragged) -> None:
        """A drag over the text marks those tokens as in add mode (start and end); a label key creates the span."""
        if (st := self.session.state) is None or self.mouse_released:
            return
        st.select_tokens(st.token_at(event.start), st.token_at(event.end))
        self._after()

    def on_theme_panel_clicked(self, event: ThemePanel.Clicked) -> None:
        if self.mouse_released:
            return
        self._edit(TaskState.toggle_theme, event.theme)

    def action_browse(self) -> None:
        """The task browser (:class:`~.screens.BrowserScreen`); the task picked there comes on screen."""
        s = self.session
        if isinstance(self.screen, BrowserScreen):
            return
        self.push_screen(BrowserScreen(s.store, s.dataset, s.annotator, tuple(s.labels.entity_names)), self._open_row)

    def _open_row(self, row: Any) -> None:
        if row is None:
            return
        s = self.session
        task, decision = TaskBrowser(s.store, s.dataset, s.annotator).open(row)
        self.session.open_task(task, decision)
        self.redraw()

    # in-task undo, redo, reset (annotate/review/history.py)

    def action_undo_edit(self) -> None:
        self._edit(history.undo_edit)

    def action_redo_edit(self) -> None:
        self._edit(history.redo_edit)

    def action_reset_task(self) -> None:
        if (st := self.session.state) is not None:
            history.reset_to(st, self.session.pre_annotated())
            self._after()


def _edit_action(action: str, edit: Callable[..., bool]) -> Callable[..., None]:
    def run(self: ReviewApp, *args: Any) -> None:
        self._edit(edit, *args)

    run.__name__ = run.__qualname__ = f"action_{action}"
    run.__doc__ = f"Apply TaskState.{edit.__name__} to the task on screen."
    return run


def _decision_action(action: str, answer: str) -> Callable[[ReviewApp], None]:
    def run(self: ReviewApp) -> None:
        self._decide(answer)

    run.__name__ = run.__qualname__ = f"action_{action}"
    run.__doc__ = f"Store the answer {answer!r} for the task on screen."
    return run


for _action, _edit_method in TASK_EDITS.items():
    setattr(ReviewApp, f"action_{_action}", _edit_action(_action, _edit_method))
for _action, _answer in DECISIONS.items():
    setattr(ReviewApp, f"action_{_action}", _decision_action(_action, _answer))
del _action, _edit_method, _answer
