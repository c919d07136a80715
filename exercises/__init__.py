"""The chapter's exercises: open them in order and replace each stub with your code."""
