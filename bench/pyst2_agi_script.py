#!/usr/bin/env python3
"""Reference B of the FastAGI benchmark: the classic way, one process per AGI request.

Asterisk's ``AGI(pyst2_agi_script.py,<script>[,args…])`` starts this file as a new
process, writes the AGI environment to its stdin and answers its commands on stdout.
It does what the FastAGI handlers ``incoming`` and ``menu`` do, as a classic script
would: the same three ``SET VARIABLE`` per request, and the equivalent database write
(register the call and open its work order; then record the menu choice), with plain
``sqlite3`` on the SQLite file named by ``$BENCH_PYST2_DB`` (the benchmark creates the
schema). Plain sqlite3, not the project's SQLAlchemy models, so this is a lower bound
on what the old way costs.

    argv: incoming            → HOTLINE_MODE, HOTLINE_ORDER, HOTLINE_FILE
    argv: menu <key> <play>   → HOTLINE_MENU, HOTLINE_TYPE, HOTLINE_QUEUE
"""

from __future__ import annotations

import os
import sqlite3
import sys
from datetime import UTC, datetime

from asterisk.agi import AGI

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY, uniqueid VARCHAR(64) NOT NULL UNIQUE,
    caller_phone VARCHAR(32), received_at TEXT NOT NULL, mode VARCHAR(16) NOT NULL,
    order_type INTEGER, menu_attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS work_orders (
    id INTEGER PRIMARY KEY, court VARCHAR(128) NOT NULL, number VARCHAR(32) NOT NULL,
    order_type INTEGER NOT NULL, status VARCHAR(32) NOT NULL, caller_phone VARCHAR(32),
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    call_id INTEGER REFERENCES calls(id), UNIQUE (court, number));
CREATE TABLE IF NOT EXISTS call_events (
    id INTEGER PRIMARY KEY, call_id INTEGER NOT NULL REFERENCES calls(id),
    kind VARCHAR(32) NOT NULL, at TEXT NOT NULL, detail TEXT);
"""
COURT = "示范市中级人民法院"


def connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=30000")
    return db


def incoming(agi: AGI, db: sqlite3.Connection) -> None:
    uniqueid = agi.env.get("agi_uniqueid", "")
    now = datetime.now(UTC)
    day = now.strftime("%Y%m%d")
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT id FROM calls WHERE uniqueid = ?", (uniqueid,)).fetchone()
        if row is None:
            cur = db.execute(
                "INSERT INTO calls (uniqueid, caller_phone, received_at, mode) VALUES (?,?,?,?)",
                (uniqueid, agi.env.get("agi_callerid"), now.isoformat(), "closed"))
            call_id = cur.lastrowid
            last = db.execute("SELECT max(number) FROM work_orders WHERE court = ? AND number "
                              "LIKE ?", (COURT, day + "-%")).fetchone()[0]
            number = f"{day}-{int(last.rsplit('-', 1)[1]) + 1 if last else 1:04d}"
            db.execute("INSERT INTO work_orders (court, number, order_type, status, caller_phone,"
                       " created_at, updated_at, call_id) VALUES (?,?,?,?,?,?,?,?)",
                       (COURT, number, 9, "registered", agi.env.get("agi_callerid"),
                        now.isoformat(), now.isoformat(), call_id))
            db.execute("INSERT INTO call_events (call_id, kind, at, detail) VALUES (?,?,?,?)",
                       (call_id, "arrived", now.isoformat(), '{"mode": "closed"}'))
        else:
            number = db.execute("SELECT number FROM work_orders WHERE call_id = ?",
                                (row[0],)).fetchone()[0]
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    agi.set_variable("HOTLINE_MODE", "closed")
    agi.set_variable("HOTLINE_ORDER", number)
    agi.set_variable("HOTLINE_FILE", f"{now:%Y/%m/%d}/{uniqueid}")


def menu(agi: AGI, db: sqlite3.Connection, key: str, play: str) -> None:
    uniqueid = agi.env.get("agi_uniqueid", "")
    order_type = int(key) if key.isdigit() and key != "0" else 9
    agi.set_variable("HOTLINE_MENU", "chosen")
    now = datetime.now(UTC).isoformat()
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT id FROM calls WHERE uniqueid = ?", (uniqueid,)).fetchone()
        if row is not None:
            db.execute("UPDATE calls SET order_type = ?, menu_attempts = ? WHERE id = ?",
                       (order_type, int(play or 1), row[0]))
            db.execute("UPDATE work_orders SET order_type = ?, updated_at = ? WHERE call_id = ?",
                       (order_type, now, row[0]))
            db.execute("INSERT INTO call_events (call_id, kind, at, detail) VALUES (?,?,?,?)",
                       (row[0], "menu", now, f'{{"type": {order_type}}}'))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    agi.set_variable("HOTLINE_TYPE", order_type)
    agi.set_variable("HOTLINE_QUEUE", f"hotline-{order_type}")


def main() -> int:
    agi = AGI(stderr=open(os.devnull, "w"))  # pyst2 logs every line to stderr
    db = connect(os.environ["BENCH_PYST2_DB"])
    script = sys.argv[1] if len(sys.argv) > 1 else "incoming"
    if script == "incoming":
        incoming(agi, db)
    elif script == "menu":
        menu(agi, db, sys.argv[2] if len(sys.argv) > 2 else "",
             sys.argv[3] if len(sys.argv) > 3 else "1")
    else:
        agi.set_variable("HOTLINE_AGI_STATUS", "FAILED")
        return 1
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
