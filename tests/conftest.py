"""Fixtures shared by tests/integration and tests/compat.

    basalt                      fresh basalt-server per test (tests.servers.Server)
    basalt_factory(extra_args=(), config_text=None, **kw) -> Server
                                start more servers with custom flags/config
    redis_oracle                session-wide Debian redis-server (flush it yourself)

A Server has .host .port .pid .proc .workdir, .client(**kw) -> redis.Redis,
.raw(**kw) -> tests.resp.RawClient, .alive, .output(), .stop().
Servers are stopped at teardown; the test fails at teardown if the server
crashed or (with BASALT_SANITIZER=tsan|asan) printed a sanitizer report.
"""

import pytest

from tests.servers import start_basalt, start_redis


def _stop_all(servers):
    problems = []
    for srv in servers:
        problems += srv.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def basalt_factory():
    started = []

    def factory(extra_args=(), config_text=None, **kw):
        __tracebackhide__ = True
        srv = start_basalt(extra_args, config_text, **kw)
        started.append(srv)
        return srv

    yield factory
    _stop_all(started)


@pytest.fixture
def basalt(basalt_factory):
    return basalt_factory()


@pytest.fixture(scope="session")
def redis_oracle():
    srv = start_redis()
    yield srv
    _stop_all([srv])
