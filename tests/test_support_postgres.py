"""The PostgreSQL test harness gives a real server on 127.0.0.1 only, and cleans up after it."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support.postgres import HOST, PostgresServer

LOOPBACK_HEX = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it (little-endian)
TCP_LISTEN = "0A"


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) with a socket listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == TCP_LISTEN and int(port_hex, 16) == port:
                found.add(address)
    return found


def test_server_works_on_loopback_only_and_is_gone_afterwards() -> None:
    with PostgresServer() as pg:
        assert pg.url == f"postgresql+psycopg://postgres@{HOST}:{pg.port}/test"
        engine = create_engine(pg.url)
        try:
            with engine.begin() as conn:
                assert conn.execute(text("select version()")).scalar_one().startswith("PostgreSQL")
                assert conn.execute(text("show listen_addresses")).scalar_one() == HOST
                conn.execute(text("create table t (id serial primary key, name text not null)"))
                conn.execute(text("insert into t (name) values ('立案'), ('开庭')"))
                rows = conn.execute(text("select name from t order by id")).scalars().all()
                assert rows == ["立案", "开庭"]
        finally:
            engine.dispose()
        # Not only configured so: the kernel shows no listener on any other address.
        assert listening_addresses(pg.port) == {LOOPBACK_HEX}

        other = create_engine(pg.create_database("other"))
        try:
            with other.connect() as conn:
                assert conn.execute(text("select current_database()")).scalar_one() == "other"
        finally:
            other.dispose()
        pid, port, base_dir = pg.pid, pg.port, pg.base_dir

    assert pid is not None and base_dir is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ConnectionRefusedError), socket.create_connection((HOST, port), 1):
        pass
    assert not base_dir.exists()
