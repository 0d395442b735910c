"""Configuration: bad settings stop start-up with one line saying what to fix; the
rendered Asterisk configuration stays on loopback; the dialplan and the handlers agree
on every channel variable."""

import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

from agi_scripts import variables
from hotline import pbx
from hotline.settings import SettingsError, load

HOTLINE = str(Path(sys.executable).with_name("hotline"))


def hotline(tmp_path, *args, env=None):
    return subprocess.run([HOTLINE, "--data-dir", str(tmp_path), *args], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", **(env or {})}, timeout=60)


@pytest.mark.parametrize("env, needle", [
    ({"HOTLINE_AGI_PORT": "99999"}, "agi_port=99999 is not a TCP/UDP port"),
    ({"HOTLINE_AMI_PORT": "five"}, "ami_port='five' is not a valid int"),
    ({"HOTLINE_SIP_PORT": "4573"}, "must differ"),
    ({"HOTLINE_BIND_HOST": "192.0.2.1"}, "not a loopback address"),
    ({"HOTLINE_TIMEZONE": "Mars/Olympus"}, "not a known IANA zone"),
    ({"HOTLINE_STAFFED_FROM": "18:00"}, "must be before"),
    ({"HOTLINE_CALENDAR_OVERRIDE": "/nonexistent/override.toml"}, "cannot be read"),
    ({"HOTLINE_AGI_ALLOW": "198.51.100.300"}, "agi_allow: '198.51.100.300' is not an IP address"),
    ({"HOTLINE_AGI_ALLOW": "127.0.0.1, 198.51.100.1/24"}, "198.51.100.1/24 has host bits set"),
    ({"HOTLINE_AGI_ALLOW": " "}, "agi_allow is empty"),
    ({"HOTLINE_AGI_HOST": "0.0.0.0"}, "agi_host=0.0.0.0"),
    ({"HOTLINE_AGI_HOST": "pbx.example"}, "agi_host='pbx.example' is not an IPv4 address"),
    ({"HOTLINE_AGI_SECRET": "short"}, "agi_secret must be at least 16"),
    ({"HOTLINE_AGI_SECRET": "with,a,comma,and,more,than,sixteen"}, "agi_secret must be"),
    ({"HOTLINE_ICE_HOST_CANDIDATES": "192.0.2.1"}, "ice_host_candidates: '192.0.2.1' is not"),
    ({"HOTLINE_ICE_HOST_CANDIDATES": "192.0.2.1=>nowhere"}, "is not LOCAL=>ADVERTISED"),
])
def test_bad_settings_stop_with_one_clear_line(tmp_path, env, needle):
    proc = hotline(tmp_path, "stats", env=env)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_malformed_calendar_override_is_named_in_the_error(tmp_path):
    bad = tmp_path / "override.toml"
    bad.write_text("[[closed]]\ndate = 'not a date'\n")
    proc = hotline(tmp_path, "calendar", "is-working-day", "2026-10-08",
                   env={"HOTLINE_CALENDAR_OVERRIDE": str(bad)})
    assert proc.returncode == 2
    assert str(bad) in proc.stderr and "Traceback" not in proc.stderr


def test_missing_asterisk_is_a_clear_error(tmp_path, settings):
    settings = settings.with_(asterisk_root=str(tmp_path / "none"))
    if pbx.system_installation(settings) is None:
        with pytest.raises(pbx.PbxError, match="hotline pbx provision"):
            pbx.find_installation(settings)
    proc = hotline(tmp_path, "pbx", "start",
                   env={"HOTLINE_ASTERISK_ROOT": str(tmp_path / "none"),
                        "HOTLINE_ASTERISK_BINARY": str(tmp_path / "no-asterisk")})
    assert proc.returncode == 2
    assert "asterisk_binary" in proc.stderr and "Traceback" not in proc.stderr


def test_a_settings_file_with_an_unknown_key_is_refused(tmp_path):
    (tmp_path / "hotline.toml").write_text("agi_prot = 4573\n")
    with pytest.raises(SettingsError, match="unknown setting 'agi_prot'"):
        load(environ={}, data_dir=str(tmp_path))


def test_calendar_commands(tmp_path):
    holiday = hotline(tmp_path, "calendar", "is-working-day", "2026-10-01")
    assert holiday.returncode == 1 and "closed" in holiday.stdout
    makeup = hotline(tmp_path, "calendar", "is-working-day", "2026-10-10")  # 调休 Saturday
    assert makeup.returncode == 0 and "working day" in makeup.stdout
    after = hotline(tmp_path, "calendar", "add-working-days", "2026-09-30", "1")
    assert after.stdout.strip() == "2026-10-08"
    bad = hotline(tmp_path, "calendar", "add-working-days", "2026-13-40", "1")
    assert bad.returncode == 2 and "not a date" in bad.stderr


def test_rendered_configuration_binds_loopback_only(settings):
    install = pbx.Installation("/usr/sbin/asterisk", "/usr/lib/asterisk/modules",
                               "/usr/share/asterisk")
    etc = pbx.render(settings, install, [pbx.SeatConf("seat1", "pw", "座席", "")]).parent
    text = "\n".join(p.read_text() for p in etc.glob("*.conf"))
    assert "{{" not in text
    assert f"bind = 127.0.0.1:{settings.sip_port}" in text
    assert f"bindaddr = 127.0.0.1\nport = {settings.ami_port}" in text
    assert f"agi://127.0.0.1:{settings.agi_port}" in text
    assert "servicelevel = 10" in (etc / "queues.conf").read_text()
    # deny-everything rules (ICE, STUN) are what keeps the media on loopback
    assert set(re.findall(r"(?m)^\w+_deny = (\S+)$", text)) <= {"0.0.0.0/0", "::/0"}
    text = re.sub(r"(?m)^\w+_deny = \S+$", "", text)
    addresses = set(re.findall(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", text))
    assert addresses <= {"127.0.0.1", "255.255.255.255"}


def test_ice_host_candidates_are_mapped_and_permitted_and_absent_by_default(settings):
    """The browsers' media on one machine (R1 calls carry voice): a local address Asterisk
    lists is offered as 127.0.0.1 and may be gathered; without the setting nothing but
    loopback is permitted and no mapping is written."""
    from hotline.pbx import Installation

    install = Installation("/usr/sbin/asterisk", "/usr/lib/asterisk/modules", "/usr/share/asterisk")
    etc = pbx.render(settings, install, []).parent
    plain = (etc / "rtp.conf").read_text()
    assert re.findall(r"^ice_permit = .*$", plain, re.M) == ["ice_permit = 127.0.0.1/32"]
    assert plain.rstrip().endswith("\n[ice_host_candidates]")
    mapped = settings.with_(ice_host_candidates="192.0.2.1 => 127.0.0.1, 198.51.100.4=>127.0.0.1")
    pbx.render(mapped, install, [])
    text = (etc / "rtp.conf").read_text()
    assert re.findall(r"^ice_permit = .*$", text, re.M) == [
        "ice_permit = 127.0.0.1/32", "ice_permit = 192.0.2.1/32", "ice_permit = 198.51.100.4/32"]
    assert text.split("\n[ice_host_candidates]\n")[1].split() == [
        "192.0.2.1", "=>", "127.0.0.1", "198.51.100.4", "=>", "127.0.0.1"]


def test_seat_names_that_could_break_the_configuration_are_refused():
    with pytest.raises(pbx.PbxError):
        pbx.seats_section([pbx.SeatConf("seat1]\n[evil", "pw")])


def test_template_with_a_missing_value_is_an_error():
    with pytest.raises(pbx.PbxError, match="no value for"):
        pbx.render_template("port = {{nope}}", {}, "x.conf")


def test_dialplan_and_handlers_share_one_set_of_variable_names():
    dialplan = files("dialplans").joinpath("extensions.conf").read_text()
    used = set(re.findall(r"\bHOTLINE_[A-Z_]+\b", dialplan))
    assert used == set(variables.ALL), (used ^ set(variables.ALL))


def test_debian_mirror_is_read_from_apt_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n")
    assert pbx.debian_mirror(tmp_path) == "http://mirror.example/debian"
    (tmp_path / "sources.list.d" / "debian.sources").unlink()
    with pytest.raises(pbx.PbxError, match="no Debian mirror"):
        pbx.debian_mirror(tmp_path)


def test_webrtc_seat_and_websocket_are_rendered_on_loopback(settings):
    install = pbx.Installation("/usr/sbin/asterisk", "/usr/lib/asterisk/modules",
                               "/usr/share/asterisk")
    seats = [pbx.SeatConf("seat1", "pw", "座席", "sip:seat1@127.0.0.1:5999"),
             pbx.SeatConf("web1", "pw2", "网页座席", webrtc=True)]
    etc = pbx.render(settings, install, seats).parent
    http = (etc / "http.conf").read_text()
    assert "enabled = yes" in http and "tlsenable = no" in http
    assert f"bindaddr = 127.0.0.1\nbindport = {settings.http_port}" in http
    pjsip = (etc / "pjsip.conf").read_text()
    assert "[transport-ws]\ntype = transport\nprotocol = ws\n" in pjsip
    web = pjsip.split("[web1]\ntype = endpoint\n")[1].split("\n\n")[0].splitlines()
    options = dict(line.split(" = ", 1) for line in web)
    assert options["transport"] == "transport-ws"
    for key, value in {"webrtc": "yes", "ice_support": "yes", "rtcp_mux": "yes",
                       "use_avpf": "yes", "media_encryption": "dtls",
                       "dtls_auto_generate_cert": "yes", "direct_media": "no",
                       "media_address": "127.0.0.1", "context": "hotline-seats"}.items():
        assert options[key] == value, key
    assert options["allow"].split(",")[:2] == ["alaw", "ulaw"]
    assert "[web1]\ntype = aor\nmax_contacts = 1\nremove_existing = yes\n" in pjsip
    # a SIP seat is rendered as before: plain UDP/TCP, no WebRTC options
    sip = pjsip.split("[seat1]\ntype = endpoint\n")[1].split("\n\n")[0]
    assert "webrtc" not in sip and "transport" not in sip and "ice_support" not in sip
    assert "contact = sip:seat1@127.0.0.1:5999" in pjsip
    rtp = (etc / "rtp.conf").read_text()
    assert "icesupport = yes" in rtp and "ice_permit = 127.0.0.1/32" in rtp
    assert "ice_deny = 0.0.0.0/0" in rtp and "stunaddr" not in rtp and "turnaddr" not in rtp
    modules = (etc / "modules.conf").read_text()
    for module in ("res_http_websocket.so", "res_pjsip_transport_websocket.so", "res_srtp.so",
                   "res_pjsip_refer.so"):
        assert f"load = {module}" in modules
    dialplan = (etc / "extensions.conf").read_text()
    seats_context = dialplan.split("[hotline-seats]")[1].split("\n[")[0]
    assert "Dial(PJSIP/${EXTEN}" in seats_context


def test_sip_seats_render_exactly_as_plain_sip_endpoints():
    text = pbx.seats_section([pbx.SeatConf("seat1", "pw", "座席")])
    assert text == (
        "[seat1]\ntype = endpoint\ncontext = hotline-seats\ndisallow = all\n"
        "allow = alaw,ulaw\ndtmf_mode = rfc4733\ndirect_media = no\n"
        "rtp_symmetric = yes\nforce_rport = yes\nrewrite_contact = yes\n"
        "media_address = 127.0.0.1\nbind_rtp_to_media_address = yes\n"
        "auth = seat1\naors = seat1\ncallerid = \"座席\" <seat1>\n\n"
        "[seat1]\ntype = auth\nauth_type = userpass\nusername = seat1\npassword = pw\n\n"
        "[seat1]\ntype = aor\nmax_contacts = 1\nremove_existing = yes\n")


def test_http_port_is_checked_like_the_other_ports(tmp_path):
    with pytest.raises(SettingsError, match="http_port=70000 is not a TCP/UDP port"):
        load(environ={"HOTLINE_HTTP_PORT": "70000"}, data_dir=str(tmp_path))
    with pytest.raises(SettingsError, match="must differ"):
        load(environ={"HOTLINE_HTTP_PORT": "5060"}, data_dir=str(tmp_path))
    assert load(environ={}, data_dir=str(tmp_path)).http_port == 8088
