"""pytest fixtures shared by the numbered scenarios (see README.md)."""
import pytest

import harness


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The test PKI (tests/unit/mkpki.sh), once per session."""
    return harness.Pki(tmp_path_factory.mktemp("pki") / "pki")


@pytest.fixture()
def relay(tmp_path, pki):
    """A running relay-45 serving prefecture 45 and mic; stopped cleanly
    (exit 0) after the test."""
    r = harness.Relay(tmp_path, pki).start()
    yield r
    if r.process.alive():
        r.stop()


def pytest_collection_modifyitems(items):
    # numbered scenarios run in their order
    items.sort(key=lambda i: i.fspath.basename)
