"""The words the simulated CPP speaks: API version, status spellings, VM publishing steps.

Statuses are held internally in their camelCase spelling (what the samples and real clients use, docs/cpp-api.md §4b/§5)
and spelled per ``SimulatorConfig.status_case`` only when a response is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

API_VERSION = "2017-10-31"
OFFER_TYPE_ID = "microsoft-azure-virtualmachines"

# Operation / submission outcomes.
RUNNING = "running"
COMPLETE = "complete"
FAILED = "failed"
CANCELED = "canceled"

# Offer-level words (the /status and offer objects).
NEVER_PUBLISHED = "neverPublished"
WAITING_FOR_PUBLISHER_REVIEW = "waitingForPublisherReview"
SUCCEEDED = "succeeded"

# Step-level words.
NOT_STARTED = "notStarted"
IN_PROGRESS = "inProgress"

# A word no source lists: lets a test check that a client treats unknown statuses as "still running".
UNKNOWN_STATUS = "Validating"

# Submission types (docs/cpp-api.md §4a: casing of the go-live value is unconfirmed; "goLive" is this fake's choice).
PUBLISH = "publish"
GOLIVE = "goLive"
CANCEL = "cancel"

STATUS_CASES = ("camel", "pascal")

# The offer-status table (PascalCase) says "Completed" where the samples say "complete"; everything else is a plain
# capitalisation.
_PASCAL_EXCEPTIONS = {COMPLETE: "Completed"}


def spell(word: str, status_case: str) -> str:
    """Spell a camelCase status word in the configured case (``camel`` or ``pascal``)."""
    if status_case == "pascal":
        return _PASCAL_EXCEPTIONS.get(word, word[:1].upper() + word[1:])
    return word


def matches(word: str, wanted: str) -> bool:
    """Whether a filter value (any case, either spelling) names the camelCase status ``word``."""
    folded = wanted.strip().lower()
    return folded in (word.lower(), spell(word, "pascal").lower())


@dataclass(frozen=True)
class StepSpec:
    """One step of the VM publishing flow, as the docs' operation sample lists it."""

    id: str
    name: str
    description: str
    estimated_time_frame: Optional[str]


# Order, ids, names, descriptions and time frames follow the "Retrieve operations" sample (docs/cpp-api.md §4b).
VM_STEPS: Tuple[StepSpec, ...] = (
    StepSpec("displaydummycertify", "Validate Pre-Requisites", "Offer settings provided are validated", "< 15 min"),
    StepSpec("displaycertify", "Certification", "Your offer is analyzed by our certification systems for issues.",
             "< 5 day"),
    StepSpec("displayprovision", "Provisioning", "Your virtual machine is being replicated in our production systems.",
             "< 1 day"),
    StepSpec("displaypackage", "Packaging and Lead Generation Registration",
             "Your virtual machine is packaged for being shown to your customers. Additionally, we hookup our lead "
             "generation systems to send leads for your offer.", "< 1 hour"),
    StepSpec("publisher-signoff", "Publisher signoff",
             "Offer is available to preview. Ensure that everything looks good before making your offer live.", None),
    StepSpec("live", "Live", "Offer is publicly visible and is available for purchase.", "~2-5 days"),
)

# The first four steps are the preview part that a publish runs through before publisher sign-off.
PREVIEW_STEPS = 4

FAILURE_MESSAGE = "Certification failed: simulated failure"
