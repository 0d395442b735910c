"""A bare SIP/UDP client for probing the PBX the way an attacker would: requests built by
hand from a chosen loopback address (127.0.0.2, 127.0.0.3 … are all this machine), the
answers' status codes and headers read back. Digest answers per RFC 2617 (MD5, qop=auth)."""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
import time
from dataclasses import dataclass, field


@dataclass
class Answer:
    code: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class SipProbe:
    def __init__(self, source: str, pbx_port: int, pbx_host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.source, self.port = self.sock.getsockname()
        self.pbx = (pbx_host, pbx_port)
        self.call_id = f"{secrets.token_hex(8)}@{source}"
        self.cseq = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> SipProbe:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, method: str, user: str, extra: str = "", body: str = "",
                uri: str | None = None) -> None:
        self.cseq += 1
        host, port = self.pbx
        uri = uri or f"sip:{host}:{port}"
        msg = (f"{method} {uri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {self.source}:{self.port};rport;"
               f"branch=z9hG4bK{secrets.token_hex(8)}\r\n"
               f"Max-Forwards: 70\r\n"
               f"From: <sip:{user}@{host}>;tag={secrets.token_hex(4)}\r\n"
               f"To: <sip:{user}@{host}>\r\n"
               f"Call-ID: {self.call_id}\r\nCSeq: {self.cseq} {method}\r\n"
               f"Contact: <sip:{user}@{self.source}:{self.port}>\r\n"
               f"{extra}"
               + ("Content-Type: application/sdp\r\n" if body else "")
               + f"Content-Length: {len(body.encode())}\r\n\r\n{body}")
        self.sock.sendto(msg.encode(), self.pbx)

    def answers(self, within: float = 2.0, until_final: bool = True) -> list[Answer]:
        """The answers that arrive within ``within`` seconds (stopping at the first final
        one when ``until_final``)."""
        got: list[Answer] = []
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65535).decode(errors="replace")
            except TimeoutError:
                break
            head = data.split("\r\n\r\n", 1)[0].split("\r\n")
            m = re.match(r"SIP/2\.0 (\d{3}) (.*)", head[0])
            if not m:
                continue  # a request from the PBX (OPTIONS…): not an answer
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            got.append(Answer(int(m.group(1)), m.group(2), headers))
            if until_final and got[-1].code >= 200:
                break
        return got

    def register(self, user: str, password: str | None = None,
                 challenge: dict[str, str] | None = None) -> Answer | None:
        """A REGISTER; with ``challenge`` (an earlier 401's WWW-Authenticate fields) it
        carries the digest made from ``password``."""
        host, port = self.pbx
        uri = f"sip:{host}:{port}"
        extra = "Expires: 60\r\n"
        if challenge is not None and password is not None:
            realm, nonce = challenge["realm"], challenge["nonce"]
            cnonce, nc = secrets.token_hex(4), "00000001"
            ha1 = _md5(f"{user}:{realm}:{password}")
            ha2 = _md5(f"REGISTER:{uri}")
            response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            opaque = f', opaque="{challenge["opaque"]}"' if "opaque" in challenge else ""
            extra += (f'Authorization: Digest username="{user}", realm="{realm}", '
                      f'nonce="{nonce}", uri="{uri}", response="{response}", '
                      f'algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"{opaque}\r\n')
        self.request("REGISTER", user, extra, uri=uri)
        final = [a for a in self.answers() if a.code >= 200]
        return final[0] if final else None


def challenge_of(answer: Answer) -> dict[str, str]:
    """The fields of a 401's WWW-Authenticate (realm, nonce, opaque, qop…)."""
    text = answer.headers.get("www-authenticate", "")
    return dict(re.findall(r'(\w+)="?([^",]*)"?', text.removeprefix("Digest ")))
