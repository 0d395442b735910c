"""The one base of the errors the hotline expects.

A :class:`DomainError` is a request the hotline cannot take as asked (an unknown order, a
stale edit, a bad phone number, a file that breaks the rules): its message says why and
what to do, and every entry point shows it as such — the command line in one line (exit
status 2), a page as a 4xx answer, a FastAGI handler by sending the caller down the
dialplan's other branch. Anything else that escapes is a bug and is shown with its trace
(the command line exits 1, a page answers 500 and the trace is logged). Domain errors are
not ``ValueError``: a ``ValueError`` from a bug must never pass for a user's mistake.
"""

from __future__ import annotations

__all__ = ["DomainError"]


class DomainError(Exception):
    """A request the hotline cannot take as asked; the message says why and what to do."""
