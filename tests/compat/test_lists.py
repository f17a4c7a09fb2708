"""List family: every command and option against redis-server 7.0, reply for reply.

Blocking commands are covered here only where they don't block (a ready key,
argument errors, timeouts); tests/integration/test_blocking.py covers waiting.
"""

import random
import time

import pytest

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

WRONG_ARITY = [
    ("LPUSH", "a"), ("RPUSH", "a"), ("LPUSHX", "a"), ("RPUSHX", "a"), ("LPOP",),
    ("LPOP", "a", "1", "2"), ("RPOP",), ("RPOP", "a", "1", "2"), ("LLEN",), ("LLEN", "a", "b"),
    ("LINDEX", "a"), ("LINDEX", "a", "1", "2"), ("LRANGE", "a", "0"), ("LSET", "a", "0"),
    ("LREM", "a", "0"), ("LTRIM", "a", "0"), ("LINSERT", "a", "BEFORE", "x"), ("LPOS", "a"),
    ("LMOVE", "a", "b", "LEFT"), ("RPOPLPUSH", "a"), ("LMPOP", "1", "a"), ("BLPOP", "a"),
    ("BRPOP", "a"), ("BLMOVE", "a", "b", "LEFT", "LEFT"), ("BRPOPLPUSH", "a", "b"),
    ("BLMPOP", "0", "1", "a"),
]


@pytest.mark.parametrize("cmd", WRONG_ARITY, ids=lambda c: " ".join(c))
def test_wrong_arity(compat, cmd):
    reply = compat.check(*cmd)
    assert reply[0] == "-" and b"wrong number of arguments" in reply[1]


def fill(compat, key, items):
    compat.check("RPUSH", key, *items)


def test_push_pop_basic(compat):
    compat.check_seq([
        ("LPUSH", "l", "a", "b", "c"), ("RPUSH", "l", "d", "e"), ("LRANGE", "l", "0", "-1"),
        ("LLEN", "l"), ("LPOP", "l"), ("RPOP", "l"), ("LRANGE", "l", "0", "-1"),
        ("LPUSHX", "l", "x", "y"), ("RPUSHX", "l", "z"), ("LRANGE", "l", "0", "-1"),
        ("LPUSHX", "nokey", "x"), ("RPUSHX", "nokey", "x"), ("EXISTS", "nokey"),
        ("LPOP", "nokey"), ("RPOP", "nokey"), ("LLEN", "nokey"),
        ("RPUSH", "bin", b"\x00\xff\r\n", ""), ("LRANGE", "bin", "0", "-1"),
        ("TYPE", "l"), ("OBJECT", "ENCODING", "l"),
    ])


def test_pop_count(compat):
    fill(compat, "l", [str(i) for i in range(10)])
    compat.check_seq([
        ("LPOP", "l", "0"), ("RPOP", "l", "0"), ("LPOP", "l", "3"), ("RPOP", "l", "2"),
        ("LPOP", "l", "-1"), ("RPOP", "l", "-1"), ("LPOP", "l", "x"), ("LPOP", "l", "1.5"),
        ("LPOP", "nokey", "0"), ("LPOP", "nokey", "2"), ("RPOP", "nokey", "-1"),
        ("LPOP", "l", "100"), ("EXISTS", "l"), ("LPOP", "l", str(INT64_MAX)),
        ("RPUSH", "l", "a"), ("RPOP", "l", "1"), ("EXISTS", "l"),
    ])


def test_pop_count_resp3(compat):
    compat.hello(3)
    fill(compat, "l", ["a", "b", "c"])
    compat.check_seq([
        ("LPOP", "l", "0"), ("LPOP", "l", "2"), ("LPOP", "nokey", "2"), ("LPOP", "nokey"),
        ("LINDEX", "l", "5"), ("LPOS", "l", "zz"), ("LMPOP", "1", "nokey", "LEFT"),
        ("LMOVE", "nokey", "d", "LEFT", "LEFT"),
        ("BLPOP", "nokey", "0.01"), ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.01"),
        ("BLMPOP", "0.01", "1", "nokey", "LEFT"), ("BRPOPLPUSH", "nokey", "d", "0.01"),
    ])


def test_wrongtype(compat):
    compat.check("SET", "s", "v")
    for cmd in [("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"),
                ("RPUSHX", "s", "a"), ("LPOP", "s"), ("RPOP", "s", "2"), ("LLEN", "s"),
                ("LINDEX", "s", "0"), ("LRANGE", "s", "0", "1"), ("LSET", "s", "0", "x"),
                ("LREM", "s", "0", "x"), ("LTRIM", "s", "0", "1"),
                ("LINSERT", "s", "BEFORE", "a", "b"), ("LPOS", "s", "a"),
                ("LMOVE", "s", "d", "LEFT", "LEFT"), ("RPOPLPUSH", "s", "d"),
                ("LMPOP", "1", "s", "LEFT"), ("BLPOP", "s", "0"), ("BRPOP", "nokey", "s", "0"),
                ("BLMOVE", "s", "d", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "s", "d", "0"),
                ("BLMPOP", "0", "2", "nokey", "s", "LEFT")]:
        compat.check(*cmd)
    fill(compat, "l", ["a", "b"])
    compat.check_seq([
        ("LMOVE", "l", "s", "LEFT", "LEFT"), ("LRANGE", "l", "0", "-1"),
        ("RPOPLPUSH", "l", "s"), ("BLMOVE", "l", "s", "LEFT", "RIGHT", "0"),
        ("LMPOP", "2", "l", "s", "LEFT"), ("LMPOP", "2", "s", "l", "LEFT"),
        ("BLPOP", "l", "s", "0"), ("LRANGE", "l", "0", "-1"),
    ])


@pytest.mark.parametrize("idx", ["0", "1", "-1", "-5", "4", "5", "-6", "100", "-100",
                                 str(INT64_MAX), str(INT64_MIN), "x", "1.0", " 1", ""])
def test_lindex_lset(compat, idx):
    fill(compat, "l", ["a", "b", "c", "d", "e"])
    compat.check("LINDEX", "l", idx)
    compat.check("LSET", "l", idx, "new")
    compat.check("LRANGE", "l", "0", "-1")


def test_lset_errors(compat):
    compat.check("LSET", "nokey", "0", "x")
    compat.check("LSET", "nokey", "x", "x")
    compat.check("LINDEX", "nokey", "0")
    compat.check("LINDEX", "nokey", "x")


RANGES = [("0", "-1"), ("0", "0"), ("1", "3"), ("-3", "-1"), ("-100", "100"), ("5", "2"),
          ("100", "200"), ("-1", "-3"), ("3", "-3"), (str(INT64_MIN), str(INT64_MAX)),
          ("0", str(INT64_MIN)), ("x", "1"), ("1", "y")]


@pytest.mark.parametrize("start,stop", RANGES)
def test_lrange_ltrim(compat, start, stop):
    fill(compat, "l", [f"v{i}" for i in range(8)])
    compat.check("LRANGE", "l", start, stop)
    compat.check("LRANGE", "nokey", start, stop)
    compat.check("LTRIM", "l", start, stop)
    compat.check("LRANGE", "l", "0", "-1")
    compat.check("EXISTS", "l")
    compat.check("LTRIM", "nokey", start, stop)


@pytest.mark.parametrize("count", ["0", "1", "2", "-1", "-2", "100", "-100", str(INT64_MIN),
                                   "x"])
def test_lrem(compat, count):
    fill(compat, "l", ["a", "b", "a", "c", "a", "b", "a"])
    compat.check("LREM", "l", count, "a")
    compat.check("LRANGE", "l", "0", "-1")
    compat.check("LREM", "l", count, "zz")
    compat.check("LREM", "nokey", count, "a")


def test_lrem_empties_key(compat):
    fill(compat, "l", ["a", "a"])
    compat.check_seq([("LREM", "l", "0", "a"), ("EXISTS", "l")])


def test_linsert(compat):
    fill(compat, "l", ["a", "b", "c", "b"])
    compat.check_seq([
        ("LINSERT", "l", "BEFORE", "b", "x"), ("LINSERT", "l", "after", "b", "y"),
        ("LINSERT", "l", "AFTER", "b", "z"), ("LINSERT", "l", "before", "a", "first"),
        ("LINSERT", "l", "AFTER", "b", "last"), ("LINSERT", "l", "AFTER", "nope", "q"),
        ("LINSERT", "l", "MIDDLE", "b", "q"), ("LINSERT", "nokey", "BEFORE", "a", "q"),
        ("LINSERT", "nokey", "MIDDLE", "a", "q"), ("LRANGE", "l", "0", "-1"),
    ])


LPOS_CASES = [
    (), ("RANK", "1"), ("RANK", "2"), ("RANK", "-1"), ("RANK", "-2"), ("RANK", "9"),
    ("RANK", "0"), ("RANK", str(INT64_MIN)), ("RANK", "x"), ("COUNT", "0"), ("COUNT", "2"),
    ("COUNT", "-1"), ("COUNT", "x"), ("MAXLEN", "0"), ("MAXLEN", "3"), ("MAXLEN", "-1"),
    ("RANK", "-1", "COUNT", "0"), ("RANK", "2", "COUNT", "2", "MAXLEN", "6"),
    ("RANK", "-2", "COUNT", "0", "MAXLEN", "4"), ("COUNT", "1", "COUNT", "0"), ("RANK",),
    ("FOO", "1"), ("count", "0", "rank", "-1"),
]


@pytest.mark.parametrize("opts", LPOS_CASES, ids=lambda o: " ".join(o) or "plain")
def test_lpos(compat, opts):
    fill(compat, "l", ["a", "b", "c", "a", "b", "c", "a", "x"])
    compat.check("LPOS", "l", "a", *opts)
    compat.check("LPOS", "l", "nothere", *opts)
    compat.check("LPOS", "nokey", "a", *opts)


def test_lmove_rpoplpush(compat):
    fill(compat, "src", ["1", "2", "3"])
    seq = []
    for a in ("LEFT", "RIGHT"):
        for b in ("LEFT", "RIGHT"):
            seq += [("LMOVE", "src", "dst", a, b), ("LRANGE", "dst", "0", "-1")]
    seq += [("LRANGE", "src", "0", "-1"), ("EXISTS", "src"), ("RPOPLPUSH", "dst", "dst"),
            ("LRANGE", "dst", "0", "-1"), ("LMOVE", "dst", "dst", "left", "right"),
            ("LRANGE", "dst", "0", "-1"), ("RPOPLPUSH", "nokey", "dst"),
            ("LMOVE", "dst", "x", "UP", "LEFT"), ("LMOVE", "dst", "x", "LEFT", "DOWN"),
            ("RPUSH", "one", "z"), ("LMOVE", "one", "one", "LEFT", "RIGHT"),
            ("LRANGE", "one", "0", "-1"), ("RPOPLPUSH", "one", "two"), ("EXISTS", "one"),
            ("LRANGE", "two", "0", "-1")]
    compat.check_seq(seq)


LMPOP_CASES = [
    ("1", "a", "LEFT"), ("1", "a", "RIGHT"), ("2", "nokey", "a", "LEFT", "COUNT", "2"),
    ("2", "a", "b", "right", "count", "100"), ("1", "nokey", "LEFT"), ("0", "a", "LEFT"),
    ("-1", "a", "LEFT"), ("x", "a", "LEFT"), ("3", "a", "LEFT"), ("1", "a", "UP"),
    ("1", "a", "LEFT", "COUNT", "0"), ("1", "a", "LEFT", "COUNT", "-1"),
    ("1", "a", "LEFT", "COUNT", "x"), ("1", "a", "LEFT", "COUNT"),
    ("1", "a", "LEFT", "COUNT", "1", "COUNT", "1"), ("1", "a", "LEFT", "FOO"),
    ("2", "a", "LEFT"), (str(INT64_MAX), "a", "LEFT"),
]


@pytest.mark.parametrize("args", LMPOP_CASES, ids=lambda a: " ".join(a))
def test_lmpop(compat, args):
    fill(compat, "a", ["1", "2", "3"])
    fill(compat, "b", ["4", "5"])
    compat.check("LMPOP", *args)
    compat.check("BLMPOP", "0.01", *args)
    compat.check("LRANGE", "a", "0", "-1")
    compat.check("LRANGE", "b", "0", "-1")


TIMEOUTS = ["abc", "-1", "inf", "-inf", "nan", "1e400", " 1", "1e20", "1e16", "", "0x",
            "-0.5"]


@pytest.mark.parametrize("t", TIMEOUTS)
def test_blocking_timeout_errors(compat, t):
    compat.check("BLPOP", "nokey", t)
    compat.check("BRPOP", "nokey", t)
    compat.check("BLMOVE", "nokey", "d", "LEFT", "LEFT", t)
    compat.check("BLMOVE", "nokey", "d", "UP", "LEFT", t)
    compat.check("BRPOPLPUSH", "nokey", "d", t)
    compat.check("BLMPOP", t, "1", "nokey", "LEFT")
    compat.check("BLMPOP", t, "0", "nokey", "LEFT")


def test_blocking_served_immediately(compat):
    fill(compat, "a", ["1", "2", "3"])
    compat.check_seq([
        ("BLPOP", "nokey", "a", "0"), ("BRPOP", "a", "0"), ("BLMOVE", "a", "d", "RIGHT", "LEFT", "0"),
        ("BRPOPLPUSH", "d", "a", "0"), ("BLMPOP", "0", "2", "nokey", "a", "RIGHT", "COUNT", "5"),
        ("EXISTS", "a"), ("BLPOP", "nokey", "0.01"), ("BRPOP", "nokey", "0.001"),
        ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.01"), ("BRPOPLPUSH", "nokey", "d", "0.01"),
        ("BLMPOP", "0.01", "1", "nokey", "LEFT"),
    ])


def test_large_list_ops(compat):
    rnd = random.Random(7)
    items = [("x" * rnd.randint(0, 300)) + str(i) for i in range(3000)]
    for i in range(0, len(items), 500):
        compat.check("RPUSH", "big", *items[i:i + 500])
    compat.check("LPUSH", "big", *items[:200])
    seq = [("LLEN", "big"), ("LINDEX", "big", "1500"), ("LINDEX", "big", "-1234"),
           ("LRANGE", "big", "1000", "1010"), ("LRANGE", "big", "-20", "-1"),
           ("LSET", "big", "1777", "y" * 9000), ("LINDEX", "big", "1777"),
           ("LSET", "big", "10", "tiny"), ("LINSERT", "big", "BEFORE", items[2500], "ins"),
           ("LINSERT", "big", "AFTER", items[100], "z" * 10000),
           ("LPOS", "big", items[2999]), ("LPOS", "big", items[5], "RANK", "-1"),
           ("LPOS", "big", items[5], "COUNT", "0"), ("LREM", "big", "-1", items[7]),
           ("LREM", "big", "1", items[8]), ("LLEN", "big"),
           ("LRANGE", "big", "0", "-1"), ("LTRIM", "big", "100", "-100"),
           ("LRANGE", "big", "0", "-1"), ("LPOP", "big", "50"), ("RPOP", "big", "50"),
           ("LRANGE", "big", "0", "-1"), ("OBJECT", "ENCODING", "big")]
    compat.check_seq(seq)


def test_random_ops_small_chunks(compat):
    compat.check("CONFIG", "SET", "list-max-listpack-size", "4")
    try:
        rnd = random.Random(11)
        seq = []
        for _ in range(600):
            op = rnd.randint(0, 9)
            v = str(rnd.randint(0, 9))
            i = str(rnd.randint(-12, 12))
            seq.append([("LPUSH", "k", v), ("RPUSH", "k", v, v), ("LPOP", "k"), ("RPOP", "k", "2"),
                        ("LSET", "k", i, v + "s"), ("LINSERT", "k", "BEFORE", v, "i" + v),
                        ("LREM", "k", str(rnd.randint(-2, 2)), v), ("LTRIM", "k", i, "-1"),
                        ("LINDEX", "k", i), ("LRANGE", "k", "0", "-1")][op])
        seq.append(("LRANGE", "k", "0", "-1"))
        compat.check_seq(seq)
    finally:
        compat.check("CONFIG", "SET", "list-max-listpack-size", "-2")


def test_generic_commands(compat):
    fill(compat, "l", ["a", "b", "c"])
    compat.check_seq([
        ("TYPE", "l"), ("OBJECT", "ENCODING", "l"), ("RENAME", "l", "l2"), ("LRANGE", "l2", "0", "-1"),
        ("COPY", "l2", "l3"), ("LPUSH", "l3", "z"), ("LRANGE", "l2", "0", "-1"),
        ("LRANGE", "l3", "0", "-1"), ("OBJECT", "ENCODING", "l3"), ("MOVE", "l3", "1"),
        ("EXISTS", "l3"), ("SELECT", "1"), ("LRANGE", "l3", "0", "-1"), ("SELECT", "0"),
        ("COPY", "l2", "l4", "DB", "2"), ("SELECT", "2"), ("LRANGE", "l4", "0", "-1"),
        ("SELECT", "0"), ("EXPIRE", "l2", "100"), ("TTL", "l2"), ("PERSIST", "l2"),
        ("TTL", "l2"), ("DEL", "l2"), ("EXISTS", "l2"), ("SCAN", "0", "TYPE", "list"),
        ("RPUSH", "e", "1"), ("PEXPIRE", "e", "1"),
    ])
    import time
    time.sleep(0.01)
    compat.check("LLEN", "e")
    compat.check("EXISTS", "e")


def test_resp3_shapes(compat):
    compat.hello(3)
    fill(compat, "a", ["1", "2", "3", "4"])
    compat.check_seq([
        ("BLPOP", "a", "0"), ("BRPOP", "nokey", "a", "0"), ("LMPOP", "1", "a", "LEFT"),
        ("BLMPOP", "0", "1", "a", "RIGHT", "COUNT", "9"), ("RPUSH", "a", "x", "y"),
        ("LPOS", "a", "x", "COUNT", "0"), ("LRANGE", "a", "0", "-1"), ("LPOP", "a", "1"),
        ("BLMOVE", "a", "b", "LEFT", "RIGHT", "0"), ("BRPOPLPUSH", "b", "a", "0"),
        ("LINDEX", "a", "0"), ("LPOP", "a"), ("RPOP", "a"),
    ])


def test_large_values_and_chunk_sizes(compat):
    for size in ["-1", "-3", "-5", "1", "3", "100"]:
        compat.check("CONFIG", "SET", "list-max-listpack-size", size)
        compat.check("DEL", "k")
        vals = [str(i) * (i % 7) for i in range(300)] + ["z" * 70000, "-12", "007", "1e3"]
        compat.check("RPUSH", "k", *vals)
        compat.check("LPUSH", "k", *vals[:50])
        compat.check_seq([("LRANGE", "k", "0", "-1"), ("LSET", "k", "5", "q" * 20000),
                          ("LINSERT", "k", "AFTER", "z" * 70000, "after-big"),
                          ("LREM", "k", "0", "11"), ("LTRIM", "k", "3", "-3"),
                          ("LRANGE", "k", "0", "-1"), ("LLEN", "k"),
                          ("OBJECT", "ENCODING", "k")])
    compat.check("CONFIG", "SET", "list-max-listpack-size", "-2")


def _blpop_calls(raw):
    info = raw.call("INFO", "commandstats")[1].decode()
    for line in info.splitlines():
        if line.startswith("cmdstat_blpop:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


def test_blocked_command_counts_once_in_commandstats(compat):
    other = compat.connect()
    compat.check("DEL", "bq")
    compat.check("CONFIG", "RESETSTAT")
    # Served after blocking, timed out, and served at once: one call each.
    for raw in (compat.redis, compat.basalt):
        raw.send("BLPOP", "bq", "0")
    time.sleep(0.1)
    other.check("RPUSH", "bq", "v")
    assert compat.redis.read_reply() == compat.basalt.read_reply()
    compat.check("BLPOP", "bq", "0.05")
    other.check("RPUSH", "bq", "w")
    compat.check("BLPOP", "bq", "0")
    assert _blpop_calls(compat.redis) == _blpop_calls(compat.basalt) == 3


def test_blocked_command_under_client_reply_off(compat):
    other = compat.connect()
    compat.check("DEL", "bq")
    for raw in (compat.redis, compat.basalt):
        raw.send("CLIENT", "REPLY", "OFF")
        raw.send("BLPOP", "bq", "0")
    time.sleep(0.1)
    other.check("RPUSH", "bq", "v", "w")
    time.sleep(0.1)
    for raw in (compat.redis, compat.basalt):
        raw.send("BLPOP", "nokey", "0.01")  # a timeout under REPLY OFF: no reply either
        raw.send("CLIENT", "REPLY", "ON")
    # The first reply either server sends is CLIENT REPLY ON's.
    compat.check_raw(b"", replies=1)
    compat.check("LRANGE", "bq", "0", "-1")
