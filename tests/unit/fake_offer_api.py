"""A scripted :class:`~pulumi_cpp_golive.offer_api.OfferApi`: the operation machine driven without HTTP.

A test says what the API answers, in order: its surveys, the results of its POSTs, what its listing shows and
what reading the operation gives. Every call is recorded, so a test can count POSTs, looks and reads. An
answer that is an exception is raised instead of returned.

Surveys, lookups and readings repeat their last answer once the others are used (a listing that stays empty,
an operation that keeps running). POSTs never do: each POST must be scripted, so a machine that posts once more
than a test allows fails it loudly.
"""

from __future__ import annotations

import dataclasses
from typing import Generic, Optional, TypeVar, Union

from pulumi_cpp_golive.errors import ApiError
from pulumi_cpp_golive.inputs import GoLiveSpec
from pulumi_cpp_golive.offer_api import GO_LIVE, Lookable, Lookup, OperationWords, Post, Reading, Survey
from pulumi_cpp_golive.record import OperationRecord
from pulumi_cpp_golive.status import RUNNING

T = TypeVar("T")
Answer = Union[T, Exception]


class Script(Generic[T]):
    """Answers given one per call, in order; with ``repeat_last``, the last one again and again once reached."""

    def __init__(self, what: str, answers: list[Answer[T]], *, repeat_last: bool) -> None:
        self._what = what
        self._answers = list(answers)
        self._repeat_last = repeat_last

    def next(self) -> T:
        if not self._answers:
            raise AssertionError(f"the machine asked for one {self._what} more than the test scripted")
        answer = self._answers[0] if self._repeat_last and len(self._answers) == 1 else self._answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclasses.dataclass(frozen=True)
class Call:
    """One call the machine made: the method's name and what it was given (the survey, the record)."""

    method: str
    given: object = None


class FakeOfferApi:
    """An :class:`~pulumi_cpp_golive.offer_api.OfferApi` that answers from scripts and records every call.

    :param name, listing: how messages name the API and its listing (e.g. ``"CPP"``, ``"operations list"``).
    :param words: the kind of operation it answers for (a second kind proves the machine is generic).
    :param surveys, posts, lookups, readings: the scripts (see the module docstring); no lookup means an empty
        listing, no reading an operation that keeps running.
    """

    def __init__(
        self,
        *,
        name: str = "CPP",
        listing: str = "operations list",
        words: OperationWords = GO_LIVE,
        surveys: Optional[list[Answer[Survey]]] = None,
        posts: Optional[list[Answer[OperationRecord]]] = None,
        lookups: Optional[list[Answer[Lookup]]] = None,
        readings: Optional[list[Answer[Reading]]] = None,
    ) -> None:
        self.name = name
        self.listing = listing
        self.words = words
        self.calls: list[Call] = []
        self._surveys = Script[Survey]("survey", surveys or [], repeat_last=True)
        self._posts = Script[OperationRecord]("POST", posts or [], repeat_last=False)
        self._lookups = Script[Lookup]("look", lookups or [Lookup()], repeat_last=True)
        self._readings = Script[Reading]("read", readings or [Reading(RUNNING)], repeat_last=True)

    def survey(self, spec: GoLiveSpec) -> Survey:
        self.calls.append(Call("survey"))
        return self._surveys.next()

    def post(self, spec: GoLiveSpec, survey: Post) -> OperationRecord:
        self.calls.append(Call("post", survey))
        return self._posts.next()

    def look_for(self, spec: GoLiveSpec, survey: Lookable) -> Lookup:
        self.calls.append(Call("look_for", survey))
        return self._lookups.next()

    def read(self, record: OperationRecord) -> Reading:
        self.calls.append(Call("read", record.operation_id))
        return self._readings.next()

    def certainly_not_started(self, exc: ApiError) -> bool:
        """As both real APIs: only a POST that was never sent."""
        return exc.code == "NotSent"

    def is_conflict(self, exc: ApiError) -> bool:
        return exc.status == 409

    def count(self, method: str) -> int:
        """How many times the machine called ``method``."""
        return sum(1 for call in self.calls if call.method == method)

    def given(self, method: str) -> list[object]:
        """What each call of ``method`` was given, in order."""
        return [call.given for call in self.calls if call.method == method]
