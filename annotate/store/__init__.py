"""The SQLite store: datasets, tasks and every review decision."""

from .db import ANSWERS, APPLICATION_ID, DEFAULT_DB, ENV_DB, Store, default_db_path, span_accepted

__all__ = ["ANSWERS", "APPLICATION_ID", "DEFAULT_DB", "ENV_DB", "Store", "default_db_path", "span_accepted"]
