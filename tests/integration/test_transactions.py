"""Transactions driven by real clients: redis-py pipelines and WATCH retry
loops, then isolation under load from every worker (marked concurrency: run
again under ThreadSanitizer): compare-and-set counters stay exact, readers
never see half of an EXEC, and a watch is broken by writes from any worker."""

import threading

import pytest
import redis

from tests.resp import RawClient
from tests.servers import TIMEOUT_SCALE

THREADS = 6
OPS = 150 if TIMEOUT_SCALE == 1 else 40


@pytest.fixture
def server(basalt_factory):
    return basalt_factory(["--io-threads", "4"])


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
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    assert not errors, errors[:5]


def raw(server):
    return RawClient(server.host, server.port, timeout=30 * TIMEOUT_SCALE)


# ---------------------------------------------------------------- redis-py


def test_pipeline_transaction(server):
    r = server.client()
    with r.pipeline(transaction=True) as p:
        p.set("a", 1).incr("a").incrby("a", 5).get("a").rpush("l", "x", "y").lrange("l", 0, -1)
        assert p.execute() == [True, 2, 7, b"7", 2, [b"x", b"y"]]


def test_pipeline_runtime_error_keeps_other_results(server):
    r = server.client()
    r.set("s", "text")
    with r.pipeline(transaction=True) as p:
        p.set("a", 1).incr("s").incr("a")
        res = p.execute(raise_on_error=False)
    assert res[0] is True and res[2] == 2
    assert isinstance(res[1], redis.ResponseError)
    assert r.get("a") == b"2"


def test_pipeline_queue_error_aborts(server):
    r = server.client()
    with r.pipeline(transaction=True) as p:
        p.set("a", 1)
        p.execute_command("NOSUCHCOMMAND")
        with pytest.raises(redis.ResponseError):
            p.execute()
    assert r.get("a") is None


def test_watch_retry_loop(server):
    r = server.client()
    other = server.client()
    r.set("balance", 100)
    attempts = []

    def debit(pipe):
        attempts.append(1)
        balance = int(pipe.get("balance"))
        if len(attempts) == 1:
            other.incrby("balance", 50)  # breaks the watch once
        pipe.multi()
        pipe.set("balance", balance - 30)

    r.transaction(debit, "balance")
    assert len(attempts) == 2
    assert r.get("balance") == b"120"


def test_watch_error_on_changed_key(server):
    r = server.client()
    other = server.client()
    with r.pipeline(transaction=True) as p:
        p.watch("k")
        other.set("k", "changed")
        p.multi()
        p.set("k", "mine")
        with pytest.raises(redis.WatchError):
            p.execute()
    assert r.get("k") == b"changed"


def test_resp3_transaction(server):
    with server.raw() as c:
        assert c.call("HELLO", 3)[0] == "%"
        for cmd in (("MULTI",), ("HSET", "h", "f", "v"), ("HGETALL", "h")):
            c.call(*cmd)
        assert c.call("EXEC") == ("*", [(":", 1), ("%", [(("$", b"f"), ("$", b"v"))])])
        c.call("WATCH", "h")
        c.call("DEL", "h")
        c.call("MULTI")
        assert c.call("EXEC") == ("_", None)


def test_eviction_breaks_watch(server):
    r = server.client()
    other = server.client()
    with r.pipeline() as p:
        for n in range(3000):
            p.set(f"k{n}", n)
        p.execute()
    with server.raw() as c:
        assert c.call("WATCH", "k7") == ("+", b"OK")
        other.config_set("maxmemory-policy", "allkeys-random")
        other.config_set("maxmemory", 1)
        try:
            for _ in range(1000):
                if not other.exists("k7"):
                    break
                try:
                    other.set("trigger", 1)  # evicts before being refused
                except redis.ResponseError:
                    pass
        finally:
            other.config_set("maxmemory", 0)
            other.config_set("maxmemory-policy", "noeviction")
        assert not other.exists("k7")
        c.call("MULTI")
        c.call("PING")
        assert c.call("EXEC") == ("*", None)


# ---------------------------------------------------------------- under load


@pytest.mark.concurrency
def test_cas_increments_are_exact(server):
    def work(i):
        with raw(server) as c:
            done = 0
            while done < OPS:
                assert c.call("WATCH", "cas") == ("+", b"OK")
                v = c.call("GET", "cas")[1]
                n = int(v) if v is not None else 0
                assert c.call("MULTI") == ("+", b"OK")
                assert c.call("SET", "cas", n + 1) == ("+", b"QUEUED")
                reply = c.call("EXEC")
                if reply[1] is not None:
                    assert reply == ("*", [("+", b"OK")])
                    done += 1
                else:
                    # A failed EXEC leaves nothing behind: the next
                    # transaction (no WATCH) must run.
                    c.call("MULTI")
                    c.call("INCR", f"other:{i}")
                    assert c.call("EXEC")[1] is not None
    run_threads(work)
    assert int(server.client().get("cas")) == THREADS * OPS


@pytest.mark.concurrency
def test_readers_never_see_half_a_transaction(server):
    # Different hash slots: different shards, locked together only by EXEC.
    keys = ["alpha", "bravo", "charlie"]
    stop = threading.Event()
    writers = THREADS // 2

    def work(i):
        with raw(server) as c:
            if i < writers:
                for _ in range(OPS):
                    c.call("MULTI")
                    for k in keys:
                        c.call("INCR", k)
                    reply = c.call("EXEC")
                    assert reply[0] == "*" and len(reply[1]) == len(keys)
            else:
                while not stop.is_set():
                    reply = c.call("MGET", *keys)
                    values = {v[1] for v in reply[1]}
                    assert len(values) == 1, reply
    readers = [threading.Thread(target=lambda i=i: reader_wrap(i)) for i in range(writers, THREADS)]
    errors = []

    def reader_wrap(i):
        try:
            work(i)
        except Exception as e:
            errors.append(repr(e))

    for t in readers:
        t.start()
    try:
        run_threads(work, writers)
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=60 * TIMEOUT_SCALE)
    assert not errors, errors[:5]
    r = server.client()
    assert [int(v) for v in r.mget(keys)] == [writers * OPS] * len(keys)


@pytest.mark.concurrency
def test_watch_broken_from_every_worker(server):
    # Several connections land on different workers (round-robin/reuseport).
    writers = [raw(server) for _ in range(8)]
    try:
        with raw(server) as c:
            for n in range(40):
                w = writers[n % len(writers)]
                assert c.call("WATCH", "wk") == ("+", b"OK")
                assert w.call("SET", "wk", n)[0] == "+"
                c.call("MULTI")
                c.call("SET", "wk", "mine")
                assert c.call("EXEC") == ("*", None)
                assert w.call("GET", "wk") == ("$", str(n).encode())
    finally:
        for w in writers:
            w.close()


@pytest.mark.concurrency
def test_keyspace_wide_and_server_commands_inside_exec_under_load(server):
    def work(i):
        with raw(server) as c:
            for n in range(OPS // 3):
                if i % 3 == 0:
                    c.call("MULTI")
                    c.call("INCR", "x")
                    c.call("DBSIZE")
                    c.call("KEYS", "nosuch*")
                    c.call("INCR", "y")
                    reply = c.call("EXEC")
                    assert reply[0] == "*" and len(reply[1]) == 4
                elif i % 3 == 1:
                    c.call("MULTI")
                    c.call("INCR", "x")
                    c.call("CLIENT", "LIST")
                    c.call("INFO", "clients")
                    # A script asking every worker, from inside EXEC.
                    c.call("EVAL", "return #redis.call('INFO', 'clients')", 0)
                    c.call("INCR", "y")
                    reply = c.call("EXEC")
                    assert reply[0] == "*" and len(reply[1]) == 5, reply
                else:
                    c.call("INCR", "x")
                    c.call("INCR", "y")
                    c.call("CLIENT", "LIST")
    run_threads(work)
    r = server.client()
    assert r.get("x") == r.get("y")
    assert int(r.get("x")) == THREADS * (OPS // 3)


@pytest.mark.concurrency
def test_watchers_come_and_go_while_keys_change(server):
    keys = [f"key:{n}" for n in range(16)]

    def work(i):
        for _ in range(OPS // 10):
            with raw(server) as c:  # disconnecting while watching must unregister
                for n in range(10):
                    k = keys[(i + n) % len(keys)]
                    if i % 2 == 0:
                        c.call("WATCH", k, keys[(i + n + 3) % len(keys)])
                        if n % 3 == 0:
                            c.call("UNWATCH")
                        elif n % 3 == 1:
                            c.call("MULTI")
                            c.call("GET", k)
                            c.call("EXEC")
                    else:
                        c.call("SET", k, n, "PX", 5)
                        c.call("DEL", keys[(i + n + 1) % len(keys)])
    run_threads(work)
    with raw(server) as c:
        assert c.call("PING") == ("+", b"PONG")
