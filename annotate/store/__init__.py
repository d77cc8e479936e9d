"""The SQLite store: datasets, tasks and every review decision.

``schema`` holds the tables and record helpers, ``connection`` the SQLite
connection (file checks, transactions, errors), ``db`` the :class:`Store`.
"""

from .db import Store
from .schema import ANSWERS, APPLICATION_ID, DEFAULT_DB, ENV_DB, default_db_path, span_accepted

__all__ = ["ANSWERS", "APPLICATION_ID", "DEFAULT_DB", "ENV_DB", "Store", "default_db_path", "span_accepted"]
