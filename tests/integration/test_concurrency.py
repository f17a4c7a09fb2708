"""Many clients on every worker hammering overlapping keys. The final state
must be exactly what the operations imply, and multi-key commands must be
atomic. `make tsan-test` runs these again against a ThreadSanitizer build."""

import threading

import pytest

from tests.resp import RawClient
from tests.servers import TIMEOUT_SCALE

pytestmark = pytest.mark.concurrency

THREADS = 8
OPS = 300 if TIMEOUT_SCALE == 1 else 100


def run_threads(target, n=THREADS):
    errors = []

    def wrap(i):
        try:
            target(i)
        except Exception as e:  # surfaced below: a thread's failure fails the test
            errors.append(repr(e))

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120 * TIMEOUT_SCALE)
    assert not errors, errors[:5]


@pytest.fixture
def server(basalt_factory):
    return basalt_factory(["--io-threads", "4"])


def test_incr_from_every_worker_is_exact(server):
    def work(i):
        with RawClient(server.host, server.port, timeout=30 * TIMEOUT_SCALE) as c:
            for _ in range(OPS):
                assert c.call("INCR", "counter")[0] == ":"
                assert c.call("INCRBY", f"own:{i}", 2)[0] == ":"
    run_threads(work)
    r = server.client()
    assert int(r.get("counter")) == THREADS * OPS
    for i in range(THREADS):
        assert int(r.get(f"own:{i}")) == 2 * OPS


def test_mset_is_atomic_across_shards(server):
    keys = ["alpha", "bravo", "charlie", "delta"]  # different hash slots, different shards

    def work(i):
        with RawClient(server.host, server.port, timeout=30 * TIMEOUT_SCALE) as c:
            for n in range(OPS):
                if i % 2 == 0:
                    value = f"{i}-{n}"
                    args = []
                    for k in keys:
                        args += [k, value]
                    assert c.call("MSET", *args) == ("+", b"OK")
                else:
                    kind, vals = c.call("MGET", *keys)
                    assert kind == "*"
                    seen = {v[1] for v in vals}
                    assert len(seen) == 1, f"torn MSET observed: {vals}"
    run_threads(work)
    values = server.client().mget(keys)
    assert len(set(values)) == 1


def test_rename_ping_pong_keeps_exactly_one_token(server):
    server.client().set("left", "token")

    def work(i):
        with RawClient(server.host, server.port, timeout=30 * TIMEOUT_SCALE) as c:
            src, dst = ("left", "right") if i % 2 == 0 else ("right", "left")
            for _ in range(OPS):
                reply = c.call("RENAME", src, dst)
                assert reply in (("+", b"OK"), ("-", b"ERR no such key")), reply
    run_threads(work)
    r = server.client()
    assert r.exists("left") + r.exists("right") == 1
    assert (r.get("left") or r.get("right")) == b"token"


def test_client_list_and_kill_across_workers(server):
    clients = [RawClient(server.host, server.port) for _ in range(8)]
    ids = [c.call("CLIENT", "ID")[1] for c in clients]
    r = server.client()
    listed = r.client_list()
    assert {int(c["id"]) for c in listed} >= set(ids)
    assert r.execute_command("CLIENT", "KILL", "ID", ids[3]) == 1
    remaining = {int(c["id"]) for c in r.client_list()}
    assert ids[3] not in remaining
    for c in clients:
        c.close()
