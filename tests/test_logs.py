"""Log lines in the court's time with its offset: the hotline's own (one formatter, set up
by the command line every entry point runs through) and Asterisk's (its dateformat, and
the court's zone in its environment)."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline import logs, pbx


def record(at: datetime, msg: str = "call 1764.2 queued") -> logging.LogRecord:
    r = logging.LogRecord("hotline.running", logging.INFO, __file__, 1, msg, None, None)
    r.created = at.timestamp()
    return r


def test_a_utc_instant_is_logged_in_court_time_with_the_offset():
    at = datetime(2026, 12, 7, 1, 15, 2, 640000, tzinfo=UTC)
    line = logs.CourtTimeFormatter(ZoneInfo("Asia/Shanghai")).format(record(at))
    assert line == "2026-12-07 09:15:02+08:00 INFO hotline.running: call 1764.2 queued"
    # the zone is the court's, not the machine's: the same instant for a court elsewhere
    assert logs.CourtTimeFormatter(ZoneInfo("Asia/Tokyo")).formatTime(record(at)) == \
        "2026-12-07 10:15:02+09:00"


# a command of the real command line that logs one line, in a process of its own (as
# `hotline serve`, `worker`, `up` are), with the machine's clock on UTC
_LOGGING_COMMAND = """
import logging, sys
from hotline.cli import main
@main.command(name="say")
def say():
    logging.getLogger("hotline.running").warning("AGI server on 127.0.0.1")
main(["--data-dir", sys.argv[1], "say"])
"""


def test_the_command_line_logs_in_the_court_time_zone_of_the_settings(tmp_path):
    proc = subprocess.run([sys.executable, "-c", _LOGGING_COMMAND, str(tmp_path)],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "TZ": "UTC",
                               "HOTLINE_TIMEZONE": "Asia/Tokyo"})
    assert proc.returncode == 0, proc.stderr
    m = re.fullmatch(r"(\S+ \S+) WARNING hotline.running: AGI server on 127.0.0.1\n",
                     proc.stderr)
    assert m, proc.stderr
    stamp = datetime.fromisoformat(m.group(1))
    assert stamp.utcoffset() == timedelta(hours=9) and m.group(1).endswith("+09:00")
    assert abs(datetime.now(UTC) - stamp) < timedelta(seconds=60)


def test_asterisk_stamps_its_log_with_the_offset(settings):
    install = pbx.Installation("/usr/sbin/asterisk", "/usr/lib/asterisk/modules",
                               "/usr/share/asterisk")
    etc = pbx.render(settings, install, []).parent
    general = (etc / "logger.conf").read_text().split("[logfiles]")[0]
    assert re.findall(r"(?m)^dateformat = (.*)$", general) == ["%F %T.%3q%z"]


def test_asterisk_starts_in_the_court_time_zone(settings, monkeypatch):
    settings = settings.with_(timezone="Asia/Urumqi")
    spawned = {}

    class Exited:
        returncode = 1

        def poll(self):
            return 1

    def popen(cmd, **kw):
        spawned.update(kw, cmd=cmd)
        return Exited()

    monkeypatch.setattr(pbx, "find_installation", lambda s: pbx.Installation(
        "/usr/sbin/asterisk", "/usr/lib/asterisk/modules", "/usr/share/asterisk"))
    monkeypatch.setattr(pbx, "bind_shim", lambda s: None)  # these would run commands too
    monkeypatch.setattr(pbx, "run_as", lambda *a: [])
    monkeypatch.setattr(pbx.subprocess, "Popen", popen)
    monkeypatch.setenv("TZ", "UTC")
    with pytest.raises(pbx.PbxError, match="Asterisk exited with 1"):
        pbx.start(settings, [], timeout=5)
    assert spawned["cmd"][0] == "/usr/sbin/asterisk"
    env = spawned["env"]
    assert env["TZ"] == "Asia/Urumqi" and env["PATH"]
    monkeypatch.undo()  # the real Popen again
    # a name the C library (Asterisk's strftime) reads: Urumqi is six hours ahead of UTC
    assert subprocess.run(["date", "+%z"], env=env, capture_output=True, text=True,
                          check=True).stdout == "+0600\n"
