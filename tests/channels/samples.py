"""The verbatim vendor samples shared by every channel's tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "channel-samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def load_fixture(kind: str, name: str) -> bytes:
    """A recorded payload under fixtures/<kind>/ (its doc page is in that folder's SOURCES.md)."""
    return (FIXTURES / kind / name).read_bytes()


def signature_vectors() -> dict[str, Any]:
    vectors: dict[str, Any] = json.loads(load_sample("signature_test_vectors.json"))
    return vectors
