"""Signed, expiring links in the texts (R5 → R7): the token names an order and is signed
with the hotline's secret; it expires, and it is refused once the order was fed back."""

from __future__ import annotations

from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from hotline.settings import stored_secret

LINK_DAYS = 10  # feedback is due in 3 working days; a holiday week fits in 10 days


class LinkError(Exception):
    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def secret(data_dir: Path) -> str:
    """The signing key of the links, generated once into the data folder."""
    return stored_secret(data_dir, "links.secret", 32)


class Links:
    def __init__(self, key: str, base_url: str, max_age_s: int = LINK_DAYS * 86400) -> None:
        self._signer = TimestampSigner(key, salt="feedback")
        self._dept_signer = TimestampSigner(key, salt="department")
        self.base = base_url.rstrip("/")
        self.max_age_s = max_age_s

    def token(self, order_id: int) -> str:
        return self._signer.sign(str(order_id)).decode()

    def feedback_url(self, order_id: int) -> str:
        return f"{self.base}/f/{self.token(order_id)}"

    def department_url(self, department_id: int) -> str:
        """The department head's list of open orders (a link in the copy of a dispatch)."""
        return f"{self.base}/d/{self._dept_signer.sign(str(department_id)).decode()}"

    def department_id(self, token: str) -> int:
        return self._unsign(self._dept_signer, token)

    def order_id(self, token: str) -> int:
        return self._unsign(self._signer, token)

    def _unsign(self, signer: TimestampSigner, token: str) -> int:
        try:
            return int(signer.unsign(token, max_age=self.max_age_s))
        except SignatureExpired:  # a subclass of BadSignature: test it first
            raise LinkError(expired=True) from None
        except (BadSignature, ValueError):
            raise LinkError(expired=False) from None
