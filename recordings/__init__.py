"""Recordings of seat calls and after-hours messages: where they live and how named."""
