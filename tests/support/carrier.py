"""The telephone company in the tests: a second real Asterisk (the same installation as the
hotline's, its own runtime folder and ports, all on 127.0.0.1) that takes the hotline's
calls out on its trunk — with digest authentication and a registration, as carriers
ask — and hands each to a sipp party chosen by the number's last two digits:

    …01  answers after a second of ringing, plays a 700 Hz tone, hangs up after 4 s
    …02  rings and never answers
    …03  busy (486)
    …04  refused by the carrier (403)     …05  no such number (404)
    …06  carrier failure (503)
    …07  answers like …01 but stays 25 s (a judge brought into a call)
    anything else: 404

Every call it receives is written to its log as ``carrier: call to N from P``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from hotline import pbx
from support import tones

HERE = Path(__file__).resolve().parent
PARTY_HZ = 700  # what the answering party "says"
USERNAME = "court12368"
PASSWORD = "carrier-secret-4711"
MODULES = """[modules]
autoload = no
load = pbx_config.so
load = res_sorcery_config.so
load = res_sorcery_memory.so
load = res_sorcery_astdb.so
load = res_timing_timerfd.so
load = res_pjproject.so
load = res_pjsip.so
load = res_pjsip_session.so
load = res_pjsip_sdp_rtp.so
load = res_pjsip_authenticator_digest.so
load = res_pjsip_endpoint_identifier_ip.so
load = res_pjsip_endpoint_identifier_user.so
load = res_pjsip_registrar.so
load = res_pjsip_caller_id.so
load = res_pjsip_rfc3326.so
load = res_pjsip_nat.so
load = res_pjsip_pubsub.so
load = res_pjsip_dtmf_info.so
load = res_musiconhold.so
load = res_rtp_asterisk.so
load = chan_pjsip.so
load = bridge_simple.so
load = bridge_native_rtp.so
load = codec_ulaw.so
load = codec_alaw.so
load = app_dial.so
load = app_verbose.so
load = func_callerid.so
"""
ROUTES = """[from-hotline]
exten => _X.,1,Log(NOTICE,carrier: call to ${EXTEN} from ${CALLERID(num)})
 same => n,Goto(route,${EXTEN:-2},1)

[route]
exten => 01,1,Dial(PJSIP/answer,30)
 same => n,Hangup(${HANGUPCAUSE})
exten => 02,1,Dial(PJSIP/ring,120)
 same => n,Hangup(${HANGUPCAUSE})
exten => 03,1,Dial(PJSIP/busy,30)
 same => n,Hangup(17)
exten => 04,1,Hangup(21)
exten => 05,1,Hangup(1)
exten => 06,1,Hangup(34)
exten => 07,1,Dial(PJSIP/stay,30)
 same => n,Hangup(${HANGUPCAUSE})
exten => _XX,1,Hangup(1)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Carrier:
    """``start()`` / ``stop()``; ``port`` is its SIP port, ``log()`` what it logged."""

    def __init__(self, folder: Path, settings, port: int | None = None) -> None:
        self.folder = folder
        self.hotline = settings  # the hotline's settings: the same Asterisk installation
        self.port = port or free_port()
        self.parties = {"answer": free_port(), "ring": free_port(), "busy": free_port(),
                        "stay": free_port()}
        self.proc: subprocess.Popen | None = None
        self.sipps: list[subprocess.Popen] = []

    def _render(self, install: pbx.Installation) -> Path:
        etc = self.folder / "etc"
        for name in ("etc", "lib", "spool", "run", "log"):
            (self.folder / name).mkdir(parents=True, exist_ok=True)
        rtp = free_port() // 2 * 2
        (etc / "asterisk.conf").write_text(
            "[directories]\n"
            + "".join(f"{k} => {v}\n" for k, v in (
                ("astetcdir", etc), ("astmoddir", install.module_dir),
                ("astvarlibdir", self.folder / "lib"), ("astdbdir", self.folder / "lib"),
                ("astkeydir", self.folder / "lib"), ("astdatadir", install.data_dir),
                ("astspooldir", self.folder / "spool"), ("astrundir", self.folder / "run"),
                ("astlogdir", self.folder / "log")))
            + "[options]\nverbose = 2\nhideconnect = yes\n")
        (etc / "modules.conf").write_text(MODULES)
        (etc / "logger.conf").write_text("[general]\ndateformat = %F %T.%3q\n\n"
                                         "[logfiles]\nmessages.log => notice,warning,error\n")
        (etc / "rtp.conf").write_text(f"[general]\nrtpstart = {rtp}\nrtpend = {rtp + 100}\n")
        (etc / "extensions.conf").write_text(ROUTES)
        parties = "".join(
            f"[{name}]\ntype = endpoint\ncontext = from-party\ndisallow = all\n"
            f"allow = alaw,ulaw\naors = {name}\ndirect_media = no\nmedia_address = 127.0.0.1\n"
            f"bind_rtp_to_media_address = yes\n\n"
            f"[{name}]\ntype = aor\ncontact = sip:party@127.0.0.1:{port}\n\n"
            for name, port in self.parties.items())
        (etc / "pjsip.conf").write_text(
            "[global]\ntype = global\nendpoint_identifier_order = username,ip\n\n"
            f"[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:{self.port}\n\n"
            f"[hotline]\ntype = endpoint\ncontext = from-hotline\ndisallow = all\n"
            f"allow = alaw,ulaw\nauth = hotline-auth\naors = {USERNAME}\ndirect_media = no\n"
            "rtp_symmetric = yes\nmedia_address = 127.0.0.1\nbind_rtp_to_media_address = yes\n\n"
            f"[hotline-auth]\ntype = auth\nauth_type = userpass\nusername = {USERNAME}\n"
            f"password = {PASSWORD}\n\n"
            f"[{USERNAME}]\ntype = aor\nmax_contacts = 1\nremove_existing = yes\n\n"
            "[hotline]\ntype = identify\nendpoint = hotline\nmatch = 127.0.0.1\n\n"
            + parties)
        return etc / "asterisk.conf"

    def start(self, timeout: float = 60) -> None:
        install = pbx.find_installation(self.hotline)
        conf = self._render(install)
        self._start_parties()
        # the hotline's bind shim keeps pjproject's resolver off wildcard addresses here too
        shim_dir = self.folder / "shim"
        shim_dir.mkdir(exist_ok=True)
        shim = shim_dir / "bind_to_host.so"
        shutil.copyfile(pbx.bind_shim(self.hotline), shim)
        out = open(self.folder / "log" / "asterisk.out", "ab")
        cmd = install.command(["-f", "-n", "-C", str(conf)], self.folder.resolve(),
                              preload=shim)
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     env={**os.environ, "HOTLINE_BIND_HOST": "127.0.0.1"})
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("carrier Asterisk exited: "
                                   + (self.folder / "log" / "asterisk.out").read_text()[-2000:])
            if self.console("core show uptime").startswith("System uptime"):
                return
            time.sleep(0.3)
        raise RuntimeError("carrier Asterisk did not come up")

    def _start_parties(self) -> None:
        rtp = free_port() // 2 * 2
        logs = self.folder / "sipp"
        logs.mkdir(exist_ok=True)
        (logs / "party-tone.alaw").write_bytes(tones.alaw(PARTY_HZ, 2.0))
        answer = HERE / "sipp_party_answer.xml"
        stay = logs / "party-stays.xml"  # the same party, talking 25 s instead of 4
        stay.write_text(answer.read_text().replace('<pause milliseconds="4000"/>',
                                                   '<pause milliseconds="25000"/>'))
        for name, scenario in (("answer", answer), ("ring", HERE / "sipp_ring_no_answer.xml"),
                               ("busy", HERE / "sipp_party_busy.xml"), ("stay", stay)):
            # in the foreground (no -bg): each is stopped by its own PID
            args = ["sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p",
                    str(self.parties[name]), "-nostdin", "-trace_err",
                    "-error_file", str(logs / f"{name}.err")]
            if name in ("answer", "stay"):
                args += ["-mi", "127.0.0.1", "-mp", str(rtp if name == "answer" else rtp + 100)]
            self.sipps.append(subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL,
                                               stdin=subprocess.DEVNULL, cwd=logs))

    def console(self, command: str) -> str:
        """A CLI command on the carrier's Asterisk (its control socket)."""
        if self.proc is None:
            return ""
        install = pbx.find_installation(self.hotline)
        conf = self.folder / "etc" / "asterisk.conf"
        cmd = ["nsenter", "-t", str(self._asterisk_pid()), "-m"]
        if install.chroot is not None:
            cmd += ["chroot", str(install.chroot)]
        cmd += [install.binary, "-C", str(conf), "-rx", command]
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout
        except (subprocess.TimeoutExpired, OSError):
            return ""

    def _asterisk_pid(self) -> int:
        pid_file = self.folder / "run" / "asterisk.pid"
        try:
            return int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return self.proc.pid

    def log(self) -> str:
        path = self.folder / "log" / "messages.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def calls(self) -> list[tuple[str, str]]:
        """(number, presented) of every call the carrier received, in order."""
        out = []
        for line in self.log().splitlines():
            if "carrier: call to " in line:
                rest = line.split("carrier: call to ", 1)[1]
                number, _, presented = rest.partition(" from ")
                out.append((number.strip(), presented.strip()))
        return out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            pid = self._asterisk_pid()
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for sipp in self.sipps:
            if sipp.poll() is None:
                sipp.terminate()
                try:
                    sipp.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    sipp.kill()
                    sipp.wait()
        self.sipps = []


@contextlib.contextmanager
def carrier_line(tmp_path_factory, **config):
    """A running hotline (``config`` over the test line's settings) whose trunk goes out to
    a running carrier, registered there; seat1001 is a sipp phone that answers every call
    (logged in to its queues or not as `pbx start` left it). ``line.carrier`` is the
    carrier."""
    from conftest import Line, line_config, write_config
    from conftest import free_port as fresh_port
    from sqlalchemy import select

    from hotline.seats import Seat

    data_dir = tmp_path_factory.mktemp("line")
    carrier_port = fresh_port()
    write_config(data_dir, **line_config(
        trunk_port=carrier_port, trunk_username=USERNAME, trunk_password=PASSWORD,
        trunk_register=True, **config))
    line = Line(data_dir)
    line.cli("setup")
    line.seat_port = fresh_port()
    with line.sessions().begin() as s:
        seat = s.scalar(select(Seat).where(Seat.name == "seat1001"))
        seat.contact, seat.phone = f"sip:seat1001@127.0.0.1:{line.seat_port}", "sip"
    carrier = Carrier(tmp_path_factory.mktemp("carrier"), line.settings, port=carrier_port)
    seat_phone = subprocess.Popen(
        ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(line.seat_port), "-nostdin",
         "-mi", "127.0.0.1", "-mp", str(fresh_port()), "-rtp_echo"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        cwd=data_dir)
    try:
        carrier.start()
        line.cli("pbx", "start")
        line.start_serve()
        line.carrier = carrier
        yield line
    finally:
        line.stop_serve()
        line.cli("pbx", "stop", check=False)
        carrier.stop()
        seat_phone.terminate()
        seat_phone.wait(timeout=10)
