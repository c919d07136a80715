"""One module per command of `python grader.py`: each has register(subparsers, name) and run(args)."""
