"""The course catalogue: its chapters and exercises (course.toml), hints, stubs and which exercise uses which."""
