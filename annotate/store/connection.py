"""The SQLite connection under the store: file checks, schema set-up, write transactions, errors."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from ..errors import AnnotateError, Errors
from .schema import _SCHEMA, _SQLITE_MAGIC, APPLICATION_ID, SCHEMA_VERSION, default_db_path


class Connection:
    """One SQLite connection, thread-safe, in WAL mode with ``synchronous=FULL``."""

    def __init__(self, path: str | Path | None = None, *, timeout: float = 30.0, create: bool = True) -> None:
        """Open (``create=True``: or create) the database at ``path``.

        ``create=False`` is for commands that only read or drop: a missing or
        empty file is then an error instead of a new database.
        """
        self.path = Path(path) if path is not None else default_db_path()
        self.timeout = timeout
        self.create = create
        self._lock = threading.RLock()
        self._depth = 0  # open transactions of this connection (nested writes join the outer one)
        self._reading = False  # the open transaction is a read snapshot
        self._conn: sqlite3.Connection | None = None
        self._check_file()
        try:
            self._conn = sqlite3.connect(
                str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._setup()
        except sqlite3.DatabaseError as e:
            self._close_quietly()
            raise self._error(e) from None

    # ------------------------------------------------------------ opening

    def _check_file(self) -> None:
        p = self.path
        if p.is_dir():
            raise Errors.E300(where=p)
        if p.exists():
            try:
                with p.open("rb") as f:
                    head = f.read(len(_SQLITE_MAGIC))
            except OSError as e:
                raise Errors.E301(strerror=e.strerror, where=p) from None
            if head and head != _SQLITE_MAGIC:
                raise Errors.E302(reason="not an SQLite file", where=p)
        elif not self.create:
            raise Errors.E317(where=p)
        elif not p.parent.exists() and str(p.parent) not in ("", "."):
            raise Errors.E308(where=p)

    def _setup(self) -> None:
        c = self._c
        c.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        app_id = c.execute("PRAGMA application_id").fetchone()[0]
        version = c.execute("PRAGMA user_version").fetchone()[0]
        n_tables = c.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if app_id == 0 and version == 0 and n_tables == 0 and not self.create:
            raise Errors.E318(where=self.path)
        if app_id == 0 and version == 0 and n_tables == 0:
            # a new (or empty) file: create our schema
            mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - e.g. some network file systems
                raise Errors.E305(mode=mode, where=self.path)
            with self._write():
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        c.execute(stmt)
                c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif app_id != APPLICATION_ID:
            raise Errors.E303(where=self.path)
        elif version > SCHEMA_VERSION:
            raise Errors.E304(version=version, SCHEMA_VERSION=SCHEMA_VERSION, where=self.path)
        else:
            mode = c.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                c.execute("PRAGMA journal_mode = WAL")
            if version < SCHEMA_VERSION:
                self._upgrade()
        c.execute("PRAGMA synchronous = FULL")
        c.execute("PRAGMA foreign_keys = ON")

    def _upgrade(self) -> None:
        """Bring an older database to :data:`SCHEMA_VERSION` in one transaction (see :mod:`.migrate`)."""
        from .migrate import UPGRADES

        c = self._c
        with self._write():
            # read again under the write lock: another process may have upgraded it meanwhile
            version = c.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                return
            while version < SCHEMA_VERSION:
                step = UPGRADES.get(version)
                if step is None:
                    raise Errors.E900(version=version, where=self.path)
                step(c)
                version += 1
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    c.execute(stmt)
            c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def _c(self) -> sqlite3.Connection:
        if self._conn is None:
            raise Errors.E307(where=self.path)
        return self._conn

    def _error(self, e: sqlite3.Error) -> AnnotateError:
        msg = str(e)
        if "locked" in msg or "busy" in msg:
            return Errors.E310(msg=msg, where=self.path)
        if "not a database" in msg or "malformed" in msg or "encrypted" in msg:
            return Errors.E302(reason=msg, where=self.path)
        if "readonly" in msg or "unable to open" in msg or "disk I/O" in msg or "full" in msg:
            return Errors.E311(msg=msg, where=self.path)
        return Errors.E312(msg=msg, where=self.path)

    class _Tx:
        def __init__(self, store: Connection) -> None:
            self.store = store

        # a write inside an open write transaction (see Connection.transaction) joins it: the outer
        # one commits or rolls back everything
        def __enter__(self) -> sqlite3.Connection:
            store = self.store
            store._lock.acquire()
            if store._depth:
                if store._reading:
                    store._lock.release()
                    raise Errors.E901(where=store.path)
                store._depth += 1
                return store._c
            try:
                store._c.execute("BEGIN IMMEDIATE")
            except BaseException:
                store._lock.release()
                raise
            store._depth = 1
            return store._c

        def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
            store = self.store
            try:
                store._depth -= 1
                if store._depth:
                    return
                if et is None:
                    store._c.execute("COMMIT")
                else:
                    try:
                        store._c.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
            finally:
                store._lock.release()

    class _Read:
        def __init__(self, store: Connection) -> None:
            self.store = store

        def __enter__(self) -> None:
            store = self.store
            store._lock.acquire()
            if store._depth:  # inside a transaction already: it is the snapshot
                store._depth += 1
                return
            try:
                store._c.execute("BEGIN")
                # the snapshot starts at the first read, not at BEGIN
                store._c.execute("SELECT count(*) FROM dataset").fetchone()
            except sqlite3.Error as e:
                try:
                    store._c.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                store._lock.release()
                raise store._error(e) from None
            except BaseException:
                store._lock.release()
                raise
            store._depth, store._reading = 1, True

        def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
            store = self.store
            try:
                store._depth -= 1
                if not store._depth:
                    store._reading = False
                    try:
                        store._c.execute("COMMIT")
                    except sqlite3.Error:
                        pass
            finally:
                store._lock.release()

    def transaction(self) -> Connection._Tx:
        """One write transaction around several store calls: all of them are stored, or none.

        ``with store.transaction(): ...`` (``db-in --strict``); every write method
        called inside joins it instead of committing on its own.
        """
        return Connection._Tx(self)

    def snapshot(self) -> Connection._Read:
        """One read transaction: every read inside sees the database as it was when it began.

        Writes committed meanwhile by other processes (a ``db drop``) are not
        seen (WAL keeps the snapshot's pages), so an export reads either
        everything or, when the dataset is gone before it starts, nothing.
        The calling thread holds the connection until the block ends.
        """
        return Connection._Read(self)

    def _write(self) -> Connection._Tx:
        return Connection._Tx(self)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _close_quietly(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover
            pass

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            if self._conn is not None:
                self._conn.close()
        except Exception:
            pass

    # ------------------------------------------------------------ helpers

    def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            with self._lock:
                return fn(*args, **kwargs)
        except sqlite3.Error as e:
            raise self._error(e) from None
