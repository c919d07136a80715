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
    """The JSON object on one line (an event, a request); None for anything else."""
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

    def to_event(self) -> dict:
        return {"event": "test", **asdict(self)}

    @classmethod
    def from_event(cls, event: dict) -> TestRecord:
        fields = {k: v for k, v in event.items() if k in cls.__dataclass_fields__}
        where = fields.get("location")
        return cls(**{**fields, "status": TestStatus(fields["status"]), "kind": Kind(fields.get("kind", "")),
                      "location": Location(**where) if where else None})
