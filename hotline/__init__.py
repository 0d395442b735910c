"""Composition root of the 12368 hotline: settings, database, PBX control and the CLI.

The domain lives in ``workorder`` (no Asterisk, HTTP or SMS code); ``agi_scripts`` and
the AMI listener here call into it; this package is the one place that wires them.
"""
