"""The hotline's dialplan template; ``{{name}}`` is filled in by hotline.pbx."""
