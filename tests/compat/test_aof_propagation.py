"""Effect propagation against redis-server 7.0, through the AOF.

Both servers run with `appendonly yes` (appendfsync always). Each test runs
the same commands on both and compares the commands each appended to its
incremental AOF file: what was logged (and what was not), in which rewritten
form (SET EX -> SET PXAT, EXPIRE -> PEXPIREAT, SPOP -> SREM, BLPOP -> LPOP,
INCRBYFLOAT -> SET KEEPTTL ...), and the MULTI/EXEC wrapping. Absolute
millisecond times are equal within a tolerance, since the two servers run the
commands a few milliseconds apart."""

import glob
import os
import time

import pytest

from tests.resp import RawClient, encode_command
from tests.servers import start_basalt, start_redis

ARGS = ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
TIME_TOLERANCE_MS = 5000


class AofServer:
    """A server with its AOF; new_commands() returns what was appended since the last call."""

    def __init__(self, srv):
        self.srv = srv
        self.offset = 0

    def incr_file(self):
        files = sorted(glob.glob(os.path.join(self.srv.workdir, "appendonlydir", "*.incr.aof")))
        return files[-1] if files else None

    def new_commands(self):
        path = self.incr_file()
        if path is None:
            return None
        with open(path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        return parse_resp_commands(data)


def parse_resp_commands(data):
    out, i = [], 0
    while i < len(data):
        assert data[i:i + 1] == b"*", data[i:i + 50]
        j = data.index(b"\r\n", i)
        n, i = int(data[i + 1:j]), j + 2
        args = []
        for _ in range(n):
            assert data[i:i + 1] == b"$"
            j = data.index(b"\r\n", i)
            size, i = int(data[i + 1:j]), j + 2
            args.append(data[i:i + size])
            i += size + 2
        out.append(args)
    return out


@pytest.fixture(scope="module")
def aof_pair():
    redis, basalt = start_redis(ARGS), start_basalt(ARGS)
    try:
        pair = AofServer(redis), AofServer(basalt)
        time.sleep(0.2)
        for s in pair:
            s.new_commands()
        if pair[1].incr_file() is None:
            pytest.skip("Basalt wrote no appendonlydir/*.incr.aof with appendonly yes: "
                        "the AOF is not available in this build")
        yield pair
    finally:
        problems = redis.stop() + basalt.stop()
    assert not problems, problems


def same_arg(a, b):
    if a == b:
        return True
    try:
        x, y = int(a), int(b)
    except ValueError:
        return False
    # Absolute times computed from each server's clock.
    return x > 10**12 and y > 10**12 and abs(x - y) <= TIME_TOLERANCE_MS


def same_command(a, b, wildcard):
    if len(a) != len(b):
        return False
    if wildcard and a[0].upper() == b[0].upper() == wildcard:
        a, b = a[:2], b[:2]  # the members a random pick chose differ
    return all(same_arg(x, y) for x, y in zip(a, b))


def fmt(cmds):
    return "\n".join("    " + " ".join(a.decode(errors="replace") for a in c) for c in cmds)


def run(aof_pair, commands, wait=0.0, wildcard=None, unordered=False):
    """Runs `commands` on both (replies compared) and compares the AOF tails."""
    __tracebackhide__ = True
    logged = []
    for server in aof_pair:
        with RawClient(server.srv.host, server.srv.port) as c:
            c.call("SELECT", "0")
            replies = []
            for cmd in commands:
                if cmd[0] == "SLEEP":
                    time.sleep(cmd[1])
                elif cmd[0] == "NOREPLY":
                    c.call(*cmd[1:])
                elif cmd[0] == "PIPE":  # one write: no cron runs between them on Redis
                    c.send_raw(b"".join(encode_command(*x) for x in cmd[1:]))
                    replies.extend((x, c.read_reply()) for x in cmd[1:])
                else:
                    replies.append((cmd, c.call(*cmd)))
            if wait:
                time.sleep(wait)
            c.call("PING")
            c.call("FLUSHALL")
        time.sleep(0.05)
        tail = server.new_commands()
        # Up to the FLUSHALL that resets the next test.
        cut = max(i for i, a in enumerate(tail) if a[0].upper() == b"FLUSHALL")
        logged.append((replies, tail[:cut]))
    (r_replies, r_log), (b_replies, b_log) = logged
    for (cmd, r), (_, b) in zip(r_replies, b_replies):
        assert r == b, f"reply to {cmd}: redis {r} basalt {b}"
    if unordered:  # independent keys expired in hash-table order
        r_log, b_log = sorted(r_log), sorted(b_log)
    ok = len(r_log) == len(b_log) and all(
        same_command(x, y, wildcard) for x, y in zip(r_log, b_log))
    assert ok, f"AOF differs.\n  redis logged:\n{fmt(r_log)}\n  basalt logged:\n{fmt(b_log)}"
    return r_log


def test_strings(aof_pair):
    run(aof_pair, [
        ("SET", "a", "1"), ("SET", "a", "2", "EX", "100"), ("SET", "a", "3", "PX", "100000"),
        ("SET", "a", "4", "EXAT", "99999999999"), ("SET", "a", "5", "PXAT", "99999999999000"),
        ("SET", "a", "6", "GET"), ("SET", "a", "7", "get", "EX", "100"),
        ("SET", "a", "8", "GET", "KEEPTTL"), ("SET", "a", "9", "XX", "GET"), ("SET", "a", "x", "NX"),
        ("SET", "n", "x", "XX"), ("SETNX", "b", "1"), ("SETNX", "b", "2"),
        ("SETEX", "c", "100", "v"), ("PSETEX", "d", "100000", "v"), ("GETSET", "d", "x"),
        ("GETDEL", "c"), ("GETDEL", "nosuch"), ("GETEX", "a", "EX", "100"),
        ("GETEX", "a", "PX", "100000"), ("GETEX", "a", "EXAT", "99999999999"),
        ("GETEX", "a", "PXAT", "99999999999000"), ("GETEX", "a", "PERSIST"),
        ("GETEX", "a", "PERSIST"), ("GETEX", "a"), ("GETEX", "a", "PXAT", "1"),
        ("GETEX", "b", "EXAT", "1"), ("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "f", "1e3"),
        ("INCR", "g"), ("DECRBY", "g", "3"), ("APPEND", "g", "x"), ("SETRANGE", "h", "0", ""),
        ("SETRANGE", "g", "1", "yy"), ("MSET", "a", "1", "b", "2"), ("MSETNX", "a", "1", "z", "2"),
        ("MSETNX", "y", "1", "z", "2"), ("SET", "i", "1", "PXAT", "1"), ("GET", "i"),
        ("STRLEN", "a"),
    ])


def test_keyspace(aof_pair):
    run(aof_pair, [
        ("SET", "k", "v"), ("PERSIST", "k"), ("EXPIRE", "k", "100", "NX"),
        ("PEXPIRE", "k", "100000", "XX"), ("EXPIREAT", "k", "99999999999"),
        ("PEXPIREAT", "k", "99999999999000", "GT"), ("PEXPIREAT", "k", "99999999999001", "GT"),
        ("PERSIST", "k"), ("EXPIRE", "nosuch", "100"), ("EXPIRE", "k", "-1"), ("SET", "k", "v"),
        ("PEXPIREAT", "k", "1"), ("DEL", "nosuch"), ("SET", "k", "v"), ("RENAME", "k", "k2"),
        ("COPY", "k2", "k3"), ("COPY", "k2", "k3"), ("MOVE", "k3", "1"), ("UNLINK", "k2", "x"),
        ("SELECT", "1"), ("DEL", "k3"), ("SELECT", "0"), ("TOUCH", "nosuch"),
    ])


def test_lists(aof_pair):
    run(aof_pair, [
        ("RPUSH", "l", "a", "b", "c", "d", "e", "f", "g", "h"), ("LPOP", "l"), ("RPOP", "l", "2"),
        ("LPOP", "l", "0"), ("LPOP", "nosuch"), ("BLPOP", "l", "0"), ("BRPOP", "nosuch", "l", "0"),
        ("BLMOVE", "l", "l2", "left", "right", "0"), ("BLMOVE", "l", "l2", "LEFT", "RIGHT", "0"),
        ("BRPOPLPUSH", "nosuch", "l2", "0.01"), ("BRPOPLPUSH", "l2", "l", "0"),
        ("LMPOP", "1", "l2", "LEFT", "COUNT", "10"), ("RPUSH", "l", "a", "b", "c"),
        ("BLMPOP", "0", "2", "nosuch", "l", "right", "count", "2"), ("LMOVE", "l", "l", "left", "left"),
        ("RPOPLPUSH", "l", "x"), ("LREM", "l", "0", "nosuch"), ("LINSERT", "l", "BEFORE", "zz", "y"),
        ("LSET", "l", "0", "q"), ("LTRIM", "l", "0", "-1"), ("LTRIM", "nosuch", "0", "1"),
        ("LPUSHX", "nosuch", "a"), ("BLPOP", "nosuch", "0.01"),
    ])


def test_blocked_client_served_later(aof_pair):
    logs = []
    for server in aof_pair:
        with RawClient(server.srv.host, server.srv.port) as waiter, \
                RawClient(server.srv.host, server.srv.port) as writer:
            for blocking, write in [(("BLPOP", "l", "0"), ("RPUSH", "l", "a", "b")),
                                    (("BLMOVE", "l", "d", "RIGHT", "LEFT", "0"), ("RPUSH", "l", "c")),
                                    (("BLMOVE", "l", "d", "left", "right", "0"), ("RPUSH", "l", "g")),
                                    (("BRPOPLPUSH", "l", "d", "0"), ("LPUSH", "l", "e")),
                                    (("BLMPOP", "0", "1", "l", "LEFT", "COUNT", "5"),
                                     ("RPUSH", "l", "f")),
                                    (("BZPOPMIN", "z", "0"), ("ZADD", "z", "1", "a")),
                                    (("BZMPOP", "0", "1", "z", "MAX", "COUNT", "3"),
                                     ("ZADD", "z", "1", "a", "2", "b"))]:
                waiter.send(*blocking)
                time.sleep(0.1)
                writer.call(*write)
                waiter.read_reply()
            writer.call("FLUSHALL")
        time.sleep(0.05)
        logs.append(server.new_commands())
    assert len(logs[0]) == len(logs[1]) and all(
        same_command(x, y, None) for x, y in zip(*logs)), \
        f"redis:\n{fmt(logs[0])}\nbasalt:\n{fmt(logs[1])}"


def test_hashes(aof_pair):
    run(aof_pair, [
        ("HSET", "h", "f", "1"), ("HSET", "h", "f", "1"), ("HINCRBYFLOAT", "h", "f", "1.5"),
        ("HINCRBYFLOAT", "h2", "f", "2"), ("HINCRBY", "h", "g", "3"), ("HDEL", "h", "nosuch"),
        ("HSETNX", "h", "f", "x"), ("HSETNX", "h", "n", "x"), ("HDEL", "h", "f", "g", "n"),
        ("HMSET", "h", "a", "b"),
    ])


def test_sets(aof_pair):
    run(aof_pair, [
        ("SADD", "s", "a"), ("SADD", "s", "a"), ("SREM", "s", "nosuch"), ("SPOP", "s"),
        ("SPOP", "s"), ("SADD", "s", "a", "b"), ("SPOP", "s", "0"), ("NOREPLY", "SPOP", "s", "5"),
        ("SPOP", "nosuch", "2"), ("SADD", "s", "a"), ("SPOP", "s", "1"), ("SADD", "u", "a"),
        ("SMOVE", "u", "u", "a"), ("SMOVE", "u", "v", "a"), ("SMOVE", "v", "u", "x"),
        ("SINTERSTORE", "d", "nosuch", "v"), ("SADD", "w", "x"), ("SUNIONSTORE", "d", "w"),
        ("SDIFFSTORE", "d", "w", "w"), ("SRANDMEMBER", "w"),
    ])


def test_spop_with_count_is_logged_as_srems_in_a_transaction(aof_pair):
    log = run(aof_pair, [
        ("SADD", "s", "1", "2", "3", "4", "5", "6", "7", "8"), ("NOREPLY", "SPOP", "s", "3"),
        ("NOREPLY", "SPOP", "s", "1"), ("NOREPLY", "SPOP", "s"),
    ], wildcard=b"SREM")
    assert [c[0] for c in log].count(b"SREM") == 5


def test_zsets(aof_pair):
    run(aof_pair, [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"), ("ZADD", "z", "1", "a"),
        ("ZMPOP", "1", "z", "MIN", "COUNT", "10"), ("ZADD", "z", "1", "a", "2", "b", "3", "c"),
        ("ZMPOP", "2", "nosuch", "z", "max", "count", "2"), ("ZMPOP", "1", "z", "MIN"),
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("BZMPOP", "0", "1", "z", "MIN", "COUNT", "10"),
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("BZPOPMIN", "z", "0"),
        ("BZPOPMAX", "nosuch", "z", "0"), ("ZPOPMIN", "z", "0"), ("ZPOPMIN", "z", "1"),
        ("ZINCRBY", "z", "1.5", "q"), ("ZADD", "z", "INCR", "1", "q"), ("ZADD", "z", "NX", "5", "q"),
        ("ZREMRANGEBYSCORE", "z", "100", "200"), ("ZREM", "z", "nosuch"),
        ("ZUNIONSTORE", "d", "1", "nosuch"), ("ZUNIONSTORE", "d", "1", "z"),
        ("ZRANGESTORE", "d2", "z", "5", "6"),
    ])


def test_bitmaps_and_hll(aof_pair):
    run(aof_pair, [
        ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "100", "0"),
        ("BITFIELD", "bf", "GET", "u8", "0"), ("BITFIELD", "bf", "SET", "u8", "0", "1"),
        ("BITFIELD", "bf2", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"),
        ("BITOP", "OR", "d", "nosuch"), ("BITOP", "OR", "d", "b"), ("BITOP", "OR", "d", "nosuch"),
        ("PFADD", "h", "a"), ("PFADD", "h", "a"), ("PFCOUNT", "h"), ("PFCOUNT", "h"),
        ("PFMERGE", "h3", "h"),
    ])


def test_sort_store(aof_pair):
    run(aof_pair, [
        ("SORT", "nosuch", "STORE", "dst"), ("RPUSH", "l", "3", "1", "2"),
        ("SORT", "l", "STORE", "dst"), ("SORT", "nosuch", "STORE", "dst"), ("SORT", "l"),
    ])


def test_expired_keys_are_logged_as_del(aof_pair):
    run(aof_pair, [
        ("SET", "a", "1", "PX", "20"), ("RPUSH", "b", "x"), ("PEXPIRE", "b", "20"),
    ], wait=1.0, unordered=True)


def test_lazily_expired_key_then_write(aof_pair):
    # Redis 7.0 wraps a command's several effects (its own and the DELs of
    # keys it expired) in MULTI/EXEC.
    # Each expired key is accessed in the same pipeline that set it, so the
    # active expiry cycle cannot take it first.
    run(aof_pair, [
        ("PIPE", ("SET", "x", "1", "PXAT", "1"), ("GET", "x")),
        ("PIPE", ("SET", "x", "1", "PXAT", "1"), ("SET", "x", "2")),
        ("PIPE", ("SET", "y", "1", "PXAT", "1"), ("SET", "z", "1", "PXAT", "1"), ("MGET", "y", "z")),
        ("PIPE", ("SET", "w", "1", "PXAT", "1"), ("RPUSH", "w", "a")),
    ])


def test_multi_exec(aof_pair):
    run(aof_pair, [
        ("MULTI",), ("SET", "a", "1"), ("INCRBYFLOAT", "a", "1.5"), ("GET", "a"), ("EXEC",),
        ("MULTI",), ("GET", "a"), ("EXEC",),
        ("MULTI",), ("SET", "b", "1", "EX", "100"), ("EXEC",),
    ])


def test_restore(aof_pair):
    with RawClient(aof_pair[0].srv.host, aof_pair[0].srv.port) as c:
        c.call("RPUSH", "src", "a", "b")
        payload = c.call("DUMP", "src")[1]
        c.call("DEL", "src")
    aof_pair[0].new_commands()
    run(aof_pair, [
        ("RESTORE", "k", "0", payload), ("RESTORE", "k", "0", payload),
        ("RESTORE", "k", "100000", payload, "REPLACE"),
        ("RESTORE", "k", "99999999999000", payload, "REPLACE", "ABSTTL"),
        ("RESTORE", "k", "1", payload, "REPLACE", "ABSTTL"), ("RESTORE", "n", "1", payload, "ABSTTL"),
    ])


def info_dirty(client):
    text = client.call("INFO", "persistence")[1].decode()
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return int(fields["rdb_changes_since_last_save"])


def test_dirty_counts(aof_pair):
    """How many changes each command counts (rdb_changes_since_last_save), as
    Redis's server.dirty: zero for the no-op writes that are not logged."""
    cmds = [
        ("SET", "a", "1"), ("SET", "a", "2", "EX", "100"), ("MSET", "a", "1", "b", "2", "c", "3"),
        ("RPUSH", "l", "a", "b", "c", "d", "e", "f"), ("LPOP", "l", "2"), ("RPOP", "l"),
        ("LREM", "l", "0", "c"), ("LREM", "l", "0", "zz"), ("LTRIM", "l", "0", "0"),
        ("LTRIM", "l", "0", "-1"), ("SADD", "s", "a", "b", "c"), ("SADD", "s", "a"),
        ("SREM", "s", "a", "b"), ("SREM", "s", "zz"), ("SPOP", "s"), ("HSET", "h", "a", "1", "b", "2"),
        ("HDEL", "h", "a", "b"), ("HDEL", "h", "zz"), ("ZADD", "z", "1", "a", "2", "b", "3", "c"),
        ("ZADD", "z", "1", "a"), ("ZPOPMIN", "z", "2"), ("ZREM", "z", "c"),
        ("ZADD", "z", "1", "a", "2", "b"), ("ZREMRANGEBYRANK", "z", "0", "-1"),
        ("SETBIT", "bt", "1", "1"), ("SETBIT", "bt", "1", "1"),
        ("BITFIELD", "bf", "SET", "u8", "0", "1", "SET", "u8", "8", "2"),
        ("PFADD", "p", "a", "b", "c"), ("PFADD", "p", "a"), ("INCR", "n"),
        ("INCRBYFLOAT", "n", "1.5"), ("APPEND", "n", "x"), ("DEL", "a", "b", "c", "nosuch"),
        ("EXPIRE", "n", "100"), ("PERSIST", "n"), ("PERSIST", "n"), ("RPUSH", "m", "a"),
        ("LMOVE", "m", "m2", "LEFT", "LEFT"), ("SADD", "s2", "a"), ("SMOVE", "s2", "s3", "a"),
        ("SINTERSTORE", "s4", "s3"), ("ZADD", "z2", "1", "a"), ("ZUNIONSTORE", "z3", "1", "z2"),
        ("RENAME", "z3", "z4"), ("COPY", "z4", "z5"), ("SORT", "l", "STORE", "l9"),
        ("HINCRBY", "h", "x", "1"), ("GETDEL", "n"), ("GETEX", "z5"), ("SETRANGE", "sr", "3", "abc"),
        ("SETRANGE", "sr", "3", ""), ("LPUSHX", "nosuch", "a"), ("RPUSH", "q", "a", "b"),
        ("BLMPOP", "0", "1", "q", "LEFT", "COUNT", "5"),
    ]
    counts = []
    for server in aof_pair:
        with RawClient(server.srv.host, server.srv.port) as c:
            deltas = []
            for cmd in cmds:
                before = info_dirty(c)
                c.call(*cmd)
                deltas.append((cmd, info_dirty(c) - before))
            c.call("FLUSHALL")
        time.sleep(0.05)
        server.new_commands()
        counts.append(deltas)
    diffs = [(cmd, r, b) for (cmd, r), (_, b) in zip(*counts) if r != b]
    assert not diffs, f"(command, redis dirty, basalt dirty): {diffs}"
