"""Fixtures for compatibility tests: Basalt vs Debian's redis-server.

    compat_servers   session ServerPair (.redis, .basalt: tests.servers.Server)
    compat           per test: both servers FLUSHALLed, fresh RawClients;
                     compat.check(*args, unordered=False), compat.both(*args),
                     compat.check_seq(cmds), compat.check_raw(bytes, replies=1),
                     compat.hello(3), compat.connect(), compat.redis / compat.basalt
"""

import time

import pytest

from tests.compat.helpers import Compat, ServerPair, death_report


@pytest.fixture(scope="session")
def compat_servers():
    pair = ServerPair()
    try:
        pair.ensure()
        yield pair
    finally:
        problems = pair.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def compat(compat_servers):
    if problems := compat_servers.ensure():
        pytest.fail("A server died (now restarted):\n"
                    + "\n".join(problems), pytrace=False)
    c = Compat(compat_servers)
    for srv, client in ((compat_servers.redis, c.redis), (compat_servers.basalt, c.basalt)):
        try:
            reply = client.call("FLUSHALL")
        except OSError as e:
            for _ in range(50):  # it may be busy crashing: wait, then report its output
                if not srv.alive:
                    break
                time.sleep(0.1)
            pytest.fail(f"FLUSHALL on {srv.name} failed: {e!r}\n"
                        + "\n".join(compat_servers.ensure()), pytrace=False)
        assert reply == ("+", b"OK"), f"FLUSHALL on {srv.name} failed: {reply}"
    yield c
    c.close()
    problems = []
    for srv in (compat_servers.redis, compat_servers.basalt):
        if not srv.alive:
            problems += death_report(srv, "during this test")
        elif report := srv.check_sanitizer():
            problems += [f"{srv.name} sanitizer report(s) during this test:", report]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
