"""The caller's side of the line: the menu decision and the Chinese prompts."""
