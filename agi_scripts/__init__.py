"""FastAGI handlers, one per file, named after the path Asterisk asks for
(``AGI(agi://127.0.0.1:4573/incoming,<key>)`` runs ``agi_scripts/incoming.py``; the key,
argument 1, is checked and taken off by the server, see server.py).

A handler is short: read what the dialplan passed, ask the domain, set channel
variables; the dialplan branches on them (see dialplans/extensions.conf).
"""
