"""Keyspace notifications (notify-keyspace-events) against redis-server 7.0.

Each check subscribes a redis-py PubSub to '__key*__:*' on both servers, runs
the same commands on both (replies compared too), then compares the whole
sequence of (channel, message) pairs each server published: event names,
classes, keys and order must be Redis's exactly."""

import time

import pytest

from tests.resp import encode_command

SENTINEL = "__keysentinel__:end"  # matches the pattern: marks the end of a run


class Subscriber:
    """A redis-py pubsub on one server, psubscribed to every keyspace channel."""

    def __init__(self, srv):
        self.client = srv.client()
        self.pubsub = self.client.pubsub()
        self.pubsub.psubscribe("__key*__:*")
        m = self.pubsub.get_message(timeout=5)
        assert m and m["type"] == "psubscribe", m

    def drain(self):
        """Messages until the sentinel, as (channel, data) pairs."""
        out = []
        deadline = time.time() + 10
        while time.time() < deadline:
            m = self.pubsub.get_message(timeout=1)
            if m is None:
                continue
            assert m["type"] == "pmessage", m
            if m["channel"] == SENTINEL.encode():
                return out
            out.append((m["channel"].decode(errors="replace"), m["data"].decode(errors="replace")))
        raise AssertionError(f"no sentinel after {out}")

    def close(self):
        self.pubsub.close()
        self.client.close()


def run(srv, raw, flags, commands, wait):
    raw.call("CONFIG", "SET", "notify-keyspace-events", flags)
    sub = Subscriber(srv)
    try:
        replies = []
        for cmd in commands:
            if cmd[0] == "SLEEP":
                time.sleep(cmd[1])
                continue
            if cmd[0] == "NOREPLY":  # a random reply (SPOP): compared by its events only
                raw.call(*cmd[1:])
                continue
            if cmd[0] == "PIPE":  # one write: Redis runs no cron between these
                raw.send_raw(b"".join(encode_command(*x) for x in cmd[1:]))
                replies.extend((x, raw.read_reply()) for x in cmd[1:])
                continue
            replies.append((cmd, raw.call(*cmd)))
        if wait:
            time.sleep(wait)
        raw.call("PUBLISH", SENTINEL, "x")
        return replies, sub.drain()
    finally:
        raw.call("CONFIG", "SET", "notify-keyspace-events", "")
        sub.close()


def check_events(compat, commands, flags="KEA", wait=0, setup=(), unordered=False):
    """Runs `setup` silently, then `commands` with `flags`; asserts both
    servers replied and published the same. Returns Redis's events."""
    __tracebackhide__ = True
    for cmd in setup:
        compat.check(*cmd)
    got = {}
    for name in ("redis", "basalt"):
        srv = getattr(compat.pair, name)
        got[name] = run(srv, getattr(compat, name), flags, commands, wait)
    r_replies, r_events = got["redis"]
    b_replies, b_events = got["basalt"]
    for (cmd, r), (_, b) in zip(r_replies, b_replies):
        assert r == b, f"reply to {cmd}: redis {r} basalt {b}"
    if unordered:  # events of independent keys in hash-table order (active expiry)
        r_events, b_events = sorted(r_events), sorted(b_events)
    if r_events != b_events:
        lines = [f"events differ for flags {flags!r} (redis | basalt):"]
        for i in range(max(len(r_events), len(b_events))):
            r = r_events[i] if i < len(r_events) else None
            b = b_events[i] if i < len(b_events) else None
            lines.append(f"  {'  ' if r == b else '!!'} {r} | {b}")
        raise AssertionError("\n".join(lines))
    return r_events


# ---------------------------------------------------------------- classes

def test_off_by_default_publishes_nothing(compat):
    assert check_events(compat, [("SET", "k", "v"), ("DEL", "k")], flags="") == []


@pytest.mark.parametrize("flags", ["KEA", "K$", "E$", "Kg", "Eg", "KEl", "KEs", "KEh", "KEz",
                                   "KEx", "KEe", "KEm", "KEn", "KEAmn", "A", "K", "E", "Ex"])
def test_class_filters(compat, flags):
    check_events(compat, [
        ("SET", "s", "v"), ("GET", "nosuch"), ("APPEND", "s", "x"), ("LPUSH", "l", "a", "b"),
        ("RPOP", "l"), ("SADD", "st", "a"), ("HSET", "h", "f", "v"), ("ZADD", "z", "1", "m"),
        ("EXPIRE", "s", "100"), ("PERSIST", "s"), ("DEL", "s", "l"), ("RENAME", "h", "h2"),
        ("SET", "tmp", "1", "PX", "1"), ("SLEEP", 0.01), ("GET", "tmp"),
        ("EXPIRE", "st", "0"),
    ], flags=flags)


# ---------------------------------------------------------------- families

def test_strings(compat):
    check_events(compat, [
        ("SET", "a", "1"), ("SET", "a", "2"), ("SET", "a", "3", "NX"), ("SET", "a", "4", "XX"),
        ("SET", "b", "1", "XX"), ("SET", "a", "5", "GET"), ("SET", "nk", "5", "GET"),
        ("SET", "a", "6", "EX", "100"), ("SET", "a", "7", "KEEPTTL"), ("SET", "a", "8", "PXAT", "1"),
        ("GET", "a"), ("SETNX", "c", "1"), ("SETNX", "c", "2"), ("SETEX", "d", "100", "v"),
        ("PSETEX", "e", "100000", "v"), ("MSET", "a", "1", "f", "2"), ("MSETNX", "a", "1", "g", "2"),
        ("MSETNX", "g", "1", "h", "2"), ("GETSET", "g", "x"), ("GETSET", "i", "x"),
        ("GETDEL", "g"), ("GETDEL", "g"), ("GETEX", "i", "EX", "100"), ("GETEX", "i", "PX", "100000"),
        ("GETEX", "i", "PERSIST"), ("GETEX", "i", "PERSIST"), ("GETEX", "i"),
        ("GETEX", "i", "EXAT", "1"), ("GETEX", "nosuch", "EX", "5"), ("APPEND", "j", "x"),
        ("APPEND", "j", "y"), ("SETRANGE", "k", "0", ""), ("SETRANGE", "k", "2", "zz"),
        ("SETRANGE", "k", "0", ""), ("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", "5"),
        ("DECRBY", "n", "2"), ("INCRBYFLOAT", "n", "1.5"), ("INCR", "j"), ("STRLEN", "nosuch"),
        ("MGET", "a", "nosuch", "n"), ("GETRANGE", "nosuch", "0", "1"), ("LCS", "a", "nosuch"),
        ("SUBSTR", "nosuch", "0", "1"), ("SET", "a", "x", "GET"), ("LPUSH", "w", "x"),
        ("SET", "w", "y", "GET"), ("APPEND", "w", "z"),
    ], flags="KEAmn")


def test_bitmaps_and_hll(compat):
    check_events(compat, [
        ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "100", "0"),
        ("SETBIT", "b", "7", "0"), ("GETBIT", "nosuch", "0"), ("BITCOUNT", "nosuch"),
        ("BITPOS", "nosuch", "1"), ("BITOP", "AND", "d", "b", "nosuch"), ("BITOP", "OR", "d", "b"),
        ("BITOP", "OR", "d", "nosuch"), ("BITOP", "NOT", "d", "nosuch"),
        ("BITFIELD", "bf", "GET", "u8", "0"), ("BITFIELD", "bf", "SET", "u8", "0", "1"),
        ("BITFIELD", "bf2", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"),
        ("BITFIELD", "bf", "INCRBY", "u8", "0", "1", "GET", "u8", "0"),
        ("BITFIELD_RO", "nosuch", "GET", "u8", "0"),
        ("PFADD", "h", "a"), ("PFADD", "h", "a"), ("PFADD", "h2"), ("PFADD", "h2"),
        ("PFCOUNT", "h"), ("PFCOUNT", "nosuch"), ("PFCOUNT", "h", "nosuch"),
        ("PFMERGE", "h3", "h", "nosuch"), ("PFMERGE", "h4"),
    ], flags="KEAmn")


def test_keys(compat):
    check_events(compat, [
        ("SET", "a", "1"), ("DEL", "a", "nosuch"), ("DEL", "a"), ("SET", "a", "1"),
        ("UNLINK", "a"), ("SET", "a", "1"), ("EXISTS", "a", "nosuch"), ("TYPE", "nosuch"),
        ("TTL", "nosuch"), ("PTTL", "a"), ("EXPIRETIME", "nosuch"), ("TOUCH", "a", "nosuch"),
        ("OBJECT", "ENCODING", "nosuch"), ("OBJECT", "FREQ", "nosuch"), ("DUMP", "nosuch"),
        ("PERSIST", "a"), ("EXPIRE", "a", "100"), ("EXPIRE", "a", "100", "NX"),
        ("PEXPIRE", "a", "100000", "XX"), ("EXPIREAT", "a", "99999999999"),
        ("PEXPIREAT", "a", "99999999999000", "GT"), ("PERSIST", "a"), ("EXPIRE", "nosuch", "10"),
        ("EXPIRE", "a", "-1"), ("SET", "a", "1"), ("PEXPIREAT", "a", "1"),
        ("SET", "a", "1"), ("RENAME", "a", "b"), ("RENAME", "b", "b"), ("SET", "c", "1"),
        ("RENAME", "b", "c"), ("RENAMENX", "c", "d"), ("SET", "e", "1"), ("RENAMENX", "d", "e"),
        ("RENAME", "nosuch", "x"), ("COPY", "d", "f"), ("COPY", "d", "f"),
        ("COPY", "d", "f", "REPLACE"), ("COPY", "nosuch", "f"), ("COPY", "d", "f", "DB", "1"),
        ("MOVE", "d", "2"), ("MOVE", "nosuch", "2"), ("SET", "g", "1"), ("MOVE", "g", "1"),
        ("SELECT", "1"), ("DEL", "f", "g"), ("SELECT", "2"), ("DEL", "d"), ("SELECT", "0"),
        ("SORT", "nosuch"), ("SORT_RO", "nosuch"),
    ], flags="KEAmn")


def test_flush_and_swapdb(compat):
    check_events(compat, [
        ("SET", "a", "1"), ("SWAPDB", "0", "1"), ("SELECT", "1"), ("FLUSHDB",),
        ("SELECT", "0"), ("SET", "b", "1"), ("FLUSHALL",),
    ], flags="KEAmn")


def test_lists(compat):
    check_events(compat, [
        ("LPUSH", "l", "a", "b"), ("RPUSH", "l", "c"), ("LPUSHX", "nosuch", "x"),
        ("RPUSHX", "l", "d"), ("LPOP", "l"), ("RPOP", "l", "2"), ("LPOP", "l", "0"),
        ("LPOP", "nosuch"), ("RPOP", "l"), ("RPUSH", "l", "a", "b", "c", "b"),
        ("LSET", "l", "0", "z"), ("LINSERT", "l", "BEFORE", "c", "y"),
        ("LINSERT", "l", "AFTER", "nosuchpivot", "y"), ("LREM", "l", "0", "b"),
        ("LREM", "l", "0", "nosuchelem"), ("LTRIM", "l", "0", "1"), ("LTRIM", "l", "5", "6"),
        ("LTRIM", "nosuch", "0", "1"), ("RPUSH", "l", "a", "b"), ("LREM", "l", "0", "a"),
        ("LREM", "l", "0", "b"), ("LLEN", "nosuch"), ("LRANGE", "nosuch", "0", "-1"),
        ("LINDEX", "nosuch", "0"), ("LPOS", "nosuch", "a"),
        ("RPUSH", "s", "1", "2", "3"), ("LMOVE", "s", "d", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "s", "d"), ("LMOVE", "s", "s", "LEFT", "LEFT"), ("LMOVE", "s", "d", "RIGHT", "LEFT"),
        ("LMOVE", "nosuch", "d", "LEFT", "LEFT"), ("RPUSH", "one", "x"),
        ("LMOVE", "one", "one", "LEFT", "RIGHT"), ("LMPOP", "2", "nosuch", "d", "LEFT", "COUNT", "1"),
        ("LMPOP", "1", "d", "RIGHT", "COUNT", "10"), ("LMPOP", "1", "d", "LEFT"),
    ], flags="KEAmn")


def test_blocking_lists_served_at_once(compat):
    check_events(compat, [
        ("RPUSH", "l", "a", "b", "c"), ("BLPOP", "nosuch", "l", "1"), ("BRPOP", "l", "1"),
        ("BLMOVE", "l", "d", "LEFT", "RIGHT", "1"), ("RPUSH", "l", "x"),
        ("BRPOPLPUSH", "l", "d", "1"), ("BLMPOP", "1", "2", "nosuch", "d", "LEFT", "COUNT", "5"),
        ("RPUSH", "z", "x"), ("BLPOP", "nosuch", "0.01"),
    ], flags="KEAmn")


def test_hashes(compat):
    check_events(compat, [
        ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HMSET", "h", "c", "3"),
        ("HSETNX", "h", "a", "9"), ("HSETNX", "h", "d", "4"), ("HSETNX", "h2", "a", "1"),
        ("HDEL", "h", "nosuch"), ("HDEL", "h", "a", "b"), ("HINCRBY", "h", "c", "5"),
        ("HINCRBY", "h3", "x", "1"), ("HINCRBYFLOAT", "h", "c", "1.5"),
        ("HINCRBYFLOAT", "h4", "x", "2"), ("HDEL", "h", "c", "d"), ("HDEL", "nosuch", "x"),
        ("HGET", "nosuch", "a"), ("HGETALL", "nosuch"), ("HLEN", "nosuch"),
        ("HEXISTS", "nosuch", "a"), ("HMGET", "nosuch", "a"), ("HRANDFIELD", "nosuch"),
        ("HSTRLEN", "nosuch", "a"), ("HKEYS", "nosuch"), ("HVALS", "nosuch"),
        ("HSCAN", "nosuch", "0"),
    ], flags="KEAmn")


def test_sets(compat):
    check_events(compat, [
        ("SADD", "s", "a", "b", "c"), ("SADD", "s", "a"), ("SREM", "s", "nosuch"),
        ("SREM", "s", "a"), ("SREM", "nosuch", "a"), ("SMOVE", "s", "t", "b"),
        ("SMOVE", "s", "t", "nosuch"), ("SMOVE", "s", "s", "c"), ("SADD", "t", "c"),
        ("SMOVE", "s", "t", "c"), ("SMOVE", "nosuch", "t", "c"),
        ("SADD", "p", "1", "2", "3"), ("NOREPLY", "SPOP", "p"), ("SPOP", "p", "0"),
        ("NOREPLY", "SPOP", "p", "1"), ("NOREPLY", "SPOP", "p", "5"), ("SPOP", "nosuch"),
        ("SPOP", "nosuch", "2"), ("SADD", "p", "1", "2", "3"), ("SPOP", "p", "3"),
        ("SADD", "p", "1", "2", "3", "4"), ("NOREPLY", "SPOP", "p", "2"), ("SADD", "q", "x"),
        ("SPOP", "q"), ("SADD", "x", "1", "2"), ("SADD", "y", "2", "3"),
        ("SINTERSTORE", "d", "x", "y"), ("SUNIONSTORE", "d", "x", "y"),
        ("SDIFFSTORE", "d", "x", "y"), ("SINTERSTORE", "d", "x", "nosuch"),
        ("SINTERSTORE", "d", "x", "nosuch"), ("SUNIONSTORE", "d", "nosuch"),
        ("SDIFFSTORE", "d", "nosuch", "x"), ("SADD", "d", "1"), ("SDIFFSTORE", "d", "x", "x"),
        ("SINTER", "x", "nosuch"), ("SUNION", "nosuch"), ("SDIFF", "nosuch"),
        ("SINTERCARD", "2", "x", "nosuch"), ("SCARD", "nosuch"), ("SISMEMBER", "nosuch", "a"),
        ("SMISMEMBER", "nosuch", "a"), ("SMEMBERS", "nosuch"), ("SRANDMEMBER", "nosuch"),
        ("SSCAN", "nosuch", "0"),
    ], flags="KEAmn")


def test_zsets(compat):
    check_events(compat, [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"),
        ("ZADD", "z", "NX", "5", "a"), ("ZADD", "z", "XX", "5", "nosuch"),
        ("ZADD", "z", "CH", "9", "a"), ("ZADD", "nosuch", "XX", "1", "a"),
        ("ZADD", "z", "INCR", "1", "a"), ("ZINCRBY", "z", "1", "b"), ("ZINCRBY", "n", "1", "b"),
        ("ZADD", "z", "GT", "0", "a"), ("ZREM", "z", "nosuch"), ("ZREM", "z", "c"),
        ("ZREM", "n", "b"), ("ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d"),
        ("ZREMRANGEBYRANK", "r", "0", "0"), ("ZREMRANGEBYSCORE", "r", "100", "200"),
        ("ZREMRANGEBYSCORE", "r", "2", "2"), ("ZREMRANGEBYLEX", "r", "-", "+"),
        ("ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
        ("ZPOPMIN", "p"), ("ZPOPMAX", "p", "2"), ("ZPOPMIN", "p", "0"), ("ZPOPMIN", "nosuch"),
        ("ZMPOP", "2", "nosuch", "p", "MIN", "COUNT", "5"), ("ZADD", "p", "1", "a", "2", "b"),
        ("ZMPOP", "1", "p", "MAX"), ("BZPOPMIN", "p", "1"), ("ZADD", "p", "1", "a", "2", "b"),
        ("BZPOPMAX", "nosuch", "p", "1"), ("BZMPOP", "1", "1", "p", "MIN", "COUNT", "3"),
        ("ZADD", "x", "1", "a", "2", "b"), ("ZADD", "y", "2", "b", "3", "c"),
        ("ZUNIONSTORE", "d", "2", "x", "y"), ("ZINTERSTORE", "d", "2", "x", "y"),
        ("ZDIFFSTORE", "d", "2", "x", "y"), ("ZINTERSTORE", "d", "2", "x", "nosuch"),
        ("ZINTERSTORE", "d", "2", "x", "nosuch"), ("ZUNIONSTORE", "d", "1", "x"),
        ("ZDIFFSTORE", "d", "2", "x", "x"), ("ZRANGESTORE", "d", "x", "0", "-1"),
        ("ZRANGESTORE", "d", "x", "5", "6"), ("ZRANGESTORE", "d", "nosuch", "0", "-1"),
        ("ZRANGESTORE", "d", "x", "0", "0"),
        ("ZUNION", "2", "x", "nosuch"), ("ZINTER", "1", "nosuch"), ("ZDIFF", "1", "nosuch"),
        ("ZINTERCARD", "1", "nosuch"), ("ZCARD", "nosuch"), ("ZSCORE", "nosuch", "a"),
        ("ZMSCORE", "nosuch", "a"), ("ZRANK", "nosuch", "a"), ("ZCOUNT", "nosuch", "0", "1"),
        ("ZLEXCOUNT", "nosuch", "-", "+"), ("ZRANGE", "nosuch", "0", "-1"),
        ("ZRANGEBYSCORE", "nosuch", "0", "1"), ("ZRANDMEMBER", "nosuch"),
        ("ZSCAN", "nosuch", "0"),
    ], flags="KEAmn")


def test_sort_store(compat):
    check_events(compat, [
        ("RPUSH", "l", "3", "1", "2"), ("SORT", "l", "STORE", "d"), ("SORT", "l", "STORE", "d"),
        ("SORT", "nosuch", "STORE", "d"), ("SORT", "nosuch", "STORE", "d"),
        ("SET", "w_1", "5"), ("SORT", "l", "BY", "w_*", "GET", "o_*", "GET", "#"),
        ("SORT", "l", "BY", "nosort", "STORE", "d"),
    ], flags="KEAmn")


# ---------------------------------------------------------------- expiry, eviction

def test_lazy_expiry_events(compat):
    # An absolute time in the past is stored as given: the next access, in
    # the same pipeline (so the active cycle cannot run first), expires it.
    expired = lambda key, cmd: ("PIPE", ("SET", key, "1", "PXAT", "1"), cmd)
    check_events(compat, [
        expired("a", ("GET", "a")), expired("b", ("SET", "b", "2")),
        expired("c", ("LPUSH", "c", "y")), expired("d", ("EXISTS", "d")),
        expired("e", ("DEL", "e")), expired("f", ("TTL", "f")),
        expired("g", ("EXPIRE", "g", "100")), expired("h", ("RENAME", "h", "h2")),
    ], flags="KEAmn")


def test_active_expiry_events(compat):
    events = check_events(compat, [
        ("SET", "a", "1", "PX", "50"), ("HSET", "b", "f", "v"), ("PEXPIRE", "b", "50"),
    ], flags="Ex", wait=1.0, unordered=True)
    assert sorted(events) == [("__keyevent@0__:expired", "a"), ("__keyevent@0__:expired", "b")]


def test_evicted_events(compat):
    for name in ("redis", "basalt"):
        raw = getattr(compat, name)
        raw.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    try:
        got = {}
        for name in ("redis", "basalt"):
            srv, raw = getattr(compat.pair, name), getattr(compat, name)
            used = int(dict(l.split(":", 1) for l in raw.call("INFO", "memory")[1].decode()
                            .splitlines() if ":" in l)["used_memory"])
            raw.call("CONFIG", "SET", "maxmemory", str(used + 200000))
            cmds = [("SET", f"k{i}", "x" * 1000) for i in range(400)]
            _, events = run(srv, raw, "KEe", cmds, 0.2)
            got[name] = events
            raw.call("CONFIG", "SET", "maxmemory", "0")
        for name, events in got.items():
            assert events, f"{name} evicted nothing"
            # Keyspace then keyevent for each eviction, as Redis publishes them.
            for ks, ke in zip(events[::2], events[1::2]):
                assert ks == (f"__keyspace@0__:{ke[1]}", "evicted") and ke[0] == "__keyevent@0__:evicted"
    finally:
        for name in ("redis", "basalt"):
            raw = getattr(compat, name)
            raw.call("CONFIG", "SET", "maxmemory", "0")
            raw.call("CONFIG", "SET", "maxmemory-policy", "noeviction")


def test_other_database_channels(compat):
    check_events(compat, [
        ("SELECT", "3"), ("SET", "a", "1"), ("EXPIRE", "a", "100"), ("GET", "nosuch"),
        ("DEL", "a"), ("SELECT", "0"),
    ], flags="KEAmn")


def test_multi_exec_events(compat):
    check_events(compat, [
        ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("LPUSH", "l", "x"), ("GET", "nosuch"),
        ("EXEC",),
    ], flags="KEAmn")


def test_flags_roundtrip(compat):
    for flags in ["KEA", "AKE", "Kg$lshzxetdmn", "Elm", "", "KA", "nK"]:
        compat.check("CONFIG", "SET", "notify-keyspace-events", flags)
        compat.check("CONFIG", "GET", "notify-keyspace-events")
    compat.check("CONFIG", "SET", "notify-keyspace-events", "")


def test_restore(compat):
    compat.check("RPUSH", "src", "a", "b")
    dump = compat.check("DUMP", "src")[1]
    check_events(compat, [
        ("RESTORE", "k", "0", dump), ("RESTORE", "k", "0", dump),
        ("RESTORE", "k", "0", dump, "REPLACE"), ("RESTORE", "t", "100000", dump),
        ("RESTORE", "k", "1", dump, "REPLACE", "ABSTTL"), ("RESTORE", "n", "1", dump, "ABSTTL"),
        ("EXISTS", "k"),
    ], flags="KEAmn")


BLOCKED_CASES = [
    (("BLPOP", "l", "0"), ("RPUSH", "l", "a", "b")),
    (("BRPOP", "x", "l", "0"), ("RPUSH", "l", "a")),
    (("BLMOVE", "l", "d", "RIGHT", "LEFT", "0"), ("RPUSH", "l", "a")),
    (("BRPOPLPUSH", "l", "d", "0"), ("LPUSH", "l", "a", "b")),
    (("BLMPOP", "0", "2", "x", "l", "LEFT", "COUNT", "5"), ("RPUSH", "l", "a", "b")),
    (("BZPOPMIN", "z", "0"), ("ZADD", "z", "1", "a")),
    (("BZPOPMAX", "x", "z", "0"), ("ZADD", "z", "1", "a", "2", "b")),
    (("BZMPOP", "0", "1", "z", "MAX", "COUNT", "1"), ("ZADD", "z", "1", "a", "2", "b")),
    (("BLPOP", "l", "0"), ("RENAME", "src", "l")),
    (("BLPOP", "l", "0"), ("SORT", "src", "STORE", "l")),
    (("BLMOVE", "l", "d", "LEFT", "LEFT", "0"), ("LMOVE", "src", "l", "LEFT", "RIGHT")),
    (("BZPOPMIN", "z", "0"), ("ZUNIONSTORE", "z", "1", "zsrc")),
    (("BZPOPMAX", "z", "0"), ("ZRANGESTORE", "z", "zsrc", "0", "0")),
    (("BZPOPMIN", "z", "0"), ("COPY", "zsrc", "z")),
]


@pytest.mark.parametrize("blocking,writer", BLOCKED_CASES, ids=lambda c: " ".join(c))
def test_blocked_clients_served_later(compat, blocking, writer):
    other = compat.connect()
    got = {}
    for name in ("redis", "basalt"):
        srv = getattr(compat.pair, name)
        waiter, raw = getattr(compat, name), getattr(other, name)
        raw.call("CONFIG", "SET", "notify-keyspace-events", "KEAmn")
        sub = Subscriber(srv)
        try:
            raw.call("RPUSH", "src", "3", "1", "2")
            raw.call("ZADD", "zsrc", "1", "a", "2", "b")
            waiter.send(*blocking)
            time.sleep(0.1)
            writer_reply = raw.call(*writer)
            served = waiter.read_reply()
            waiter.call("PUBLISH", SENTINEL, "x")
            got[name] = (writer_reply, served, sub.drain())
        finally:
            raw.call("CONFIG", "SET", "notify-keyspace-events", "")
            sub.close()
    assert got["basalt"] == got["redis"]


def test_every_subscriber_sees_the_same_order(compat):
    """Subscribers on different connections (so, in Basalt, different workers)
    all receive one writer's events in the order the writes happened."""
    commands = [("INCR", f"k{i % 7}") for i in range(300)]
    expected = None
    for name in ("redis", "basalt"):
        srv, raw = getattr(compat.pair, name), getattr(compat, name)
        raw.call("CONFIG", "SET", "notify-keyspace-events", "E$")
        subs = [Subscriber(srv) for _ in range(4)]
        try:
            for cmd in commands:
                raw.call(*cmd)
            raw.call("PUBLISH", SENTINEL, "x")
            streams = [s.drain() for s in subs]
        finally:
            raw.call("CONFIG", "SET", "notify-keyspace-events", "")
            for s in subs:
                s.close()
        assert all(s == streams[0] for s in streams), name
        assert len(streams[0]) == 300
        if expected is None:
            expected = streams[0]
        else:
            assert streams[0] == expected


def test_resp3_client_gets_its_own_events_before_the_reply(compat):
    other = compat.connect()
    other.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        compat.hello(3)
        compat.check_raw(b"PSUBSCRIBE __keyspace@0__:*\r\n", replies=1)
        # The push for SET's event comes first, then SET's own reply.
        compat.check_raw(b"SET k v\r\n", replies=2)
        compat.check_raw(b"DEL k nosuch\r\n", replies=2)
        compat.check_raw(b"PUNSUBSCRIBE\r\n", replies=1)
    finally:
        other.check("CONFIG", "SET", "notify-keyspace-events", "")


def test_blocked_client_served_after_exec(compat):
    """Redis serves blocked clients after the whole transaction: every event
    of EXEC's commands precedes the served client's."""
    other = compat.connect()
    got = {}
    for name in ("redis", "basalt"):
        srv = getattr(compat.pair, name)
        waiter, raw = getattr(compat, name), getattr(other, name)
        raw.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
        sub = Subscriber(srv)
        try:
            waiter.send("BLPOP", "l", "0")
            time.sleep(0.1)
            for cmd in [("MULTI",), ("RPUSH", "l", "a"), ("SET", "x", "1"), ("INCR", "x"),
                        ("EXEC",)]:
                raw.call(*cmd)
            served = waiter.read_reply()
            waiter.call("PUBLISH", SENTINEL, "x")
            got[name] = (served, sub.drain())
        finally:
            raw.call("CONFIG", "SET", "notify-keyspace-events", "")
            sub.close()
    assert got["basalt"] == got["redis"]
