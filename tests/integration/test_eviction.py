"""maxmemory and eviction: memory stays bounded by evicting keys per
maxmemory-policy; under noeviction, denyoom commands are refused."""

import pytest

from tests.resp import RawClient

OOM = ("-", b"OOM command not allowed when used memory > 'maxmemory'.")


def fill(client, prefix, n, value=b"x" * 1000, ttl=None):
    for i in range(n):
        args = ["SET", f"{prefix}:{i}", value] + (["EX", ttl] if ttl else [])
        client.send(*args)
    for _ in range(n):
        client.read_reply()


def used_memory(client):
    info = client.call("INFO", "memory")[1].decode()
    return int(dict(l.split(":", 1) for l in info.splitlines() if ":" in l)["used_memory"])


def evicted(client):
    info = client.call("INFO", "stats")[1].decode()
    return int(dict(l.split(":", 1) for l in info.splitlines() if ":" in l)["evicted_keys"])


def test_noeviction_refuses_writes_but_serves_reads(basalt):
    with RawClient(basalt.host, basalt.port) as c:
        c.call("SET", "kept", "v")
        c.call("CONFIG", "SET", "maxmemory", "1")
        assert c.call("SET", "k", "v") == OOM
        assert c.call("GET", "kept") == ("$", b"v")
        assert c.call("DEL", "kept") == (":", 1)  # DEL is not denyoom
        c.call("CONFIG", "SET", "maxmemory", "0")
        assert c.call("SET", "k", "v") == ("+", b"OK")


@pytest.mark.parametrize("policy", ["allkeys-random", "allkeys-lru", "allkeys-lfu"])
def test_allkeys_policies_keep_memory_bounded(basalt, policy):
    with RawClient(basalt.host, basalt.port, timeout=30) as c:
        base = used_memory(c)
        limit = base + 2 * 1024 * 1024
        c.call("CONFIG", "SET", "maxmemory-policy", policy)
        c.call("CONFIG", "SET", "maxmemory", str(limit))
        fill(c, "k", 10000)  # ~10 MB of values into a 2 MB budget
        assert evicted(c) > 0
        assert used_memory(c) < limit + 512 * 1024
        dbsize = c.call("DBSIZE")[1]
        assert 0 < dbsize < 10000


def test_volatile_ttl_evicts_only_keys_with_a_ttl(basalt):
    with RawClient(basalt.host, basalt.port, timeout=30) as c:
        fill(c, "persistent", 200)
        base = used_memory(c)
        c.call("CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
        c.call("CONFIG", "SET", "maxmemory", str(base + 1024 * 1024))
        fill(c, "volatile", 3000, ttl=1000)
        assert evicted(c) > 0
        for i in range(200):
            assert c.call("EXISTS", f"persistent:{i}") == (":", 1)


@pytest.mark.parametrize("policy", ["allkeys-random", "volatile-lru"])
def test_a_few_keys_are_still_found_to_evict(basalt, policy):
    """A handful of large keys over thousands of shards: eviction must find
    them (random probes alone mostly hit empty shards)."""
    with RawClient(basalt.host, basalt.port, timeout=30) as c:
        c.call("FLUSHALL")
        base = used_memory(c)
        c.call("CONFIG", "SET", "maxmemory-policy", policy)
        c.call("CONFIG", "SET", "maxmemory", str(base + 3 * 1024 * 1024))
        big = b"x" * (1024 * 1024)
        for i in range(6):
            reply = c.call("SET", f"big:{i}", big, "EX", 1000)
            assert reply == ("+", b"OK"), (i, reply)
        assert evicted(c) > 0
        assert 0 < c.call("DBSIZE")[1] < 6
        c.call("CONFIG", "SET", "maxmemory", "0")
