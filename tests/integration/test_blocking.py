"""Blocking list commands against the real binary: wake-ups across workers,
FIFO fairness, exact timeouts, keys deleted or retyped while blocked,
disconnects, and pipelined input held back until the block ends."""

import threading
import time

import pytest

from tests.resp import RawClient, unwrap
from tests.servers import TIMEOUT_SCALE

T = TIMEOUT_SCALE


@pytest.fixture
def server(basalt_factory):
    return basalt_factory(["--io-threads", "4"])


def raw(server, timeout=10):
    return RawClient(server.host, server.port, timeout=timeout * T)


def blocked_clients(server):
    info = server.client().info("clients")
    return info["blocked_clients"]


def wait_blocked(server, n, limit=5.0):
    deadline = time.time() + limit * T
    while time.time() < deadline:
        if blocked_clients(server) == n:
            return
        time.sleep(0.005)
    raise AssertionError(f"blocked_clients never reached {n}: {blocked_clients(server)}")


def test_blpop_woken_by_push(server):
    with raw(server) as c:
        c.send("BLPOP", "q", "0")
        wait_blocked(server, 1)
        assert server.client().rpush("q", "a", "b") == 2
        assert unwrap(c.read_reply()) == [b"q", b"a"]
    assert server.client().lrange("q", 0, -1) == [b"b"]
    wait_blocked(server, 0)


def test_timeout_fractional_is_exact(server):
    with raw(server) as c:
        t0 = time.monotonic()
        assert c.call("BLPOP", "q", "0.2") == ("*", None)
        dt = time.monotonic() - t0
        assert 0.19 <= dt < 0.2 + 0.15 * T, dt
        t0 = time.monotonic()
        assert c.call("BLMOVE", "q", "d", "LEFT", "LEFT", "0.05") == ("*", None)
        assert c.call("BLMPOP", "0.05", "1", "q", "LEFT") == ("*", None)
        assert c.call("BRPOPLPUSH", "q", "d", "0.05") == ("*", None)
        assert time.monotonic() - t0 >= 0.14
        c.hello(3)
        assert c.call("BLPOP", "q", "0.01") == ("_", None)
        assert c.call("BLMOVE", "q", "d", "LEFT", "LEFT", "0.01") == ("_", None)
    assert blocked_clients(server) == 0


@pytest.mark.concurrency
def test_fifo_fairness_across_workers(server):
    clients = [raw(server) for _ in range(3)]
    try:
        for i, c in enumerate(clients):
            c.send("BRPOP", "q", "0")
            wait_blocked(server, i + 1)
        server.client().lpush("q", "1", "2", "3")
        got = [unwrap(c.read_reply()) for c in clients]
        assert got == [[b"q", b"1"], [b"q", b"2"], [b"q", b"3"]]
        wait_blocked(server, 0)
    finally:
        for c in clients:
            c.close()


@pytest.mark.concurrency
def test_one_element_serves_one_client(server):
    clients = [raw(server, timeout=2) for _ in range(4)]
    try:
        for i, c in enumerate(clients):
            c.send("BLPOP", "q", "0")
            wait_blocked(server, i + 1)
        server.client().rpush("q", "only")
        assert unwrap(clients[0].read_reply()) == [b"q", b"only"]
        wait_blocked(server, 3)
        server.client().rpush("q", "second")
        assert unwrap(clients[1].read_reply()) == [b"q", b"second"]
        wait_blocked(server, 2)
    finally:
        for c in clients:
            c.close()
    wait_blocked(server, 0)


def test_wake_by_lmove_into_watched_key(server):
    with raw(server) as c:
        c.send("BLMOVE", "watched", "out", "RIGHT", "LEFT", "0")
        wait_blocked(server, 1)
        r = server.client()
        r.rpush("src", "x")
        assert r.lmove("src", "watched", "LEFT", "RIGHT") == b"x"
        assert unwrap(c.read_reply()) == b"x"
        assert r.lrange("out", 0, -1) == [b"x"]
        assert r.exists("watched", "src") == 0


def test_wake_by_rename_and_copy(server):
    r = server.client()
    with raw(server) as c1, raw(server) as c2:
        c1.send("BLPOP", "k1", "0")
        c2.send("BRPOP", "k2", "0")
        wait_blocked(server, 2)
        r.rpush("tmp", "a", "b")
        r.copy("tmp", "k2")
        r.rename("tmp", "k1")
        assert unwrap(c1.read_reply()) == [b"k1", b"a"]
        assert unwrap(c2.read_reply()) == [b"k2", b"b"]


def test_deleted_and_retyped_key_while_blocked(server):
    r = server.client()
    with raw(server) as c:
        c.send("BLPOP", "k", "other", "0")
        wait_blocked(server, 1)
        r.set("k", "string now")
        r.delete("k")
        r.set("k", "string again")
        time.sleep(0.05)
        assert blocked_clients(server) == 1
        assert r.ping()
        r.delete("k")
        r.rpush("k", "finally")
        assert unwrap(c.read_reply()) == [b"k", b"finally"]


def test_string_on_one_key_list_on_other(server):
    r = server.client()
    with raw(server) as c:
        c.send("BLPOP", "a", "b", "0")
        wait_blocked(server, 1)
        r.set("a", "x")
        r.rpush("b", "v")
        # On wake-up a wrong-type key is skipped, as Redis serves the ready key.
        assert unwrap(c.read_reply()) == [b"b", b"v"]


def test_disconnect_while_blocked(server):
    c = raw(server)
    c.send("BLPOP", "q", "0")
    wait_blocked(server, 1)
    c.close()
    wait_blocked(server, 0)
    r = server.client()
    r.rpush("q", "v")
    time.sleep(0.05)
    assert r.lrange("q", 0, -1) == [b"v"]
    # The queue goes on to the next waiter after a disconnected one.
    c1, c2 = raw(server), raw(server)
    try:
        r.delete("q")
        c1.send("BLPOP", "q", "0")
        wait_blocked(server, 1)
        c2.send("BLPOP", "q", "0")
        wait_blocked(server, 2)
        c1.close()
        wait_blocked(server, 1)
        r.rpush("q", "w")
        assert unwrap(c2.read_reply()) == [b"q", b"w"]
    finally:
        c2.close()


def test_pipelined_commands_wait_for_unblock(server):
    with raw(server) as c:
        c.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n"
                   b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n")
        wait_blocked(server, 1)
        r = server.client()
        assert r.get("n") is None  # INCR has not run yet
        r.rpush("q", "v")
        assert unwrap(c.read_reply()) == [b"q", b"v"]
        assert c.read_reply() == (":", 1)
        assert unwrap(c.read_reply()) == b"hi"


def test_blmpop_and_count(server):
    with raw(server) as c:
        c.send("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2")
        wait_blocked(server, 1)
        server.client().rpush("b", "1", "2", "3")
        assert unwrap(c.read_reply()) == [b"b", [b"3", b"2"]]


def test_timeout_then_push_not_lost(server):
    with raw(server) as c:
        assert c.call("BLPOP", "q", "0.05") == ("*", None)
        server.client().rpush("q", "v")
        assert c.call("LRANGE", "q", "0", "-1") == ("*", [("$", b"v")])


@pytest.mark.concurrency
def test_producers_consumers_exact(server):
    n_consumers, per = 6, 50
    total = n_consumers * per
    got = []
    lock = threading.Lock()
    errors = []

    def consume(_):
        try:
            with raw(server, timeout=30) as c:
                for _ in range(per):
                    reply = unwrap(c.call("BRPOP", "jobs", "alt", "10"))
                    assert reply is not None
                    with lock:
                        got.append(reply[1])
        except Exception as e:
            errors.append(repr(e))

    def produce(i):
        try:
            with raw(server, timeout=30) as c:
                for j in range(total // 2):
                    key = "jobs" if j % 2 else "alt"
                    if j % 3 == 0:
                        c.call("RPUSH", "staging" + str(i), f"{i}-{j}")
                        assert c.call("LMOVE", "staging" + str(i), key, "LEFT", "LEFT")[0] == "$"
                    else:
                        c.call("LPUSH", key, f"{i}-{j}")
        except Exception as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(n_consumers)]
    threads += [threading.Thread(target=produce, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120 * T)
    assert not errors, errors[:3]
    assert len(got) == total and len(set(got)) == total
    assert server.client().exists("jobs", "alt") == 0
    wait_blocked(server, 0)


@pytest.mark.concurrency
def test_timeouts_racing_pushes(server):
    errors = []

    def work(i):
        try:
            with raw(server, timeout=30) as c:
                for j in range(40):
                    reply = c.call("BLPOP", f"r{i % 3}", "0.01")
                    assert reply[0] == "*"
                    c.call("RPUSH", f"r{(i + 1) % 3}", "x")
        except Exception as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120 * T)
    assert not errors, errors[:3]
    wait_blocked(server, 0)
    assert server.client().ping()


def test_client_list_flag_and_idle_timeout(server):
    r = server.client()
    r.config_set("timeout", "1")
    try:
        with raw(server) as c:
            c.send("BLPOP", "q", "0")
            wait_blocked(server, 1)
            lines = r.execute_command("CLIENT", "LIST").decode().splitlines()
            assert any("flags=b" in line and "cmd=blpop" in line for line in lines), lines
            time.sleep(1.6)  # past the idle timeout: a blocked client is not idle
            assert blocked_clients(server) == 1
            r2 = server.client()
            r2.rpush("q", "v")
            assert unwrap(c.read_reply()) == [b"q", b"v"]
    finally:
        server.client().config_set("timeout", "0")


def test_lmove_wakes_in_order_then_next(server):
    r = server.client()
    with raw(server) as a, raw(server) as b:
        a.send("BLPOP", "q", "0")
        wait_blocked(server, 1)
        b.send("BLPOP", "q", "0")
        wait_blocked(server, 2)
        r.rpush("tmp", "x")
        assert r.lmove("tmp", "q", "LEFT", "LEFT") == b"x"
        assert unwrap(a.read_reply()) == [b"q", b"x"]
        wait_blocked(server, 1)
        r.rpush("q", "second")
        assert unwrap(b.read_reply()) == [b"q", b"second"]


def test_served_from_first_ready_key(server):
    r = server.client()
    with raw(server) as c:
        c.send("BLPOP", "a", "b", "0")
        wait_blocked(server, 1)
        p = r.pipeline(transaction=False)
        p.rpush("b", "from-b")
        p.rpush("a", "from-a")
        p.execute()
        assert unwrap(c.read_reply()) == [b"b", b"from-b"]
        assert r.lrange("a", 0, -1) == [b"from-a"]
    with raw(server) as c:
        c.send("BLMPOP", "0", "2", "x", "y", "LEFT", "COUNT", "5")
        wait_blocked(server, 1)
        p = r.pipeline(transaction=False)
        p.rpush("y", "1", "2")
        p.rpush("x", "3")
        p.execute()
        assert unwrap(c.read_reply()) == [b"y", [b"1", b"2"]]


def test_waiters_of_other_types_are_skipped(server):
    r = server.client()
    with raw(server) as probe:
        if probe.call("BZPOPMIN", "nokey", "0.001")[0] == "-":
            pytest.skip("sorted sets not registered")
    with raw(server) as z, raw(server) as l:
        z.send("BZPOPMIN", "k", "0")
        wait_blocked(server, 1)
        l.send("BLPOP", "k", "0")
        wait_blocked(server, 2)
        r.rpush("k", "v")  # the zset waiter is first but can't take a list
        assert unwrap(l.read_reply()) == [b"k", b"v"]
        wait_blocked(server, 1)
        r.zadd("k", {"m": 1})
        assert unwrap(z.read_reply()) == [b"k", b"m", b"1"]
    wait_blocked(server, 0)
