"""Opening the gateway's store: SQLite under the data folder, or PostgreSQL at a URL."""

from __future__ import annotations

import os

from .base import Store
from .postgres import PostgresStore
from .sqlite import SqliteStore

POSTGRES_SCHEMES = ("postgres", "postgresql")


def is_postgres_url(text: str | None) -> bool:
    return bool(text) and text.split(":", 1)[0] in POSTGRES_SCHEMES


def open_store(data_dir: str | os.PathLike, url: str | None = None, *, check: bool = True) -> Store:
    """Open (creating and migrating as needed) the store: SQLite under ``data_dir``, or the
    PostgreSQL database at ``url`` (``postgresql://...``; ``data_dir`` then holds a blob cache).

    With ``check`` (the default, and what the gateway does at start-up) the store's quick check
    runs first: StoredDataError, naming the database, when it finds damage."""
    if url:
        if not is_postgres_url(url):
            raise ValueError(f"unsupported store URL {url!r}: give postgresql://USER@HOST:PORT/DB")
        store: Store = PostgresStore(url, data_dir)
    else:
        store = SqliteStore(data_dir)
    if check:
        try:
            store.quick_check()
        except BaseException:
            store.close()
            raise
    return store


__all__ = ["is_postgres_url", "open_store"]
