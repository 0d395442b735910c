"""Asterisk configuration templates; ``{{name}}`` is filled in by hotline.pbx."""
