from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.email.certs import SelfSignedCert, make_cert
from tests.email.dovecot import DOVECOT, Dovecot, running_dovecot

FIXTURES = Path(__file__).parent / "fixtures"
_folders = itertools.count(1)


@pytest.fixture
def eml() -> Callable[[str], bytes]:
    def load(name: str) -> bytes:
        return (FIXTURES / f"{name}.eml").read_bytes()

    return load


@pytest.fixture
def cert(tmp_path: Path) -> SelfSignedCert:
    return make_cert(tmp_path)


@contextmanager
def _dovecot_instance() -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        pytest.skip("Dovecot is not installed (apt-get install -y dovecot-imapd)")
    # Not under pytest's tmp_path: its parents are 0700, and Dovecot's auth and mail
    # processes run as other users who must reach the passwd file and the Maildir.
    root = Path(tempfile.mkdtemp(prefix="meridian-dovecot-"))
    try:
        with running_dovecot(root) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def shared_dovecot() -> Iterator[Dovecot]:
    with _dovecot_instance() as server:
        yield server


@pytest.fixture
def mailbox(shared_dovecot: Dovecot) -> Dovecot:
    """A fresh, empty folder on the shared server."""
    return shared_dovecot.in_folder(f"Test{next(_folders)}")


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A server of the test's own, for tests that stop and start it."""
    with _dovecot_instance() as server:
        yield server
