"""CPP's publish to preview behind the machine's questions (:class:`~.offer_api.OfferApi`): ``OfferPublish``.

A CPP publish runs the preview steps (validation, certification, provisioning, packaging) and then waits at the
``publisher-signoff`` step, ``waitingForPublisherReview``; the operation itself stays ``running`` until someone goes
live (``docs/cpp-api.md`` §3, §4b). So for this module a publish has *succeeded* once its sign-off step waits (the
preview is ready for go-live), or once the operation completes. The survey (GETs only): a publish still on its way to
sign-off is adopted; a go-live running is refused (it is the step after this one); a publish already waiting at
sign-off does not block a new one (a new version supersedes it), unless the offer has not changed since that
publish (its ``offerVersion`` is the offer's ``version``): then it already is what a publish would make it, and it
is recorded (this is also how a run killed during a publish finds it once it has reached sign-off). Otherwise one
POST ``.../publish``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional

from .cpp_api import OFFER_BUSY, CppOperations, newest
from .cpp_wire import waiting_for_signoff
from .inputs import GoLiveSpec
from .offer_api import PUBLISH, Adopt, AlreadyDone, Lagging, Lookable, Lookup, Post, Reading, Refuse, Survey
from .record import OperationRecord
from .resource import GOING_LIVE
from .shapes import moment
from .status import RUNNING, SUCCEEDED, squash


class CppPublishApi(CppOperations):
    """CPP's publish to preview (``POST .../publish``), the operation ``OfferPublish`` records."""

    words = PUBLISH

    def survey(self, spec: GoLiveSpec) -> Survey:
        """A go-live running refuses; a publish still on its way to sign-off is adopted; else post (an offer status
        that says an operation runs that the list does not show yet is waited for)."""
        running = self._running(spec)
        golives = [s for s in running if self._is_golive(spec, s)]
        if golives:
            golive = newest(golives)
            return Refuse(
                f"a go-live is running on offer {spec.publisher_id}/{spec.offer_id} (operation {golive.get('id')}); "
                "publish the next version once it has ended.", offer_state=GOING_LIVE)
        publish = self._publish_in_progress(spec, running)
        if publish is not None:
            return Adopt(publish)
        offer = self.client.get_offer_status(spec.publisher_id, spec.offer_id)
        if squash(offer.get("status", "")) in OFFER_BUSY and not waiting_for_signoff(offer) and not running:
            return Lagging(
                f"the offer status of {spec.publisher_id}/{spec.offer_id} says {offer.get('status')!r} but the "
                "operations list shows no running operation yet; nothing was posted")
        if waiting_for_signoff(offer):
            ready = self._preview_of_unchanged_offer(spec)
            if ready is not None:
                return AlreadyDone(ready)
        return Post()

    def _preview_of_unchanged_offer(self, spec: GoLiveSpec) -> Optional[OperationRecord]:
        """The newest publish, when the preview waiting at sign-off is it and the offer has not changed since it
        started: a publish now would certify the same version again. This is also how a run killed during a publish
        that has since reached sign-off finds its publish."""
        offer = self.client.get_offer(spec.publisher_id, spec.offer_id)
        submissions = self._of_offer(spec, self.client.list_submissions(spec.publisher_id, spec.offer_id))
        kinds = [s for s in submissions if self._is_publish(spec, s) or self._is_golive(spec, s)]
        if not kinds:
            return None
        latest = newest(kinds)
        if not self._is_publish(spec, latest) or not _unchanged_since(offer, latest):
            return None
        record = self._record(spec, latest)
        if record.status == RUNNING:  # CPP keeps a publish at sign-off running: its preview is what counts
            record = dataclasses.replace(record, status=SUCCEEDED, completed_at=self._now())
        return record

    def post(self, spec: GoLiveSpec, survey: Post) -> OperationRecord:
        """POST the publish once, with the addresses to notify; the operation its tracking header names."""
        return self._accepted(spec, self.client.post_publish(spec.publisher_id, spec.offer_id,
                                                             spec.notification_emails).url)

    def look_for(self, spec: GoLiveSpec, survey: Lookable) -> Lookup:
        """After an ambiguous or conflicting POST: the publish on its way to sign-off (ours, or another run's), or
        the go-live that blocks one."""
        running = self._running(spec)
        publish = self._publish_in_progress(spec, running)
        if publish is not None:
            return Lookup(publish)
        golives = [s for s in running if self._is_golive(spec, s)]
        if golives:
            return Lookup(other=f"a go-live is running on the offer ({newest(golives).get('id')}), so no publish "
                                "will start; publish once it has ended")
        return Lookup()

    def read(self, record: OperationRecord) -> Reading:
        """The operation; ``succeeded`` as soon as its sign-off step waits for the publisher (it stays running at
        CPP until a go-live)."""
        body, retry_after = self._operation_body(record)
        reading = self._reading(body, retry_after)
        if reading.status == RUNNING and waiting_for_signoff(body):
            return dataclasses.replace(reading, status=SUCCEEDED, unknown_word=None)
        return reading


def _unchanged_since(offer: Mapping[str, Any], publish: Mapping[str, Any]) -> bool:
    """Whether the offer is still the version ``publish`` took to preview: the publish's ``offerVersion`` is the
    offer's ``version`` (both in the documented samples), else, when an answer leaves those out, the offer's
    ``changedTime`` is no later than the publish's ``createdDateTime`` (listed in the docs' table only). When
    neither can be compared the answer is no: a new publish is what the user asked for."""
    version, published = offer.get("version"), publish.get("offerVersion")
    if _is_int(version) and _is_int(published):
        return bool(version == published)
    changed = moment(str(offer.get("changedTime") or ""))
    created = moment(str(publish.get("createdDateTime") or ""))
    return changed is not None and created is not None and changed <= created


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
