"""The words an exercise's process and the grader share: statuses, places in the learner's code,
and the record of one test, which travels between them as one JSON line."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """How an exercise ended."""

    PASS = "pass"
    FAIL = "fail"
    NOT_STARTED = "not_started"  # the stub still raises NotImplementedError
    ERROR = "error"
    TIMEOUT = "timeout"


class TestStatus(StrEnum):
    """How one test ended."""

    __test__ = False  # not a test class, though pytest would think so

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"


class Kind(StrEnum):
    """What a test's end says about the whole exercise, besides the test's own status."""

    ORDINARY = ""
    NOT_STARTED = "not_started"  # the learner has not begun: the stub raised
    GRAVE = "grave"  # the code did not load, ended the process, skipped the test or changed the grader


# Written to the process's output after each test, so that the grader knows which printing
# belongs to which test: the output and the reports come through two pipes, read apart.
END_OF_TEST = b"\x00kata: end of test\x00"


def json_line(line: bytes) -> dict | None:
    """The JSON object on one line (a request to the notebook server); None for anything else."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class Location:
    """A line of the learner's code: `file` as the learner knows it, and the notebook cell it came
    from when it came from one."""

    file: str
    line: int = 0
    code: str = ""
    cell: str = ""


@dataclass
class TestRecord:
    """What the exercise's process reports of one test, once it has run to its end."""

    __test__ = False  # not a test class, though pytest would think so

    name: str
    status: TestStatus
    message: str = ""
    kind: Kind = Kind.ORDINARY
    location: Location | None = None
    output: str = ""
    output_size: int = 0  # bytes the learner's code printed, of which `output` keeps the start
    properties: dict = field(default_factory=dict)
    seconds: float = 0.0



class Ended(StrEnum):
    """How an exercise's process ended, as the grader saw it."""

    DONE = "done"  # it reported every test
    STOPPED = "stopped"  # it stopped early and said why (the tests were interrupted or tampered with)
    TIMEOUT = "timeout"  # it used up its time, and was ended
    CRASH = "crash"  # a signal ended it
    EXIT = "exit"  # it exited before it was done
    UNREADABLE = "unreadable"  # it reported something the grader cannot read, and was ended


# What an exercise's process reports, one event at a time, in order: Ready (a fresh Python only),
# then Start and Tested for each test, and Done or Stopped at the end; Exited just before
# os._exit() ends it.
@dataclass(frozen=True)
class Ready:
    """A fresh Python has imported what it needs: its time limit starts now."""


@dataclass(frozen=True)
class Start:
    name: str  # the test that starts


@dataclass(frozen=True)
class Tested:
    record: TestRecord  # a test that has run to its end


@dataclass(frozen=True)
class Exited:
    location: Location  # where the learner's code called os._exit()


@dataclass(frozen=True)
class Stopped:
    reason: str  # why the remaining tests were not run


@dataclass(frozen=True)
class Done:
    cpu: float = 0.0  # CPU seconds the process used


@dataclass(frozen=True)
class Unreadable:
    """Not an event: what the grader received instead of one, and why it cannot be read."""

    why: str


Event = Ready | Start | Tested | Exited | Stopped | Done
MAX_EVENT = 1 << 20  # bytes: a longer line is no event, however it goes on
_NAMES = {Ready: "ready", Start: "start", Tested: "test", Exited: "exit", Stopped: "stopped", Done: "done"}
_dumps = json.dumps  # taken now, before learner code can replace it


def encode(event: Event) -> bytes:
    """`event` as one line of JSON."""
    fields = asdict(event.record) if isinstance(event, Tested) else asdict(event)
    return (_dumps({"event": _NAMES[type(event)], **fields}) + "\n").encode()


def decode(line: bytes) -> Event | Unreadable:
    """The event on one line, its every field checked; Unreadable for anything else."""
    if len(line) > MAX_EVENT:
        return Unreadable(f"a line of {len(line)} bytes")
    try:
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        kind = data.get("event")
        if kind == "ready":
            return Ready()
        if kind == "start":
            return Start(_field(data, "name", str))
        if kind == "test":
            return Tested(_record(data))
        if kind == "exit":
            return Exited(_location(_field(data, "location", dict)))
        if kind == "stopped":
            return Stopped(_field(data, "reason", str))
        if kind == "done":
            return Done(float(_field(data, "cpu", (int, float), 0.0)))
        raise ValueError(f"no such event: {str(kind)[:40]!r}")
    except (ValueError, RecursionError) as e:  # json's JSONDecodeError is a ValueError
        return Unreadable(str(e)[:200])


_MISSING = object()


def _field(data: dict, name: str, kind: type | tuple[type, ...], default=_MISSING):
    value = data.get(name, default)
    if value is _MISSING:
        raise ValueError(f"{name!r} is missing")
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ValueError(f"{name!r} has the wrong type")
    return value


def _location(data: dict) -> Location:
    return Location(_field(data, "file", str), _field(data, "line", int, 0), _field(data, "code", str, ""),
                    _field(data, "cell", str, ""))


def _record(data: dict) -> TestRecord:
    where = _field(data, "location", (dict, type(None)), None)
    return TestRecord(_field(data, "name", str), TestStatus(_field(data, "status", str)),
                      _field(data, "message", str, ""),
                      Kind(_field(data, "kind", str, "")), _location(where) if where is not None else None,
                      _field(data, "output", str, ""), _field(data, "output_size", int, 0),
                      _field(data, "properties", dict, {}), float(_field(data, "seconds", (int, float), 0.0)))
