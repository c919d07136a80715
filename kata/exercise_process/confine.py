"""Keeping a process that runs learner code apart from every other: no file descriptor but its
own, and, when the grader runs as root, a user of its own with caps on what it may use.

Each function is called in the new process (a fork, or a fresh Python) before any learner
code runs, in this order: keep_only, then limit and become, which only root may do.
"""

from __future__ import annotations

import contextlib
import os
import signal

# What learner code may use when it runs as a user of its own. A test's tensors are tiny: these
# leave room for any honest exercise and stop a runaway one before it harms the machine.
FILE_BYTES = 64 << 20  # the largest file it may write
MEMORY_BYTES = 4 << 30  # address space it may add to what the warm grader already maps
PROCESSES = 128  # processes and threads of its user, all together


def keep_only(*fds: int) -> None:
    """Close every inherited file descriptor but standard input, output and error, and `fds`
    (which keep their numbers): a fork of the grader holds the pipes of every other running
    exercise, and learner code could read or write them."""
    keep = sorted({0, 1, 2, *fds})
    for low, high in zip(keep, [*keep[1:], None]):
        if high is None:
            os.closerange(low + 1, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536)
        elif high > low + 1:
            os.closerange(low + 1, high)


def _mapped_bytes() -> int:
    """The address space this process maps now (Linux); 0 where that is not told."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def limit() -> None:
    """Caps on file size, memory and processes. A write past the file cap fails with an
    OSError (rather than a signal that ends the process without a word)."""
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    caps = [(resource.RLIMIT_FSIZE, FILE_BYTES), (resource.RLIMIT_NPROC, PROCESSES)]
    mapped = _mapped_bytes()
    if mapped:
        caps.append((resource.RLIMIT_AS, mapped + MEMORY_BYTES))
    for which, value in caps:
        with contextlib.suppress(ValueError, OSError):  # a cap already lower stays as it is
            soft, hard = resource.getrlimit(which)
            if hard == resource.RLIM_INFINITY or value < hard:
                resource.setrlimit(which, (value, value))


def become(uid: int, gid: int) -> None:
    """Go on as the user (uid, gid), with no other group, for good."""
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
