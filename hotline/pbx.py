"""The PBX: find or provision Asterisk, render the configuration, start and stop it.

Asterisk is not in Debian 12. Where a system Asterisk >= 20 is on PATH it is used;
otherwise Debian sid's Asterisk 22 is installed once into a cached chroot
(~/.cache/hotline12368/asterisk-sid) and run there, with the project's data folder
bind-mounted at the same path in a private mount namespace, so paths in the
configuration mean the same inside and out and no mount outlives the process.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import zoneinfo
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from hotline import pbx_account
from hotline.settings import Settings

log = logging.getLogger(__name__)
MIN_MAJOR = 20
PROVISIONED_MARK = ".hotline-provisioned"
SID_PACKAGES = ["asterisk", "asterisk-modules"]
_TOKEN = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class PbxError(Exception):
    """Something about the PBX needs fixing; the message says what."""


@dataclass(frozen=True)
class Installation:
    """An Asterisk that can be started: a system one, or the cached sid chroot."""

    binary: str  # path as seen by the process (inside the chroot for the chroot)
    module_dir: str
    data_dir: str
    chroot: Path | None = None

    @property
    def kind(self) -> str:
        return "chroot" if self.chroot else "system"

    def command(self, args: list[str], share: Path, etc: Path | None = None,
                preload: Path | None = None) -> list[str]:
        """The command line that runs Asterisk with ``share`` visible at its own path.

        In the chroot, ``etc/hosts`` and ``etc/resolv.conf`` (rendered beside the
        configuration) replace the chroot's own, so a name lookup Asterisk might try can
        only ever ask 127.0.0.1: nothing leaves the machine; ``etc/localtime`` (the
        court's zone) gives Asterisk's own clock — log stamps, STRFTIME — court time."""
        # only Asterisk itself gets the shim (at the same path inside the chroot: it is in
        # the data folder's pbx-shim, under the shared data folder)
        env = ["/usr/bin/env", f"LD_PRELOAD={preload}"] if preload else []
        if self.chroot is None:
            return [*env, self.binary, *args]
        root = str(self.chroot)
        quoted = " ".join(_sh_quote(a) for a in [*env, self.binary, *args])
        guards = ""
        if etc is not None:
            for name in ("hosts", "resolv.conf", "localtime"):
                if not (etc / name).exists():
                    continue
                target = root + _inside(self.chroot, "/etc/" + name)
                guards += (f"touch {_sh_quote(target)}; "
                           f"mount --bind {_sh_quote(str(etc / name))} {_sh_quote(target)}; ")
        script = (
            "set -e; "
            f"mkdir -p {_sh_quote(root + str(share))}; "
            f"mount --bind {_sh_quote(str(share))} {_sh_quote(root + str(share))}; "
            f"mount -t proc proc {_sh_quote(root + '/proc')}; "
            + guards +
            f"exec chroot {_sh_quote(root)} {quoted}"
        )
        return _in_private_mounts(script)


def _inside(chroot: Path, path: str) -> str:
    """``path`` as the chroot resolves it, its symlinks followed inside the chroot (a bind
    mount on the host's side would follow an absolute link out of it: the chroot's
    /etc/localtime links to /usr/share/zoneinfo/...)."""
    for _ in range(8):
        here = chroot / path.lstrip("/")
        if not here.is_symlink():
            return path
        link = os.readlink(here)
        path = link if link.startswith("/") else os.path.normpath(
            os.path.join(os.path.dirname(path), link))
    return path


def _in_private_mounts(script: str) -> list[str]:
    """Run a shell script in a mount namespace of its own: its mounts die with it."""
    return ["unshare", "--mount", "--propagation", "private", "--fork", "sh", "-c", script]


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


# ---- finding and provisioning ------------------------------------------------------------
def _version_major(output: str) -> int | None:
    m = re.search(r"Asterisk (\d+)\.", output)
    return int(m.group(1)) if m else None


def _module_dir(root: Path) -> str | None:
    for candidate in ("usr/lib/x86_64-linux-gnu/asterisk/modules",
                      "usr/lib/aarch64-linux-gnu/asterisk/modules",
                      "usr/lib/asterisk/modules", "usr/lib64/asterisk/modules"):
        if (root / candidate / "app_queue.so").exists():
            return "/" + candidate
    return None


def system_installation(settings: Settings) -> Installation | None:
    binary = settings.asterisk_binary or shutil.which("asterisk")
    if not binary:
        return None
    if not os.access(binary, os.X_OK):
        raise PbxError(f"asterisk_binary {binary} is not an executable file")
    try:
        out = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PbxError(f"{binary} -V failed: {exc}") from None
    major = _version_major(out)
    if major is None or major < MIN_MAJOR:
        if settings.asterisk_binary:
            raise PbxError(f"{binary} is {out.strip() or 'not Asterisk'}; need >= {MIN_MAJOR}")
        log.info("ignoring system %s (need >= %s)", out.strip(), MIN_MAJOR)
        return None
    modules = _module_dir(Path("/"))
    if modules is None:
        raise PbxError(f"{binary} has no app_queue.so in its module directory")
    return Installation(binary, modules, "/usr/share/asterisk")


def chroot_installation(settings: Settings) -> Installation | None:
    root = settings.chroot_dir
    if not (root / PROVISIONED_MARK).exists():
        return None
    modules = _module_dir(root)
    if modules is None:
        raise PbxError(f"the Asterisk chroot {root} is damaged; delete it and run "
                       "`hotline pbx provision`")
    return Installation("/usr/sbin/asterisk", modules, "/usr/share/asterisk", chroot=root)


def find_installation(settings: Settings) -> Installation:
    found = system_installation(settings) or chroot_installation(settings)
    if found is None:
        raise PbxError("no Asterisk found: run `hotline pbx provision` (or `make setup`)")
    return found


def debian_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian mirror this machine already uses (never a host written into the repo)."""
    texts = []
    for path in [sources / "sources.list", *sorted((sources / "sources.list.d").glob("*"))]:
        if path.is_file() and not path.name.endswith((".disabled", ".save")):
            texts.append(path.read_text(errors="replace"))
    for text in texts:
        for line in text.splitlines():
            m = re.match(r"\s*(?:URIs:|deb\s+(?:\[[^\]]*\]\s+)?)\s*(\S+)", line)
            if m and "security" not in m.group(1) and m.group(1).rstrip("/").endswith("/debian"):
                return m.group(1)
    raise PbxError("no Debian mirror found in /etc/apt; add one or install Asterisk >= 20")


def provision(settings: Settings) -> Installation:
    """Idempotent: returns at once when an Asterisk is already there."""
    try:
        return find_installation(settings)
    except PbxError:
        pass
    if os.geteuid() != 0:
        raise PbxError("provisioning Asterisk needs root (debootstrap, chroot)")
    if not shutil.which("debootstrap"):
        raise PbxError("debootstrap is missing: apt-get install debootstrap (make setup does)")
    root = settings.chroot_dir
    tmp = root.with_name(root.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    mirror = debian_mirror()
    log.info("installing Debian sid's Asterisk into %s from %s", root, mirror)
    _run(["debootstrap", "--variant=minbase", "sid", str(tmp), mirror], "debootstrap")
    install = (
        "set -e; mount -t proc proc {root}/proc; "
        "chroot {root} apt-get -q -o Acquire::Check-Valid-Until=false update; "
        "DEBIAN_FRONTEND=noninteractive chroot {root} apt-get install -y -q "
        "--no-install-recommends {pkgs}; chroot {root} apt-get clean"
    ).format(root=_sh_quote(str(tmp)), pkgs=" ".join(SID_PACKAGES))
    _run(_in_private_mounts(install),
         "apt-get install asterisk in the chroot")
    version = subprocess.run(["chroot", str(tmp), "/usr/sbin/asterisk", "-V"],
                             capture_output=True, text=True).stdout.strip()
    (tmp / PROVISIONED_MARK).write_text(version + "\n")
    if root.exists():
        shutil.rmtree(root)
    tmp.rename(root)
    return find_installation(settings)


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise PbxError(f"{what} failed: " + " | ".join(tail))


# ---- configuration ---------------------------------------------------------------------------
def render_template(text: str, values: dict[str, object], name: str = "template") -> str:
    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key not in values:
            raise PbxError(f"{name}: no value for {{{{{key}}}}}")
        return str(values[key])

    return _TOKEN.sub(sub, text)


@dataclass(frozen=True)
class SeatConf:
    name: str
    secret: str
    display_name: str = ""
    contact: str = ""
    webrtc: bool = False  # the browser softphone (JsSIP over WebSocket) instead of a SIP phone


def _webrtc_endpoint(seat: SeatConf, bind_host: str) -> str:
    """A seat's endpoint for the browser softphone: SIP over WebSocket, ICE (rtp.conf keeps
    candidates to 127.0.0.1), DTLS-SRTP with a certificate made at start-up, AVPF and RTCP
    multiplexed on the RTP port, as browsers require."""
    return (
        f"[{seat.name}]\ntype = endpoint\ncontext = hotline-seats\ntransport = transport-ws\n"
        f"webrtc = yes\ndtls_auto_generate_cert = yes\ndtls_verify = fingerprint\n"
        f"dtls_setup = actpass\nmedia_encryption = dtls\nuse_avpf = yes\nrtcp_mux = yes\n"
        f"ice_support = yes\nmedia_use_received_transport = yes\n"
        f"disallow = all\nallow = alaw,ulaw,opus\ndtmf_mode = rfc4733\ndirect_media = no\n"
        f"force_rport = yes\nrewrite_contact = yes\n"
        f"media_address = {bind_host}\nbind_rtp_to_media_address = yes\n"
        f"auth = {seat.name}\naors = {seat.name}\n"
        f"callerid = \"{seat.display_name or seat.name}\" <{seat.name}>\n\n"
    )


def _sip_endpoint(seat: SeatConf, bind_host: str) -> str:
    return (
        f"[{seat.name}]\ntype = endpoint\ncontext = hotline-seats\ndisallow = all\n"
        f"allow = alaw,ulaw\ndtmf_mode = rfc4733\ndirect_media = no\n"
        f"rtp_symmetric = yes\nforce_rport = yes\nrewrite_contact = yes\n"
        f"media_address = {bind_host}\nbind_rtp_to_media_address = yes\n"
        f"auth = {seat.name}\naors = {seat.name}\n"
        f"callerid = \"{seat.display_name or seat.name}\" <{seat.name}>\n\n"
    )


def seats_section(seats: list[SeatConf], bind_host: str = "127.0.0.1") -> str:
    out = []
    for seat in seats:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", seat.name):
            raise PbxError(f"seat name {seat.name!r}: use letters, digits, - and _ only")
        contact = f"contact = {seat.contact}\n" if seat.contact else ""
        endpoint = (_webrtc_endpoint if seat.webrtc else _sip_endpoint)(seat, bind_host)
        out.append(
            endpoint +
            f"[{seat.name}]\ntype = auth\nauth_type = userpass\nusername = {seat.name}\n"
            f"password = {seat.secret}\n\n"
            f"[{seat.name}]\ntype = aor\nmax_contacts = 1\nremove_existing = yes\n{contact}"
        )
    return "\n".join(out)


def trunk_values(settings: Settings) -> dict[str, str]:
    """The carrier trunk's way out (pjsip.conf, the hotline-out context): where the carrier
    is, the credentials it asks for, a registration if it wants one, and what may be
    dialled. Without ``trunk_port`` the trunk only takes calls in."""
    out = {"trunk_endpoint_out": "", "trunk_aor_out": "", "trunk_register_out": "",
           "outbound_caller_id": settings.outbound_caller_id,
           "dial_prefix": settings.dial_prefix, "dial_ring_s": settings.dial_ring_s,
           # one expression for the dialplan's REGEX(); \d spelled as a class there
           "dial_allow_regex": "^(" + "|".join(p.pattern.replace("\\d", "[0-9]")
                                               for p in settings.dial_patterns) + ")$"}
    if not settings.trunk_port:
        out["dial_allow_regex"] = "^$"  # no way out: nothing is dialled
        return out
    server = f"sip:{settings.trunk_ip}:{settings.trunk_port}"
    out["trunk_aor_out"] = (f"contact = {server}\nqualify_frequency = {settings.trunk_qualify_s}\n"
                            "qualify_timeout = 2\n")
    if settings.trunk_username:
        out["trunk_endpoint_out"] = "outbound_auth = trunk-out\n"
        out["trunk_register_out"] = (
            f"\n[trunk-out]\ntype = auth\nauth_type = userpass\n"
            f"username = {settings.trunk_username}\npassword = {settings.trunk_password}\n")
    if settings.trunk_register:
        out["trunk_register_out"] += (
            f"\n[trunk-reg]\ntype = registration\ntransport = transport-udp\n"
            f"outbound_auth = trunk-out\nserver_uri = {server}\n"
            f"client_uri = sip:{settings.trunk_username}@{settings.trunk_ip}:{settings.trunk_port}\n"
            f"contact_user = {settings.trunk_username}\n"
            f"retry_interval = 30\nforbidden_retry_interval = 300\nexpiration = 300\n"
            f"line = yes\nendpoint = trunk\n")
    return out


def ice_values(settings: Settings) -> dict[str, str]:
    """rtp.conf's lines for ``ice_host_candidates``: each local address may be gathered
    (ICE permits only loopback otherwise) and is offered as its advertised one."""
    pairs = settings.ice_mappings
    return {
        "ice_permit_mapped": "".join(f"ice_permit = {local}/{32 if ':' not in local else 128}\n"
                                     for local, _ in pairs),
        "ice_host_candidates": "".join(f"{local} => {advertised}\n"
                                       for local, advertised in pairs),
    }


def runtime_paths(settings: Settings) -> dict[str, Path]:
    rt = settings.runtime_dir
    return {
        "etc_dir": rt / "etc", "lib_dir": rt / "lib", "spool_dir": rt / "spool",
        "run_dir": rt / "run", "log_dir": rt / "log",
    }


def render(settings: Settings, install: Installation, seats: list[SeatConf]) -> Path:
    """Write the configuration into the runtime folder; returns asterisk.conf's path."""
    paths = runtime_paths(settings)
    for p in [*paths.values(), settings.recordings_dir, settings.sounds_dir,
              paths["lib_dir"] / "agi-bin", paths["lib_dir"] / "keys"]:
        p.mkdir(parents=True, exist_ok=True)
    values: dict[str, object] = {
        **{k: str(v) for k, v in paths.items()},
        "module_dir": install.module_dir,
        "data_dir": install.data_dir,
        "sbin_dir": str(Path(install.binary).parent),
        "bind_host": settings.bind_host,
        "agi_host": settings.agi_address,  # the FastAGI server, as the dialplan reaches it
        "agi_port": settings.agi_port,
        "agi_secret": settings.agi_secret,
        "ami_port": settings.ami_port,
        "ami_user": settings.ami_user,
        "ami_secret": settings.ami_secret,
        "sip_port": settings.sip_port,
        "http_port": settings.http_port,
        "trunk_ip": settings.trunk_ip,
        "rtp_start": settings.rtp_start,
        "rtp_end": settings.rtp_end,
        **ice_values(settings),
        **trunk_values(settings),
        "answer_target_s": settings.answer_target_s,
        "overflow_ring_s": settings.overflow_ring_s,
        "seat_ring_s": settings.seat_ring_s,
        "message_max_s": settings.message_max_s,
        "wrapup_s": 3,
        "sounds_dir": str(settings.sounds_dir),
        "recordings_dir": str(settings.recordings_dir),
        "seats": seats_section(seats, settings.bind_host),
        # nobody needs to know it: the self-test endpoint never takes a call in
        "selftest_secret": secrets.token_urlsafe(24),
    }
    (paths["etc_dir"] / "hosts").write_text(
        f"127.0.0.1 localhost {socket.gethostname()}\n::1 localhost\n")
    (paths["etc_dir"] / "resolv.conf").write_text(
        "# the PBX resolves nothing off this machine\nnameserver 127.0.0.1\n"
        "options timeout:1 attempts:1\n")
    write_bans(settings, [])  # a restart forgets bans; the guard rebuilds from new failures
    zone = zone_file(settings.timezone)
    if zone is not None:
        (paths["etc_dir"] / "localtime").write_bytes(zone)
    for package in ("asterisk_conf", "dialplans"):
        for entry in files(package).iterdir():
            if entry.name.endswith(".conf"):
                text = render_template(entry.read_text(encoding="utf-8"), values, entry.name)
                (paths["etc_dir"] / entry.name).write_text(text, encoding="utf-8")
    return paths["etc_dir"] / "asterisk.conf"


def bind_shim(settings: Settings) -> Path:
    """asterisk_conf/bind_to_host.c built into <data_dir>/pbx-shim (again when the source
    changes): preloaded into Asterisk, it turns a bind to the wildcard address (IPv4's or
    IPv6's "any") into one to bind_host (::1). Asterisk's SIP stack creates pjproject's
    DNS resolver, whose two sockets bind the wildcard with no setting to change it; with
    the shim they sit on loopback like every other socket of the PBX."""
    source = files("asterisk_conf") / "bind_to_host.c"
    # root's alone, apart from the folders the PBX account owns: root preloads it
    built = settings.data_dir.resolve() / "pbx-shim" / "bind_to_host.so"
    code = source.read_bytes()
    stamp = built.with_suffix(".sha256")
    digest = hashlib.sha256(code).hexdigest()
    if built.exists() and stamp.exists() and stamp.read_text() == digest:
        return built
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise PbxError("no C compiler to build the PBX's bind shim: `make setup` installs "
                       "gcc (or apt-get install gcc libc6-dev)")
    built.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = built.with_suffix(".tmp")
    done = subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-Wall", "-o", str(tmp),
                           "-x", "c", "-", "-ldl"], input=code, capture_output=True)
    if done.returncode != 0:
        raise PbxError(f"building the PBX's bind shim failed: "
                       f"{done.stderr.decode(errors='replace').strip()[:300]}")
    tmp.replace(built)
    stamp.write_text(digest)
    return built


def write_bans(settings: Settings, addresses: list[str]) -> Path:
    """The pjsip ACL refusing ``addresses`` (each an IPv4/IPv6 address), included by
    pjsip.conf; no rule at all when there is none (Asterisk allows what no rule matches)."""
    path = runtime_paths(settings)["etc_dir"] / "pjsip_bans.conf"
    lines = ["; written by the hotline (hotline/sip_guard.py): addresses that failed to "
             "authenticate too often"]
    if addresses:
        lines += ["[hotline-bans]", "type = acl"]
        for address in addresses:
            ip = ipaddress.ip_address(address)  # never a line the caller's text shaped
            lines.append(f"deny = {ip}/{ip.max_prefixlen}")
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    pbx_account.readable_if_shared(settings, path)  # Asterisk reloads it as its own account
    return path


def console(settings: Settings, command: str, timeout: float = 20.0) -> str:
    """One command on the running Asterisk's own console (its control socket in the
    runtime folder), run as the account that started it: what AMI is not allowed to do
    (reloading a module). For the chroot, inside Asterisk's own mount namespace, where
    the runtime folder is mounted."""
    pid = running_pid(settings)
    if pid is None:
        raise PbxError("Asterisk is not running (`hotline pbx start`)")
    install = find_installation(settings)
    conf = runtime_paths(settings)["etc_dir"] / "asterisk.conf"
    cmd = [install.binary, "-C", str(conf), "-rx", command]
    if install.chroot is not None:
        cmd = ["nsenter", "-t", str(pid), "-m", "chroot", str(install.chroot), *cmd]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise PbxError(f"Asterisk's console did not answer {command!r} in {timeout:.0f} s") \
            from None
    if done.returncode != 0:
        raise PbxError(f"Asterisk's console refused {command!r}: "
                       f"{(done.stderr or done.stdout).strip()[:200]}")
    return done.stdout


def zone_file(name: str) -> bytes | None:
    """The compiled (TZif) file of the IANA zone ``name``, from the system's zone database
    or the tzdata package; None if neither has it."""
    for base in zoneinfo.TZPATH:
        path = Path(base) / name
        if path.is_file():
            return path.read_bytes()
    try:
        return files("tzdata.zoneinfo").joinpath(*name.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None


# ---- running -----------------------------------------------------------------------------------
def pid_file(settings: Settings) -> Path:
    return runtime_paths(settings)["run_dir"] / "asterisk.pid"


def running_pid(settings: Settings) -> int | None:
    try:
        pid = int(pid_file(settings).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists() and b"asterisk" not in cmdline.read_bytes():
        return None  # a stale pid file whose number was reused
    return pid


def port_free(host: str, port: int, kind: int = socket.SOCK_STREAM) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def start(settings: Settings, seats: list[SeatConf], timeout: float = 60.0) -> subprocess.Popen:
    """Start Asterisk in the background and wait until AMI answers."""
    install = find_installation(settings)
    if (pid := running_pid(settings)) is not None:
        raise PbxError(f"Asterisk already runs (pid {pid}); "
                       "`hotline pbx stop` first")
    for name, port, kind in (("ami_port", settings.ami_port, socket.SOCK_STREAM),
                             ("sip_port", settings.sip_port, socket.SOCK_DGRAM),
                             ("sip_port", settings.sip_port, socket.SOCK_STREAM),
                             ("http_port", settings.http_port, socket.SOCK_STREAM)):
        if not port_free(settings.bind_host, port, kind):
            raise PbxError(f"{name} {port} on {settings.bind_host} is in use; "
                           f"set HOTLINE_{name.upper()} to a free port")
    conf = render(settings, install, seats)
    share = settings.data_dir.resolve()
    shim = bind_shim(settings)
    drop = run_as(settings, install, share)
    log_path = runtime_paths(settings)["log_dir"] / "asterisk.out"
    out = open(log_path, "ab")
    cmd = install.command(["-f", "-n", *drop, "-C", str(conf)], share, etc=conf.parent,
                          preload=shim)
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, env=environment(settings))
    out.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PbxError(f"Asterisk exited with {proc.returncode}; see {log_path}")
        if _ami_ready(settings):
            return proc
        time.sleep(0.2)
    stop(settings)
    raise PbxError(f"Asterisk did not come up within {timeout:.0f} s; see {log_path}")


def run_as(settings: Settings, install: Installation, share: Path) -> list[str]:
    """Asterisk's options to drop from root to the PBX's own account, once that account
    has what it needs in the data folder (hotline/pbx_account.py); none when the hotline
    does not run as root (Asterisk then runs as the same account)."""
    if not pbx_account.wanted(settings):
        return []
    try:
        account = pbx_account.ensure(settings.pbx_user)
        if install.chroot is not None:
            pbx_account.enter_chroot(account, install.chroot)
            pbx_account.passable_mount_point(install.chroot, share)
        else:
            pbx_account.check_reachable(account, share)
        pbx_account.share(settings, account)
    except (pbx_account.AccountError, OSError) as exc:
        raise PbxError(str(exc)) from None
    return ["-U", account.name, "-G", account.name]


def environment(settings: Settings) -> dict[str, str]:
    """Asterisk's environment: ours, with TZ the court's time zone for whatever in it reads
    the C library's clock. (Asterisk's own clock — its log stamps, STRFTIME — reads
    /etc/localtime and ignores TZ; logger.conf stamps each line with its offset.)"""
    return {**os.environ, "TZ": settings.timezone, "HOTLINE_BIND_HOST": settings.bind_host}


def _ami_ready(settings: Settings) -> bool:
    """True once AMI accepts our login and Asterisk says it is fully booted (modules such
    as app_queue register their actions only during boot)."""
    try:
        with socket.create_connection((settings.bind_host, settings.ami_port), timeout=1) as s:
            s.settimeout(2)
            if not s.recv(128).startswith(b"Asterisk Call Manager"):
                return False
            s.sendall(f"Action: Login\r\nUsername: {settings.ami_user}\r\n"
                      f"Secret: {settings.ami_secret}\r\nEvents: system\r\n\r\n".encode())
            data = b""
            while b"Event: FullyBooted" not in data and len(data) < 65536:
                chunk = s.recv(4096)
                if not chunk or b"Authentication failed" in data:
                    return False
                data += chunk
            return True
    except OSError:
        return False


def stop(settings: Settings, timeout: float = 20.0) -> bool:
    """Stop the Asterisk of this data folder by its own PID. False if none was running."""
    pid = running_pid(settings)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running_pid(settings) is None:
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True
