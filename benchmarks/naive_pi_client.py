"""The Product Ingestion baseline: the short script a team would write instead of using this package.

Find the product by external ID, read its submission listing for the preview submission's ID, POST the go-live
(``configure``, docs/product-ingestion-api.md §3), then ``sleep(interval)`` + GET the job until it reads ``completed``.
No adoption of a go-live already running, no watch of the live submission's rollout (so it returns while the
rollout still runs, when the job completes first), no ``Retry-After``, no retries, no paging. Plain ``requests``;
nothing from pulumi_cpp_golive.
"""

from __future__ import annotations

from typing import Any, Callable

import requests

VERSION = "2022-07-01"
SCHEMAS = "https://schema.mp.microsoft.com/schema/"


class NaivePiError(RuntimeError):
    """The naive script gave up (no product, no preview submission, or more polls than allowed)."""


def _get(url: str, headers: dict[str, str]) -> Any:
    answer = requests.get(url, params={"$version": VERSION}, headers=headers, timeout=30)
    answer.raise_for_status()
    return answer.json()


def naive_pi_golive(base: str, token: str, offer: str, interval: float, sleep: Callable[[float], object],
                    max_polls: int = 100_000) -> str:
    """Send the product whose external ID is ``offer`` live and wait for its configure job to complete.

    ``base`` is the PI base URL (``.../rp/product-ingestion``). Returns the job ID.
    """
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    products = requests.get(f"{base}/product", params={"externalId": offer, "$version": VERSION},
                            headers=headers, timeout=30)
    products.raise_for_status()
    found = products.json().get("value") or []
    if not found:
        raise NaivePiError(f"no product has the external ID {offer!r}")
    product = str(found[0]["id"])
    listing = _get(f"{base}/submission/{product.removeprefix('product/')}", headers).get("value") or []
    preview = next((s["id"] for s in listing if s.get("target", {}).get("targetType") == "preview"), None)
    if preview is None:
        raise NaivePiError(f"{product} has no preview submission")
    body = {
        "$schema": SCHEMAS + "configure/2022-03-01-preview2",
        "resources": [{"$schema": SCHEMAS + "submission/2022-03-01-preview2", "id": preview, "product": product,
                       "target": {"targetType": "live"}}],
    }
    answer = requests.post(f"{base}/configure", params={"$version": VERSION}, json=body, headers=headers, timeout=30)
    answer.raise_for_status()
    job = answer.json()
    job_id = str(job.get("jobId") or job.get("jobID"))
    for _ in range(max_polls):
        sleep(interval)
        if _get(f"{base}/configure/{job_id}/status", headers).get("jobStatus") == "completed":
            return job_id
    raise NaivePiError(f"job {job_id} still running after {max_polls} polls")
