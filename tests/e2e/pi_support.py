"""Helpers for the Product Ingestion (PI) end-to-end tests: the PI stack settings, and what the simulator's request
journal says about a PI go-live (which job the provider followed, whether anything but PI reads happened)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from pulumi_cpp_golive.simulator import Simulator

from .conftest import Stack

# A fake PI token, distinct from the CPP one (conftest.E2E_TOKEN), so that a test can tell which one was sent and
# look for leaks of either.
PI_TOKEN = "e2e-pi-secret-token-7c41d2"
PI_PREFIX = "/rp/product-ingestion/"
PI_API = "product-ingestion"
_JOB_STATUS = re.compile(r"/rp/product-ingestion/configure/([^/]+)/status")


def use_pi(stack: Stack, sim: Simulator) -> None:
    """What a user sets to move a stack to PI: ``api`` (program config) and the PI credentials (provider config)."""
    stack.config("api", PI_API)
    stack.config("cpp-golive:productIngestionUrl", sim.pi_url)
    stack.config("cpp-golive:productIngestionToken", PI_TOKEN, secret=True)


def configure_posts(sim: Simulator) -> int:
    return sim.counts().get("POST /configure", 0)


def polled_jobs(sim: Simulator) -> set[str]:
    """The job IDs whose status the provider read (``GET configure/{jobId}/status``)."""
    return {found.group(1) for r in sim.requests if (found := _JOB_STATUS.fullmatch(r.path)) is not None}


def assert_pi_only(sim: Simulator) -> None:
    """Every request went to the PI routes, with a token the simulator accepted."""
    stray = [f"{r.method} {r.path}" for r in sim.requests if not r.path.startswith(PI_PREFIX)]
    assert stray == [], f"requests outside the PI API: {stray}"
    refused = [f"{r.method} {r.path}" for r in sim.requests if not r.authorization_ok]
    assert refused == [], f"requests whose bearer token the simulator refused: {refused}"


def output(outputs: Mapping[str, Any], snake: str) -> Any:
    """An output by its snake_case name, or its camelCase one (the YAML example and the plugin's state use it)."""
    head, *rest = snake.split("_")
    return outputs.get(snake, outputs.get(head + "".join(word.title() for word in rest)))


def assert_pi_outputs(outputs: Mapping[str, Any], guid: str, job_id: str, submission: int = 1) -> None:
    """The outputs of a PI go-live this provider posted: job ID, product and submission IDs, ``succeeded``."""
    assert output(outputs, "status") == "succeeded", outputs
    assert output(outputs, "operation_id") == job_id, outputs
    assert output(outputs, "product_id") == f"product/{guid}", outputs
    assert output(outputs, "submission_id") == f"submission/{guid}/{submission}", outputs


def assert_no_token(stack: Stack, *tokens: str) -> None:
    """Neither token sits in any file of the stack's backend (state, history, backups)."""
    text = stack.state_text()
    for token in tokens:
        assert token not in text


def program_files(project: Path) -> dict[str, bytes]:
    """The files of a program as its author wrote them: everything in the project but stack config files
    (``Pulumi.<stack>.yaml``, where `pulumi config set` writes), the virtualenv and caches."""
    skipped = ("venv", ".venv", "__pycache__")
    found = {}
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not set(relative.parts) & set(skipped) and not (
                len(relative.parts) == 1 and re.fullmatch(r"Pulumi\..+\.yaml", relative.name)):
            found[str(relative)] = path.read_bytes()
    return found


PI_PROGRAM = Path(__file__).resolve().parent / "pi_program"
