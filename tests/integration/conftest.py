"""pytest fixtures shared by the numbered scenarios (see README.md).

Every process a scenario starts is stopped in a fixture finaliser, also
when the scenario fails: `relay` and `relays` stop their relays, and the
autouse `no_process_left` kills (and reports) anything still running that
harness.Process started, whoever started it."""
import pytest

import harness


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The test PKI (tests/unit/mkpki.sh), once per session."""
    return harness.Pki(tmp_path_factory.mktemp("pki") / "pki")


@pytest.fixture()
def relays(tmp_path, pki):
    """A factory: relays(**kw) makes and starts a harness.Relay (kw as for
    Relay: rid, serve, extra, ...; pki= another PKI, e.g. fed_pki's for a
    relay-46). Every relay it made is stopped after the test, cleanly (exit
    0 is checked) if the test passed, killed otherwise."""
    made = []

    def make(start=True, **kw):
        r = harness.Relay(tmp_path / f"r{len(made)}", kw.pop("pki", None) or
                          pki, **kw)
        made.append(r)
        return r.start() if start else r
    yield make
    errors = []
    for r in made:
        if r.process.alive():
            try:
                r.stop()
            except AssertionError as e:
                errors.append(str(e))
    assert not errors, "\n".join(errors)


@pytest.fixture()
def relay(relays):
    """A running relay-45 serving prefecture 45 and mic; stopped cleanly
    (exit 0) after the test."""
    return relays()


@pytest.fixture(scope="session")
def fed_pki(tmp_path_factory):
    """The federation PKI of fedharness.FedPki (root; CAs 45, 46, 13,
    national; certificates issued on demand), once per session."""
    import fedharness
    return fedharness.FedPki(tmp_path_factory.mktemp("fedpki") / "pki")


@pytest.fixture()
def federation(tmp_path, fed_pki):
    """A fedharness.Federation to build and start (federation.standard()
    .start(), then .node(...)); after the test its nodes and relays are
    stopped (cleanly, exit 0 checked) and its fault proxies closed, also
    when the test failed."""
    import fedharness
    f = fedharness.Federation(tmp_path, fed_pki)
    try:
        yield f
    finally:
        f.close()


@pytest.fixture(autouse=True)
def no_process_left():
    """After every test (and its other finalisers): nothing it started is
    still running. What is left is killed, and the test errors."""
    yield
    left = harness.reap()
    assert not left, f"processes left running, killed: {left}"


def pytest_collection_modifyitems(items):
    # numbered scenarios run in their order
    items.sort(key=lambda i: i.fspath.basename)
