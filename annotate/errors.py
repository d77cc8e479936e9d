"""The project's one error type and its catalogue.

Library code raises :class:`AnnotateError` for anything a user can fix (bad
input, bad labels, a missing path). The CLI prints ``str(error)`` as a single
line on stderr and exits with ``error.exit_code``; it never shows a traceback
for these. Messages say what went wrong, where (``path:line`` or a config
key) and how to fix it.

Every error has a code, and every code is defined once, in :class:`Errors`
below (spaCy's ``errors.py`` pattern): its message, its fix and its exit
code. Raise one by calling it with its fields::

    raise Errors.E010(detail="Expecting value at column 1", where=path, line=3)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

EXIT_DATA = 1  # bad data or failed checks
EXIT_USAGE = 2  # usage errors


class AnnotateError(Exception):
    """A user-facing error: one line, where, and the fix."""

    def __init__(
        self,
        message: str,
        *,
        where: str | Path | None = None,
        line: int | None = None,
        fix: str | None = None,
        code: str = "E000",
        exit_code: int = EXIT_DATA,
    ) -> None:
        self.message = message
        self.where = str(where) if where is not None else None
        self.line = line
        self.fix = fix
        self.code = code
        self.exit_code = exit_code
        super().__init__(self.render())

    def render(self) -> str:
        place = ""
        if self.where is not None:
            place = self.where if self.line is None else f"{self.where}:{self.line}"
            place += ": "
        text = f"[{self.code}] {place}{self.message}"
        if self.fix:
            text += f" Fix: {self.fix}"
        # one line, always
        return " ".join(text.split())

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # picklable with its fields (a Dask worker's error reaches the client with its code and exit code)
        return (_restore, (self.message, self.where, self.line, self.fix, self.code, self.exit_code))


def _restore(message: str, where: str | None, line: int | None, fix: str | None, code: str, exit_code: int) -> AnnotateError:
    return AnnotateError(message, where=where, line=line, fix=fix, code=code, exit_code=exit_code)


class StdoutClosed(Exception):
    """The reader of standard output went away (``annotate pre - -o - | head -1``): stop quietly."""


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C (temporary files removed, workers stopped), then exit 143.

    A ``BaseException``, so that no ``except Exception`` on the way swallows it.
    """


class Err:
    """One catalogue entry: a message and a fix (``str.format`` templates) and an exit code."""

    def __init__(self, message: str, fix: str | None = None, *, exit_code: int = EXIT_DATA) -> None:
        self.message = message
        self.fix = fix
        self.exit_code = exit_code
        self.code = "E000"

    def __set_name__(self, owner: type, name: str) -> None:
        self.code = name

    def __call__(self, *, where: str | Path | None = None, line: int | None = None, **fields: Any) -> AnnotateError:
        """The error, ready to raise, with ``fields`` filled into the message and fix."""
        return AnnotateError(
            self.message.format(**fields),
            where=where,
            line=line,
            fix=self.fix.format(**fields) if self.fix is not None else None,
            code=self.code,
            exit_code=self.exit_code,
        )

    def __repr__(self) -> str:
        return f"Err({self.code}: {self.message!r})"


USAGE = EXIT_USAGE


class Errors:
    """Every error code, once. E0xx input files, E1xx labels, E2xx pipeline, E3xx store and review,
    E4xx export and import, E5xx evaluation, E7xx benchmarks."""

    # --- catalogue ---
    E001 = Err('folder holds no .txt or .jsonl file', 'put input files in it or name files directly')
    E002 = Err(
        'unsupported input type {suffix!r}',
        'give a .txt file, a .jsonl file, a folder or - for JSONL on stdin',
    )
    E003 = Err('not a regular file', 'name a file or a folder')
    E004 = Err('no such file or folder', 'check the path')
    E005 = Err('cannot read ({reason})', 'check the path and that the file is readable')
    E006 = Err('invalid UTF-8 at byte {start}', 're-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)')
    E007 = Err('NUL character in the text', 'remove the NUL characters; is it a binary file?')
    E010 = Err('invalid JSON ({msg} at column {colno})', 'write one JSON object per line, e.g. {{"text": "..."}}')
    E011 = Err('expected a JSON object, got {type}', 'write one JSON object per line, e.g. {{"text": "..."}}')
    E012 = Err('record has no "text" field', 'add a "text" string to the record')
    E013 = Err('"text" is {type}, not a string', 'make "text" a JSON string')
    E014 = Err(
        'no record in the input ({detail})',
        'give one JSON object per line (.jsonl), e.g. {{"text": "..."}}, or some text (.txt)',
    )
    E015 = Err(
        'not standard JSON: {detail}',
        'write numbers as plain JSON numbers (no NaN, Infinity or out-of-range values)',
    )
    E016 = Err('JSON nested more than {depth} levels deep', 'flatten the record; tasks need only a few levels')
    E017 = Err(
        'lone UTF-16 surrogate in a string ({value})',
        're-encode the file as proper UTF-8; a \\ud800-\\udfff escape must come in a high-low pair',
    )
    E018 = Err('output folder is not writable', 'choose a writable output path with -o')
    E020 = Err('output path is a folder', 'name a file', exit_code=USAGE)
    E021 = Err('output file exists', 'pass --force to replace it')
    E022 = Err('cannot write to the folder ({strerror})', 'choose a writable output path')
    E023 = Err('writing failed ({strerror})', 'free disk space or choose another output path')
    E024 = Err(
        'output path is not a regular file, a device or a pipe',
        'name a regular file, or - for stdout',
        exit_code=USAGE,
    )
    E025 = Err(
        'output is also an input ({input})',
        'write to another file: the input would be replaced before it is read',
        exit_code=USAGE,
    )
    E026 = Err(
        'output file exists and is not an annotate pre output ({kind})',
        'choose another output path, or pass --force to replace it',
    )
    E027 = Err('output path is a file', 'name a folder for --format spacy (e.g. exports/news/)', exit_code=USAGE)
    E028 = Err('output exists', 'pass --force to replace it, or choose another folder')
    E029 = Err('output path is a folder', 'name a .jsonl file, or use --format spacy for a folder', exit_code=USAGE)
    E030 = Err('span without integer start/end and a label', 'give each span "start", "end" and "label"')
    E031 = Err(
        'span {start}-{end} falls outside the text (length {n_text})',
        'correct the offsets (Python code points)',
    )
    E032 = Err('unknown label {label!r}', '{fix}')
    E033 = Err('tokens do not match the text', 'drop the tokens field to re-tokenize')
    E034 = Err('task has no tokens and no tokenizer was given')
    E035 = Err(
        'span {start}-{end} {span_text!r} does not align with the tokens',
        'use --align expand|contract, or correct the offsets',
    )
    E036 = Err('"spans" is not a list', 'write "spans" as a JSON list')
    E037 = Err('"cats" is not an object', 'write "cats" as {{"THEME": 1}}')
    E038 = Err('unknown theme {k!r} in cats', '{fix}')
    E039 = Err('a span is not a JSON object', 'write each span as {{"start": S, "end": E, "label": "ORG"}}')
    E050 = Err('--engine dask reads files, not standard input', 'save the input to a .jsonl file and name it', exit_code=USAGE)
    E051 = Err('--engine dask needs Dask, which is not installed', "pip install 'annotate-news[dask]'", exit_code=USAGE)
    E052 = Err('--engine dask writes a file, not standard output', 'name an output file or folder with -o', exit_code=USAGE)
    E053 = Err('cannot reach the Dask scheduler at {address!r} ({reason})', 'check the address (tcp://HOST:8786) and that the scheduler runs', exit_code=USAGE)
    E060 = Err('export --from reads files, not standard input', 'name the .jsonl files or folders of tasks', exit_code=USAGE)
    E061 = Err('"answer" is {answer!r}', 'use accept, reject or ignore, or leave "answer" out (accepted)')
    E062 = Err('export takes a dataset or --from files, not both', 'drop the dataset name, or drop --from', exit_code=USAGE)
    E063 = Err('export needs a dataset name or --from files', 'e.g. annotate export news -o exports/news.jsonl, or --from exports/pre.jsonl', exit_code=USAGE)
    E040 = Err(
        'not a reference date: {reason}',
        'give the date relative dates resolve against as YYYY-MM-DD, e.g. --ref-date 2025-03-12',
        exit_code=USAGE,
    )
    E041 = Err(
        'record "meta.date" is not a reference date: {reason}',
        'write it as "meta": {{"date": "YYYY-MM-DD"}} (a time after the day is allowed), or remove it',
    )
    E100 = Err('labels folder not found', 'pass --labels with a folder holding labels.toml')
    E101 = Err('{where_} {msg}', '{fix}')
    E102 = Err('invalid TOML: {detail}', 'correct the TOML syntax')
    E103 = Err('invalid JSON ({msg})', 'write one JSON object per line')
    E104 = Err('unknown label {label!r}', '{fix}')
    E105 = Err('[{loc}] {msg}', 'see labels/README.md for the entry format')
    E106 = Err('no theme cues for language {lang!r}', '{fix}', exit_code=USAGE)
    E107 = Err('labels file not found', 'restore it or point --labels at a complete folder')
    E200 = Err(
        'spaCy pipeline {name!r} is not installed',
        'pip install {replace} (or pass --model with an installed pipeline)',
        exit_code=USAGE,
    )
    E201 = Err('unsupported language {lang!r}', 'use --lang fr or --lang en', exit_code=USAGE)
    E202 = Err(
        'pipeline {name!r} is for language {lang!r}, not {lang2!r}',
        'pass a {lang2} pipeline',
        exit_code=USAGE,
    )
    E203 = Err(
        '--n-process must be 1 or more, or -1 for one per core (got {value})',
        'pass --n-process 1 or more, or -1',
        exit_code=USAGE,
    )
    E204 = Err(
        'the shipped English model is missing: {path}',
        'reinstall annotate-news, or rebuild it with python -m annotate.training.en_ner (or pass --model-en)',
        exit_code=USAGE,
    )
    E300 = Err('database path is a folder', 'name a file, e.g. --db annotate.db', exit_code=USAGE)
    E301 = Err('cannot read the database ({strerror})', "check the file's permissions")
    E302 = Err(
        'not an annotate database ({reason})',
        'choose another file with --db or $ANNOTATE_DB; annotate creates a new one if missing',
    )
    E303 = Err(
        "not an annotate database (an SQLite file without annotate's tables)",
        'choose another file with --db or $ANNOTATE_DB; annotate creates a new one if missing',
    )
    E304 = Err(
        'database schema version {version} is newer than this annotate supports ({SCHEMA_VERSION})',
        'upgrade annotate',
    )
    E305 = Err('cannot switch the database to WAL mode (got {mode})', 'put the database on a local disk')
    E306 = Err(
        'task hashes are not integers ({input_hash!r}, {task_hash!r})',
        'remove _input_hash and _task_hash so they are computed again',
    )
    E307 = Err('the database is closed', 'open the Connection again')
    E308 = Err(
        "the database's folder does not exist",
        'create the folder or choose another --db path',
        exit_code=USAGE,
    )
    E310 = Err(
        'the database is locked ({msg})',
        'wait for the other program using it to finish, or close it, then retry',
    )
    E311 = Err('cannot write the database ({msg})', 'check the file and folder permissions and free disk space')
    E312 = Err('database error ({msg})', 'check the database file')
    E313 = Err('no dataset {name!r}', '{fix}')
    E314 = Err('no decision {decision_id}', 'the decision was deleted; answer the task again')
    E315 = Err('unknown answer {answer!r}', '{fix}')
    E316 = Err('invalid dataset name {name!r}', 'use a short name such as news or news-fr', exit_code=USAGE)
    E317 = Err(
        'no database here',
        'pass --db PATH or set $ANNOTATE_DB, or create one with annotate review or annotate db-in',
    )
    E318 = Err(
        'empty database file (no annotate data in it yet)',
        'pass the right --db PATH, or load tasks first with annotate review or annotate db-in',
    )
    E320 = Err('empty annotator name', 'pass --annotator NAME', exit_code=USAGE)
    E321 = Err(
        'review cannot read stdin: the screen needs the terminal',
        'save the input to a file and pass its path',
        exit_code=USAGE,
    )
    E322 = Err(
        'raw input needs the pre-annotation pipeline, which is not installed',
        'give tasks with spans (the output of annotate pre)',
    )
    E323 = Err('keymap file not found', 'check the path', exit_code=USAGE)
    E324 = Err('unknown action {k!r}', '{fix}')
    E325 = Err(
        'review needs a terminal',
        'run it in a terminal, or pass --accept-all to store every task as is',
        exit_code=USAGE,
    )
    E326 = Err(
        '{bad} input line(s) not loaded (see the messages above)',
        'correct those lines and run the same command again: what is stored already is kept',
    )
    E327 = Err(
        'unknown key name {key!r} for {what}',
        'use a character ("j"), a named key ("pageup", "f5", "escape") or a modifier and one ("ctrl+s")',
        exit_code=USAGE,
    )
    E328 = Err(
        'key {key!r} is bound to {first} and to {what}',
        'give one of them another key (in {detail}: action = "keys"; labels\' and themes\' keys in labels/)',
        exit_code=USAGE,
    )
    E330 = Err('"spans" is not a list', 'write "spans" as a JSON list')
    E331 = Err('tokens do not match the text', 'drop the "tokens" field so the text is tokenized again')
    E332 = Err(
        'span {start}-{end} {span_text!r} does not align with the tokens',
        "move the span's start and end to token boundaries",
    )
    E333 = Err('span answer {answer!r} is not accept or reject', 'use "accept" or "reject" (or leave "answer" out)')
    E334 = Err(
        'spans {start}-{end} {label} and {start2}-{end2} {label2} overlap',
        'keep one of them: doc.ents holds no overlapping spans',
    )
    E335 = Err('"cats" is not an object', 'write "cats" as {{"THEME": score}}')
    E336 = Err('unknown theme {k!r} in cats', '{fix}')
    E337 = Err('theme {k} score {v!r} is not a number from 0 to 1', 'write scores between 0 and 1')
    E338 = Err('"accept" is not a list of themes', 'write "accept": ["THEME", ...]')
    E340 = Err('invalid TOML: {e}', 'write lines like next_span = "j"')
    E341 = Err('keys of {k} must be a string such as "j,down"', 'quote the keys')
    E342 = Err(
        'keys of {k} must be a string such as "j,down", not {v!r}: it names no key',
        'give {k} at least one key ({k} = "{default_keys}"), or remove the line to keep its default',
    )
    E343 = Err('unknown label or theme in {k!r}', '{fix}', exit_code=USAGE)
    E400 = Err('unknown --resolve mode {resolve!r}', '{fix}', exit_code=USAGE)
    E401 = Err('spaCy has no language {lang!r} ({type})', 'pass --lang fr or --lang en', exit_code=USAGE)
    E402 = Err('unknown --align mode {align!r}', '{fix}', exit_code=USAGE)
    E403 = Err('stored decision {get} has no text', 're-import the dataset')
    E404 = Err('no dataset {dataset!r}', '{fix}')
    E405 = Err(
        'dataset {dataset!r} has no decisions',
        'review it first (annotate review) or import reviewed data with annotate db-in',
    )
    E406 = Err(
        'dataset {dataset!r} has no accepted example to export ({why})',
        'accept some tasks in annotate review, or use --resolve latest',
    )
    E407 = Err('--dev-split {dev_split} is not in [0, 1)', 'use a fraction such as 0.2', exit_code=USAGE)
    E408 = Err(
        'the accepted examples hold no span and no reviewed theme: nothing to train on',
        'accept some spans or themes in annotate review',
    )
    E409 = Err(
        'base pipeline {name!r} is for language {lang!r}, the dataset is {lang2!r}',
        'pass a {lang2} pipeline with --base-model, or --base-model none',
        exit_code=USAGE,
    )
    E411 = Err(
        'decision {get}: {what} {v} is not a 64-bit integer',
        'export from the store (its ids and hashes are 64-bit), or remove _input_hash so it is computed again',
    )
    E412 = Err(
        'spaCy {version__} changed the {what}: the DocBin writer was written for spaCy 3.8 (DocBin {DOCBIN_VERSION})',
        "install spaCy 3.8 (pip install 'spacy>=3.8,<3.9'), or update annotate/formats/docbin.py",
    )
    E413 = Err(
        'base pipeline {name!r} has no word vectors',
        'pass a pipeline with vectors (e.g. a _md or _lg one)',
        exit_code=USAGE,
    )
    E414 = Err('base pipeline {name!r} is not installed', '{fix}, or pass --base-model none', exit_code=USAGE)
    E420 = Err('bad --label-map {item!r}', 'write OLD=NEW, e.g. --label-map PER=ORG', exit_code=USAGE)
    E421 = Err(
        'db-in reads JSONL only, or JSON arrays (.json), doccano CSV (.csv) and CoNLL files',
        'give .jsonl or .json files (Prodigy, doccano, Label Studio, Argilla or annotate), .csv, .conll, or pass --format conll',
        exit_code=USAGE,
    )
    E422 = Err('{message} (--strict: nothing was imported)', '{fix}')
    E430 = Err('unknown --format {fmt!r}', 'use one of {formats}', exit_code=USAGE)
    E431 = Err(
        'cannot tell the format from {output!r}',
        'name a .jsonl file or a folder, or pass --format (jsonl, spacy, labelstudio, argilla)',
        exit_code=USAGE,
    )
    E432 = Err('--format spacy cannot write to stdout', 'name a folder with -o', exit_code=USAGE)
    E433 = Err('{len} malformed line(s) skipped, {records} record(s) imported; first: {message}', '{fix}')
    E500 = Err(
        'span text {text!r} is not the text at {start}-{end} ({span_text!r})',
        "correct the span's offsets or its text",
    )
    E501 = Err('"labels" is not a list of label names', 'write "labels" as a JSON list, e.g. ["ORG", "DATE"]')
    E502 = Err('unknown label {label!r} in "labels"', '{fix}')
    E503 = Err(
        '"recall_only" is not a list of label names',
        'write "recall_only" as a JSON list, e.g. ["ORG", "DATE"]',
    )
    E504 = Err('unknown label {label!r} in "recall_only"', '{fix}')
    E505 = Err(
        "label {both!r} is both in 'labels' and in 'recall_only'",
        "keep it in 'labels' (complete: precision and recall) or in 'recall_only' (recall only), not both",
    )
    E506 = Err(
        'span {start}-{end} is {label} but the record does not score {label}',
        "add {label!r} to the record's 'labels' (or 'recall_only'), or remove the span",
    )
    E507 = Err('"alt" of {span_desc} is not a list', 'write "alt" as a list of {{"start": S, "end": E}}')
    E508 = Err(
        'alt {s}-{e} of {span_desc} falls outside the text (length {n_text})',
        'correct the alt offsets (Python code points)',
    )
    E509 = Err(
        'alt text {text!r} of {span_desc} is not the text at {s}-{e} ({span_text!r})',
        "correct the alt's offsets or its text",
    )
    E510 = Err(
        'gold data must be JSONL, not {detail!r}',
        'give .jsonl files (one gold record per line), folders of them, or - for stdin',
    )
    E511 = Err('folder holds no .jsonl gold file', 'put gold .jsonl files in it or name the files')
    E512 = Err('theme {k!r} has a non-numeric value {v!r} in cats', 'give each theme a number: 1 (yes) or 0 (no)')
    E513 = Err('an "alt" of {span_desc} has no integer start/end', 'give each alt "start" and "end" (integers)')
    E514 = Err(
        'alt {s}-{e} of {span_desc} does not overlap its span',
        'an alt is another reading of the same words: give offsets that overlap the span',
    )

    # ------------------------------------------------------------ reliability, round two (E900-E949)
    E900 = Err(
        'database schema version {version} cannot be upgraded by this annotate',
        'open it with the annotate version that wrote it and export its datasets (annotate db-out)',
    )
    E901 = Err(
        'a write was attempted inside a read snapshot',
        'end the snapshot (with store.snapshot()) before writing',
    )
    E902 = Err(
        'dataset {name!r} was dropped while this command was using it; nothing more was stored',
        'load the tasks again (annotate review or db-in) if the drop was a mistake',
    )
    E903 = Err(
        'stored decision {decision_id} is not a JSON object (the database row was damaged)',
        'delete that row (sqlite3 DB "DELETE FROM decision WHERE id = {decision_id}") or restore the database from a copy',
    )
    E904 = Err(
        'task too big to store ({size} bytes of JSON, the limit is {limit}): {head!r}...',
        'split the text into smaller records (annotate pre --split paragraphs or sentences)',
    )
    E905 = Err(
        'record too big to review ({size} characters; at most {limit})',
        'split the text into smaller records (annotate pre --split paragraphs or sentences), then review those',
    )
    # --- teams: agreement, routing, merging databases (E700-E729)
    E700 = Err(
        "agreement figures need the 'krippendorff' package",
        "pip install 'annotate-news[teams]' (or pip install krippendorff)",
    )
    E701 = Err('--overlap must be 1 or more, not {overlap}', 'give how many annotators see each task, e.g. --overlap 2', exit_code=USAGE)
    E702 = Err(
        'not an annotate database (application_id {app_id}, expected {expected})',
        'merge only databases written by annotate',
    )
    E703 = Err(
        'schema version {version} differs from the output database ({expected})',
        'open each database once with the same annotate version (which upgrades it), then merge again',
    )
    E704 = Err('the output database is also an input', 'write the merge into a new file, e.g. annotate db merge team.db alice.db bob.db', exit_code=USAGE)
    E705 = Err('--overlap-share must be above 0 and at most 1, not {share}', 'give the share of tasks that go to K annotators, e.g. --overlap-share 0.2', exit_code=USAGE)
    E706 = Err('--overlap-share without --overlap', 'add --overlap K (how many annotators see the shared tasks)', exit_code=USAGE)
    # --- teams: adjudication and annotate serve (E730-E759)
    E730 = Err('--adjudicate needs the dataset to write the final versions to', 'pass -o GOLD_NAME', exit_code=USAGE)
    E731 = Err(
        'the gold dataset {gold!r} is the dataset being adjudicated',
        'write the final versions to a new dataset: -o {gold}-gold',
        exit_code=USAGE,
    )
    E732 = Err(
        '--adjudicate reads the decisions already stored; it takes no input file',
        'load and review the input first (annotate review FILE -d NAME), then adjudicate without FILE',
        exit_code=USAGE,
    )
    E733 = Err('{option} only goes with --adjudicate', 'add --adjudicate -o GOLD_NAME, or leave {option} out',
               exit_code=USAGE)
    E734 = Err(
        'annotate serve needs the optional packages textual-serve and aiohttp ({detail})',
        "install them: pip install 'annotate-news[serve]'",
    )
    E735 = Err('--user-header {header!r} is not an HTTP header name', 'use letters, digits and -, e.g. X-Remote-User',
               exit_code=USAGE)
    E736 = Err('--accept-all does not go with --adjudicate', 'use --auto-accept-agreed to merge the agreed tasks without the screen',
               exit_code=USAGE)
    E737 = Err(
        'adjudication needs a terminal: {n} task(s) to adjudicate on the screen',
        'run it in a terminal (or in a browser with annotate serve --adjudicate GOLD); --auto-accept-agreed alone'
        ' merges only the tasks everyone agrees on',
        exit_code=USAGE,
    )
    E800 = Err('unknown db-in --format {fmt!r}', 'use one of {formats}', exit_code=USAGE)
    E801 = Err(
        '--format {fmt} writes a JSON array or JSONL file, not {output!r}',
        'name a .json (or .jsonl) file with -o, or - for stdout',
        exit_code=USAGE,
    )
    # --- foreign formats: Prodigy, doccano, CoNLL (E830-E869) ---
    E840 = Err(
        '{n} record(s) read but none holds an annotation (no answer, span, label or theme; keys seen: {keys}): nothing was imported',
        'pass --format to read them as another format, or --as-tasks to import them as tasks to review',
    )

    # --- E6xx training (annotate train) and trained models (pre --model, review --order) ---
    E600 = Err('output folder {out} already holds a model', 'pass --force to replace it, or choose another -o', exit_code=USAGE)
    E601 = Err('--max-minutes {value} is not a positive number', 'give a budget such as --max-minutes 3', exit_code=USAGE)
    E602 = Err(
        'only {n} example(s) to train on: a held-out split needs at least {need}',
        'review and accept more tasks (annotate review), or name more datasets',
    )
    E603 = Err(
        '--from-model-ner needs the vectors of {name} (it was given --base-model {base})',
        'drop --from-model-ner, or start from --base-model {name}', exit_code=USAGE,
    )
    E604 = Err('spaCy training failed: {reason}', 'check the data and options; run with a larger --max-minutes if it stopped early')
    E605 = Err('unknown --order {order!r}', 'use one of {choices}', exit_code=USAGE)
    E606 = Err('--order {order} needs a trained model', 'pass --model models/NAME/ (from annotate train)', exit_code=USAGE)
    E607 = Err('unknown label {label!r} in --label', '{fix}', exit_code=USAGE)
    E610 = Err('unknown label {label!r} in the model policy', '{fix}')
    E611 = Err('not a model trained by annotate train (no "annotate" block with held-out scores in meta.json)',
               'give the folder annotate train -o wrote, e.g. models/news/')
    E612 = Err('cannot load the trained model ({reason})', 'train it again with annotate train')
