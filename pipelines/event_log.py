"""Dagster's SQLite event log, with its connections kept instead of rebuilt for every event.

Dagster's `SqliteEventLogStorage` creates a new SQLAlchemy engine, opens and closes a SQLite
connection for every write (one event is 2–4 writes: the run's shard, the cross-run index,
the asset or check tables) and inspects the schema (`has_table`) on every asset-check event;
a new engine also starts with an empty statement cache, so every INSERT is compiled again.
A monthly run logs ≈ 660 events; at ≈ 6–8 ms an event that was ≈ 5 s of a 35 s run
(benchmarks/profile_notes.md, "Fourth round").

This subclass changes only how connections are obtained, never what is written:

- one engine per shard (the run's file, the index), kept for the process's life, each with a
  small pool of SQLite connections: SQLite in WAL mode lets other processes (the webserver,
  the daemon) read and write the same files meanwhile, and a kept connection holds no lock
  between transactions;
- at most `MAX_OPEN_SHARDS` engines: the webserver opens the shards of many runs; the least
  recently used engine is disposed (its connections closed) when another shard is needed;
- `has_table` remembers tables it has found (tables are created by migrations and never
  dropped while a process runs; a table not found is asked again next time);
- a child process created by `fork` drops the inherited engines without closing the parent's
  connections (SQLAlchemy's rule for pools across `fork`).

`KeptConnectionsPostgresEventLogStorage` does the same for dagster-postgres, whose event log
opens a new database connection (TCP, authentication) for every write outside the webserver:
one kept connection per process (more while threads overlap), checked before use, and
`has_table` remembered. The webserver replaces the engine with its own pool as before.

Both keep Dagster's tables, files, transactions and statements unchanged: an instance can
switch between these classes and Dagster's own at any time (`pipelines/instance.py` selects
them for every data directory and for deploy/).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster_postgres.event_log import PostgresEventLogStorage
from dagster_postgres.utils import (
    create_pg_engine,
    get_token_provider_from_config,
    pg_url_from_config,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

MAX_OPEN_SHARDS = 8
"""Engines (shards) kept open at once: the index, the run in progress and a few the UI reads."""
POOL_SIZE = 1
"""Idle connections kept per shard (more are opened when threads overlap, then closed)."""

_STORAGES: weakref.WeakSet[
    KeptConnectionsSqliteEventLogStorage | KeptConnectionsPostgresEventLogStorage
] = weakref.WeakSet()


class _RemembersFoundTables:
    """`has_table` asked of the database once per table found (Dagster asks on every asset-check
    event); a table not found is asked again, so a migration run meanwhile is seen."""

    def has_table(self, table_name: str) -> bool:
        known: set[str] = self.__dict__.setdefault("_known_tables", set())
        if table_name in known:
            return True
        found = super().has_table(table_name)  # type: ignore[misc]
        if found:
            known.add(table_name)
        return found


class KeptConnectionsSqliteEventLogStorage(_RemembersFoundTables, SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one kept engine and connection pool per shard."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)
        _STORAGES.add(self)

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: Any, config_value: Any
    ) -> KeptConnectionsSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The shard's kept engine (created, and its database initialised, on first use)."""
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = create_engine(
                self.conn_string_for_shard(shard),
                pool_size=POOL_SIZE,
                max_overflow=4,
                # connections are handed between threads (the storage's lock serialises them)
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            self._engines[shard] = engine
            while len(self._engines) > MAX_OPEN_SHARDS:
                _, evicted = self._engines.popitem(last=False)
                evicted.dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def close_connections(self) -> None:
        """Close every kept connection (the files can then be removed or replaced)."""
        with self._engines_lock:
            engines = list(self._engines.values())
            self._engines.clear()
        for engine in engines:
            engine.dispose()

    def _forget_inherited_engines(self) -> None:
        """In a forked child: drop the parent's engines without closing its connections."""
        for engine in self._engines.values():
            engine.dispose(close=False)
        self._engines = OrderedDict()
        self._engines_lock = threading.Lock()

    def wipe(self) -> None:
        self.close_connections()
        super().wipe()

    def dispose(self) -> None:
        self.close_connections()
        super().dispose()


class KeptConnectionsPostgresEventLogStorage(_RemembersFoundTables, PostgresEventLogStorage):
    """dagster-postgres's event log with a kept connection instead of one per write."""

    def __init__(
        self,
        postgres_url: str,
        should_autocreate_tables: bool = True,
        inst_data: Any = None,
        token_provider: Any = None,
    ) -> None:
        super().__init__(postgres_url, should_autocreate_tables, inst_data, token_provider)
        self._engine.dispose()
        self._engine = self._pooled_engine()
        _STORAGES.add(self)

    def _pooled_engine(self) -> Engine:
        return create_pg_engine(
            self.postgres_url,
            self._token_provider,
            isolation_level="AUTOCOMMIT",
            pool_size=POOL_SIZE,
            max_overflow=4,
            pool_pre_ping=True,  # a server restart between events costs a reconnect, not a run
        )

    @classmethod
    def from_config_value(
        cls, inst_data: Any, config_value: Any
    ) -> KeptConnectionsPostgresEventLogStorage:
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )

    def close_connections(self) -> None:
        self._engine.dispose()

    def _forget_inherited_engines(self) -> None:
        self._engine.dispose(close=False)

    def dispose(self) -> None:
        self._engine.dispose()
        super().dispose()


def _after_fork_in_child() -> None:
    for storage in list(_STORAGES):
        storage._forget_inherited_engines()


os.register_at_fork(after_in_child=_after_fork_in_child)
