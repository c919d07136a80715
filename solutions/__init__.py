"""Reference answers to the chapter's exercises, file for file."""
