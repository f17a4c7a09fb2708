"""Smoke tests: the server starts, speaks RESP, works with redis-py and redis-cli."""

import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest


def test_ping(basalt):
    assert basalt.client().ping() is True


def test_set_get(basalt):
    r = basalt.client()
    assert r.set("greeting", "hello") is True
    assert r.get("greeting") == b"hello"
    assert r.get("missing") is None


def test_pipeline(basalt):
    r = basalt.client()
    pipe = r.pipeline(transaction=False)
    for i in range(100):
        pipe.set(f"k{i}", i)
    for i in range(100):
        pipe.get(f"k{i}")
    replies = pipe.execute()
    assert replies[:100] == [True] * 100
    assert replies[100:] == [str(i).encode() for i in range(100)]


def cli(server, *args, stdin=None):
    proc = subprocess.run(["redis-cli", "-h", server.host, "-p", str(server.port), *args],
                          input=stdin, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_redis_cli(basalt):
    assert cli(basalt, "PING") == "PONG\n"
    assert cli(basalt, "SET", "x", "1") == "OK\n"
    assert cli(basalt, "GET", "x") == "1\n"


def test_redis_cli_stdin(basalt):
    out = cli(basalt, stdin="SET y hello\nGET y\nPING\n")
    assert out.split("\n")[:3] == ["OK", "hello", "PONG"]


@pytest.mark.concurrency
def test_concurrent_clients(basalt):
    """Several clients at once: the server must serialise INCRs correctly."""
    threads, rounds = 8, 300

    def work(n):
        r = basalt.client()
        for i in range(rounds):
            r.incr("counter")
            r.set(f"t{n}:{i}", i)
            assert r.get(f"t{n}:{i}") == str(i).encode()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    assert basalt.client().get("counter") == str(threads * rounds).encode()
