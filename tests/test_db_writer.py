"""The group-commit writer the FastAGI server uses: many calls' writes share a commit,
each caller gets its own result, and one failing job cannot lose the others' writes."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from hotline.db import DbWriter, make_engine
from hotline.unit_of_work import UnitOfWork
from workorder.models import LineState


def put(session, key):
    session.add(LineState(key=key, value="v", updated_at=datetime.now(UTC)))
    session.flush()
    return key


def boom(session):
    session.add(LineState(key="half-done", value="v", updated_at=datetime.now(UTC)))
    session.flush()
    raise RuntimeError("bad job")


def test_batched_jobs_commit_and_a_failing_one_loses_nothing_else(db_url):
    engine = make_engine(db_url)
    writer = DbWriter(UnitOfWork(sessionmaker(engine, expire_on_commit=False)))

    async def body():
        jobs = [writer.run(put, f"k{i}") for i in range(300)]
        jobs.insert(150, writer.run(boom))
        return await asyncio.gather(*jobs, return_exceptions=True)

    try:
        results = asyncio.run(body())
    finally:
        writer.close()
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and "bad job" in str(errors[0])
    assert [r for r in results if not isinstance(r, Exception)] == [f"k{i}" for i in range(300)]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(LineState)) == 300
        assert conn.scalar(select(LineState.key).where(LineState.key == "half-done")) is None
    engine.dispose()


def test_writer_results_come_back_to_the_right_caller(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    from hotline.db import migrate

    migrate(str(engine.url))
    writer = DbWriter(UnitOfWork(sessionmaker(engine, expire_on_commit=False)))

    async def body():
        return await asyncio.gather(*(writer.run(lambda s, n=n: n * n) for n in range(50)))

    try:
        assert asyncio.run(body()) == [n * n for n in range(50)]
    finally:
        writer.close()
    with pytest.raises(RuntimeError):
        writer2 = DbWriter(UnitOfWork(sessionmaker(engine, expire_on_commit=False)))
        try:
            asyncio.run(writer2.run(boom))
        finally:
            writer2.close()
