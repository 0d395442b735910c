"""Database engine, migrations and the group-commit writer used by the async servers."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from hotline.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")
MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            # WAL: readers (CLI, stats) never block the writer answering calls.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(url), revision)


class DbWriter:
    """Runs database work on one thread, committing many calls' writes together, each
    batch one unit of work.

    The FastAGI server answers hundreds of calls at once; giving each call its own commit
    would make them queue behind the disk. Jobs that arrive while a commit is running are
    batched into the next transaction (group commit); each caller still awaits its own
    result, and a failing job is retried alone so it cannot take the others down with it.
    """

    BATCH = 256

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="db-writer", daemon=True)
        self._thread.start()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, fut, fn, args))
        return await fut

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.BATCH:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
            self._run_batch(batch)
            if stop:
                return

    def _run_batch(self, batch: list) -> None:
        results: list[Any] = []
        try:
            with self._uow.begin() as session:
                for _loop, _fut, fn, args in batch:
                    results.append(fn(session, *args))
        except Exception as exc:
            if len(batch) == 1:
                loop, fut, _fn, _args = batch[0]
                loop.call_soon_threadsafe(_set_exception, fut, exc)
                return
            for job in batch:  # isolate the failing job; the others still commit
                self._run_batch([job])
            return
        # one wake-up of each event loop per batch, not one per job
        by_loop: dict[Any, list] = {}
        for (loop, fut, _fn, _args), result in zip(batch, results, strict=True):
            by_loop.setdefault(loop, []).append((fut, result))
        for loop, pairs in by_loop.items():
            loop.call_soon_threadsafe(_set_results, pairs)


def _set_results(pairs: list[tuple[asyncio.Future, Any]]) -> None:
    for fut, value in pairs:
        if not fut.done():
            fut.set_result(value)


def _set_exception(fut: asyncio.Future, exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)
