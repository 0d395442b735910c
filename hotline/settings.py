"""Settings: defaults that run a demo court on one machine, overridable by a TOML file
(``$HOTLINE_CONFIG`` or ``<data_dir>/hotline.toml``) and by ``HOTLINE_<NAME>`` variables.

Every server binds 127.0.0.1 by default; a bad value stops start-up with one line that
says what to fix (:class:`SettingsError`).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workorder.deadlines import Policy, PolicyError, parse_ladder


class SettingsError(Exception):
    """A setting is wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""  # default: SQLite (WAL) in data_dir
    court_name: str = "示范市中级人民法院"
    timezone: str = "Asia/Shanghai"
    # R1 staffed hours on working days; outside them the line takes messages (R6).
    staffed_from: str = "08:30"
    staffed_until: str = "17:30"
    calendar_override: str = ""  # TOML file of local closures / extra working days
    bind_host: str = "127.0.0.1"
    agi_port: int = 4573
    ami_port: int = 5038
    ami_user: str = "hotline"
    ami_secret: str = ""  # generated once into data_dir when empty
    sip_port: int = 5060
    http_port: int = 8088  # Asterisk's HTTP server: the seats' SIP over WebSocket (/ws)
    trunk_ip: str = "127.0.0.1"  # calls from this address to 12368 enter the hotline
    # Calls out (callbacks, the panel's dialling) go to the carrier at trunk_ip:trunk_port;
    # 0 = no outbound trunk, nothing is dialled. Digest credentials if the carrier asks,
    # and a registration if it wants one; the number presented; a prefix the carrier wants
    # before each number; the numbers a court hotline may dial (regular expressions on the
    # national number, separated by spaces: mobiles and landlines with their area code).
    # International, premium and short numbers are refused unless listed (toll fraud).
    trunk_port: int = 0
    trunk_username: str = ""
    trunk_password: str = ""  # never logged
    trunk_register: bool = False
    outbound_caller_id: str = "12368"
    dial_prefix: str = ""
    dial_allow: str = r"1(3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])\d{8} 0[1-9]\d{8,10}"
    dial_ring_s: int = 30  # how long the party's phone rings
    trunk_qualify_s: int = 15  # the carrier is asked (SIP OPTIONS) this often: down = no call
    # Virtual hold: a caller who chose a callback keeps their place in the queue and is
    # called back by the first free seat for the type (needs the trunk out); tries before
    # it becomes the next working day's callback task (R10), and the wait between tries.
    vhold: bool = True
    vhold_announce: bool = True  # the seat hears the type, the number and the order first
    vhold_attempts: int = 2
    vhold_retry_s: int = 120
    rtp_start: int = 20000
    rtp_end: int = 20999
    # ICE host candidates Asterisk offers the browsers in place of an interface's own
    # address, "LOCAL=>ADVERTISED" pairs, comma-separated (rtp.conf [ice_host_candidates]).
    # Asterisk never offers a loopback address of its own: a browser on the same machine
    # reaches it through a mapping of an address on a dummy interface to 127.0.0.1 (the
    # audio tests do this in their own network namespace). "" = the interfaces' own.
    ice_host_candidates: str = ""
    answer_target_s: int = 10  # R1
    overflow_ring_s: int = 20  # how long the wider group rings after the 10 s target
    seat_ring_s: int = 8  # a seat that lets it ring this long is auto-paused
    message_max_s: int = 180  # longest after-hours message (R6)
    asterisk_root: str = ""  # cached sid chroot; default ~/.cache/hotline12368/asterisk-sid
    asterisk_binary: str = ""  # a system Asterisk >= 20 to use instead of the chroot
    # Started by root, Asterisk drops to this account (made on first start); "" = it runs
    # as whoever starts it (hotline/pbx_account.py)
    pbx_user: str = "hotline-pbx"
    prompts_override_dir: str = ""  # court's own recordings, same names as ivr/prompts.txt
    agi_read_timeout_s: float = 5.0  # a silent or half-sent AGI client is dropped after this
    # FastAGI between machines (README): the server's own address, where `hotline serve`
    # listens and the dialplan connects ("" = bind_host); the Asterisk nodes that may
    # connect (addresses or CIDR networks); the key every request carries, rendered into the
    # dialplan ("" = generated once into <data_dir>/agi.secret).
    agi_host: str = ""
    agi_allow: tuple[str, ...] = ("127.0.0.1",)
    agi_secret: str = ""
    # Work-order deadlines, on working time (R5, R7, R8, R10); see workorder/deadlines.py.
    dispatch_hours: float = 2.0  # R5: forwarded orders dispatched within 2 working hours
    feedback_days: int = 3  # R7: feedback within 3 working days of dispatch
    reminder_days: int = 1  # R8: reminder within 1 working day of becoming overdue
    # R8 ladder: DAYS:ROLE steps, each counted after the previous one; "" = reminders only
    escalation_ladder: str = "3:department_leader,2:deputy_president,2:president"
    primary_court_days: int = 8  # R8: primary court → intermediate president; 0 = off
    yellow_share: float = 0.25  # light turns yellow with this share of the time left
    repeat_window_days: int = 30  # an earlier call within this many days is "the same caller"
    callback_days: int = 1  # R10: callbacks due within this many working days
    callback_attempts: int = 3  # unanswered attempts before a callback task fails
    # `hotline serve` runs the job worker (texts, the sweep every minute) in-process; turn it
    # off where `hotline worker` processes run on other machines.
    embedded_jobs: bool = True
    # SMS (R5): "fake" keeps messages in the log (demo), "twilio" sends through Twilio.
    sms_provider: str = "fake"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""  # never logged
    twilio_from: str = ""
    twilio_base_url: str = ""  # another host speaking Twilio's API; "" = Twilio itself
    sms_timeout_s: float = 10.0
    sms_quiet_from: str = "21:00"  # ordinary texts wait until sms_quiet_until (R4.8 ones don't)
    sms_quiet_until: str = "08:00"
    web_port: int = 8368  # the feedback page and Twilio's status callback, on bind_host
    link_max_age_s: int = 10 * 86400  # a text's feedback link expires after this
    public_url: str = "http://127.0.0.1:8368"  # base of the links in texts (feedback page)
    # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For is
    # believed; "" = none: the address audited is the connection's own.
    trusted_proxies: str = ""
    login_attempts_per_minute: int = 20  # per client address, before a password is hashed
    login_hash_slots: int = 2  # Argon2 hashes at once (64 MiB each) in the web process
    # SIP brute force: an address whose authentications fail this often within the window
    # is refused by the PBX (a pjsip ACL) for sip_ban_minutes; 0 failures = never ban. The
    # trunk, the PBX's own address and sip_ban_exempt (addresses or networks, comma-
    # separated, e.g. the court's NAT gateway) are never banned.
    sip_ban_failures: int = 10
    sip_ban_window_s: int = 60
    sip_ban_minutes: int = 30
    sip_ban_exempt: str = ""
    # The panel's softphone connects here (SIP over WebSocket); "" = Asterisk's http_port on
    # bind_host. Behind a TLS proxy: wss://…/ws.
    sip_ws_url: str = ""
    jssip_file: str = ""  # the panel's JsSIP; "" = what scripts/install-jssip.sh builds
    job_store: str = ""  # "" = SQLite file in data_dir; redis://host:port/db for several nodes
    models_dir: str = ""  # speech models; "" = <data_dir>/models
    speech_model: str = "vosk-model-small-cn-0.22"  # a folder in models_dir (R6)
    models_url: str = "https://alphacephei.com/vosk/models"  # Vosk's model site, or a mirror
    speech_workers: int = 2  # processes transcribing the morning's messages (R6)
    transcribe_calls: bool = True  # seat calls too, for the abusive/urgent flags (R4.7/R4.8)
    lexicon_file: str = ""  # abusive/urgent words (TOML); "" = recordings/lexicons.toml
    type_keywords_file: str = ""  # keywords suggesting the type (TOML); "" = the built-in
    retention_days: int = 365  # recordings older than this are deleted; 0 = keep all

    # ---- derived -----------------------------------------------------------------
    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hotline.db').resolve()}"

    @property
    def agi_address(self) -> str:
        return self.agi_host or self.bind_host

    @property
    def agi_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """agi_allow parsed; SettingsError names the entry that is not an address/network."""
        if not self.agi_allow:
            raise SettingsError("agi_allow is empty: no Asterisk could reach the FastAGI "
                                "server; list its address, e.g. agi_allow = [\"127.0.0.1\"]")
        networks = []
        for entry in self.agi_allow:
            try:
                networks.append(ipaddress.ip_network(entry.strip()))
            except ValueError as exc:
                raise SettingsError(f"agi_allow: {entry!r} is not an IP address or CIDR network "
                                    f"({exc}); e.g. 198.51.100.1 or 198.51.100.0/24") from None
        return tuple(networks)

    @property
    def sip_ban_exempt_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The addresses never banned: the trunk, the PBX itself and sip_ban_exempt."""
        entries = [self.trunk_ip, self.bind_host, *self.sip_ban_exempt.split(",")]
        try:
            return tuple(ipaddress.ip_network(e.strip(), strict=False)
                         for e in entries if e.strip())
        except ValueError as exc:
            raise SettingsError(f"sip_ban_exempt: {exc}; list addresses or networks, "
                                "comma-separated") from None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def staffed_hours(self) -> tuple[time, time]:
        return _parse_hhmm("staffed_from", self.staffed_from), _parse_hhmm(
            "staffed_until", self.staffed_until
        )

    @property
    def runtime_dir(self) -> Path:
        return (self.data_dir / "asterisk").resolve()

    @property
    def speech_models_dir(self) -> Path:
        return Path(self.models_dir).resolve() if self.models_dir else (
            self.data_dir / "models").resolve()

    @property
    def recordings_dir(self) -> Path:
        return (self.data_dir / "recordings").resolve()

    @property
    def sounds_dir(self) -> Path:
        return (self.data_dir / "sounds").resolve()

    @property
    def chroot_dir(self) -> Path:
        if self.asterisk_root:
            return Path(self.asterisk_root)
        return Path.home() / ".cache" / "hotline12368" / "asterisk-sid"

    @property
    def ws_url(self) -> str:
        return self.sip_ws_url or f"ws://{self.bind_host}:{self.http_port}/ws"

    @property
    def jssip_path(self) -> Path:
        if self.jssip_file:
            return Path(self.jssip_file)
        base = os.environ.get("HOTLINE_JSSIP_DIR") or str(
            Path.home() / ".cache" / "hotline12368" / "jssip")
        return Path(base) / "dist" / "jssip.min.js"

    @property
    def dial_patterns(self) -> list[re.Pattern]:
        """``dial_allow`` compiled, each matched against the whole national number."""
        out = []
        for item in self.dial_allow.split():
            try:
                out.append(re.compile(item.strip()))
            except re.error as exc:
                raise SettingsError(f"dial_allow: {item.strip()!r} is not a regular "
                                    f"expression ({exc})") from None
            if not re.fullmatch(r"[0-9\\d\[\]{},?+*()|^$-]+", item.strip()):
                raise SettingsError(f"dial_allow: {item.strip()!r}: digits, \\d, classes, "
                                    "groups and counts only (it is written into the dialplan)")
        return out

    @property
    def ice_mappings(self) -> list[tuple[str, str]]:
        """``ice_host_candidates`` as (local, advertised) address pairs."""
        pairs = []
        for item in self.ice_host_candidates.split(","):
            if not item.strip():
                continue
            local, sep, advertised = item.partition("=>")
            try:
                if not sep:
                    raise ValueError("no =>")
                pair = (str(ipaddress.ip_address(local.strip())),
                        str(ipaddress.ip_address(advertised.strip())))
            except ValueError:
                raise SettingsError(
                    f"ice_host_candidates: {item.strip()!r} is not LOCAL=>ADVERTISED "
                    "(two IP addresses, e.g. 192.0.2.1=>127.0.0.1)") from None
            pairs.append(pair)
        return pairs

    @property
    def sms_quiet_hours(self) -> tuple[time, time]:
        return (_parse_hhmm("sms_quiet_from", self.sms_quiet_from),
                _parse_hhmm("sms_quiet_until", self.sms_quiet_until))

    @property
    def policy(self) -> Policy:
        """The work-order deadline policy (R5, R7, R8, R10) these settings describe."""
        try:
            return Policy(
                dispatch_hours=self.dispatch_hours, feedback_days=self.feedback_days,
                reminder_days=self.reminder_days, ladder=parse_ladder(self.escalation_ladder),
                primary_court_days=self.primary_court_days, yellow_share=self.yellow_share,
                repeat_window_days=self.repeat_window_days, callback_days=self.callback_days,
                callback_attempts=self.callback_attempts)
        except PolicyError as exc:
            raise SettingsError(f"{exc} (set it in hotline.toml or HOTLINE_*)") from None

    def with_(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)

    def validate(self) -> Settings:
        for name in ("agi_port", "ami_port", "sip_port", "http_port", "rtp_start", "rtp_end",
                     "web_port"):
            port = getattr(self, name)
            if not isinstance(port, int) or not 1 <= port <= 65535:
                raise SettingsError(
                    f"{name}={port!r} is not a TCP/UDP port; set HOTLINE_{name.upper()} "
                    "to a number from 1 to 65535"
                )
        ports = [self.agi_port, self.ami_port, self.sip_port, self.http_port, self.web_port]
        if len(set(ports)) != len(ports):
            raise SettingsError(
                f"agi_port, ami_port, sip_port, http_port and web_port must differ (got {ports}); "
                "change one of them"
            )
        if self.rtp_start > self.rtp_end:
            raise SettingsError("rtp_start must not be above rtp_end")
        for name in ("bind_host", "trunk_ip"):
            try:
                addr = ipaddress.ip_address(getattr(self, name))
            except ValueError:
                raise SettingsError(f"{name}={getattr(self, name)!r} is not an IP address") from None
            if name == "bind_host" and not addr.is_loopback:
                raise SettingsError(
                    f"bind_host={addr} is not a loopback address; this build serves 127.0.0.1 only"
                )
        if self.agi_host:
            try:
                agi = ipaddress.IPv4Address(self.agi_host)
            except ValueError:
                raise SettingsError(f"agi_host={self.agi_host!r} is not an IPv4 address") from None
            if agi.is_unspecified:
                raise SettingsError("agi_host=0.0.0.0: name the FastAGI server's own address "
                                    "(the dialplan connects there), e.g. its WireGuard address")
        _ = self.agi_networks
        if not _SECRET.fullmatch(self.agi_secret):
            raise SettingsError("agi_secret must be at least 16 letters, digits, - or _ "
                                "(it is written into the dialplan); unset it to generate one")
        try:
            _ = self.tz
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"timezone={self.timezone!r} is not a known IANA zone") from None
        start, end = self.staffed_hours
        if start >= end:
            raise SettingsError(
                f"staffed_from {self.staffed_from} must be before staffed_until {self.staffed_until}"
            )
        if self.answer_target_s < 1:
            raise SettingsError("answer_target_s must be at least 1 second")
        _ = self.policy
        if self.sms_provider not in ("fake", "twilio"):
            raise SettingsError(f"sms_provider={self.sms_provider!r}: use 'fake' or 'twilio'")
        _quiet_start, quiet_end = self.sms_quiet_hours
        if quiet_end > start:
            raise SettingsError(f"sms_quiet_until {self.sms_quiet_until} is after staffed_from "
                                f"{self.staffed_from}: texts would wait into working time (R5)")
        try:
            for item in self.trusted_proxies.split(","):
                if item.strip():
                    ipaddress.ip_network(item.strip(), strict=False)
        except ValueError as exc:
            raise SettingsError(f"trusted_proxies: {exc}; list addresses or networks, "
                                "comma-separated") from None
        _ = self.sip_ban_exempt_networks
        _ = self.ice_mappings
        _ = self.dial_patterns
        if self.trunk_port and not 1 <= self.trunk_port <= 65535:
            raise SettingsError(f"trunk_port={self.trunk_port} is not a port (0 = no outbound "
                                "trunk)")
        if not re.fullmatch(r"\+?[0-9]{3,20}", self.outbound_caller_id):
            raise SettingsError(f"outbound_caller_id={self.outbound_caller_id!r}: the number "
                                "presented to the called party, 3 to 20 digits (e.g. 12368)")
        if not re.fullmatch(r"[0-9*#]{0,8}", self.dial_prefix):
            raise SettingsError(f"dial_prefix={self.dial_prefix!r}: at most 8 digits, * or #")
        if self.trunk_register and not (self.trunk_username and self.trunk_password):
            raise SettingsError("trunk_register needs trunk_username and trunk_password")
        for name in ("trunk_username", "trunk_password"):
            if not re.fullmatch(r"[^\s;#\[\]\\\"]{0,64}", getattr(self, name)):
                raise SettingsError(f"{name}: at most 64 characters, no spaces, ; # [ ] \\ "
                                    "or quotes (it is written into pjsip.conf)")
        if self.vhold_attempts < 1 or self.vhold_retry_s < 1:
            raise SettingsError("vhold_attempts and vhold_retry_s must be at least 1")
        if self.trunk_qualify_s < 1:
            raise SettingsError("trunk_qualify_s must be at least 1 second")
        if self.dial_ring_s < 5:
            raise SettingsError("dial_ring_s must be at least 5 seconds")
        if self.pbx_user and not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", self.pbx_user):
            raise SettingsError(f"pbx_user={self.pbx_user!r} is not an account name "
                                "(lower-case letters, digits, - and _)")
        if self.pbx_user == "root":
            raise SettingsError("pbx_user=root: name an account of its own, or \"\" to run "
                                "Asterisk as whoever starts it")
        if self.sip_ban_failures < 0:
            raise SettingsError("sip_ban_failures must be 0 (never ban) or more")
        for name in ("sip_ban_window_s", "sip_ban_minutes"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1")
        for name in ("login_attempts_per_minute", "login_hash_slots"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1")
        if self.speech_workers < 1:
            raise SettingsError("speech_workers must be at least 1")
        if self.retention_days < 0:
            raise SettingsError("retention_days must be 0 (keep everything) or more")
        for name in ("lexicon_file", "type_keywords_file"):
            path = getattr(self, name)
            if path and not os.access(path, os.R_OK):
                raise SettingsError(f"{name} {path} cannot be read; fix the path or unset "
                                    f"HOTLINE_{name.upper()}")
        if self.calendar_override and not os.access(self.calendar_override, os.R_OK):
            raise SettingsError(
                f"calendar override {self.calendar_override} cannot be read; fix the path or "
                "its permissions, or unset HOTLINE_CALENDAR_OVERRIDE"
            )
        return self


def _parse_hhmm(name: str, value: str) -> time:
    try:
        hh, mm = value.split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a time of day like 08:30") from None


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


def _coerce(name: str, raw: object) -> object:
    kind = _FIELDS[name].type
    try:
        if kind in ("int", int):
            return int(raw)  # type: ignore[arg-type]
        if kind in ("float", float):
            return float(raw)  # type: ignore[arg-type]
        if kind in ("Path", Path):
            return Path(str(raw))
        if kind == "tuple[str, ...]":  # a TOML list, or "a, b" in a HOTLINE_* variable
            items = raw if isinstance(raw, list | tuple) else str(raw).replace(",", " ").split()
            return tuple(str(item) for item in items)
        if kind in ("bool", bool):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a valid {kind}") from None
    return str(raw)


def load(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Defaults, then the TOML file, then HOTLINE_* variables, then ``overrides``."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    data_dir = Path(env.get("HOTLINE_DATA_DIR", str(overrides.get("data_dir", "var"))))
    config = env.get("HOTLINE_CONFIG") or str(data_dir / "hotline.toml")
    if os.path.exists(config):
        try:
            with open(config, "rb") as fh:
                parsed = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read settings file {config}: {exc}") from None
        for key, raw in parsed.items():
            if key not in _FIELDS:
                raise SettingsError(f"unknown setting {key!r} in {config}")
            values[key] = _coerce(key, raw)
    for name in _FIELDS:
        raw = env.get(f"HOTLINE_{name.upper()}")
        if raw is not None:
            values[name] = _coerce(name, raw)
    for name, raw in overrides.items():
        values[name] = _coerce(name, raw)
    settings = Settings(**values)  # type: ignore[arg-type]
    if not settings.ami_secret:
        settings = settings.with_(ami_secret=stored_secret(settings.data_dir, "ami.secret"))
    if not settings.agi_secret:
        settings = settings.with_(agi_secret=stored_secret(settings.data_dir, "agi.secret", 32))
    return settings.validate()


def stored_secret(data_dir: Path, name: str, nbytes: int = 18) -> str:
    """A secret (the AMI password, the FastAGI key, the links' signing key): generated once,
    kept in the data folder, readable by its owner only (0600)."""
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    return secret
