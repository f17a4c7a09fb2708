"""Generic keyspace commands against redis-server: DEL, UNLINK, EXISTS, TYPE,
RENAME(NX), COPY, MOVE, KEYS, SCAN, RANDOMKEY, TOUCH, OBJECT, the EXPIRE/TTL
family, PERSIST, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB.

Replies that legitimately differ (SCAN cursors, RANDOMKEY's pick, millisecond
TTLs) are compared by meaning: key sets, final cursor 0, TTLs within a margin.
"""

import time

import pytest

OK = ("+", b"OK")
NIL = ("$", None)


def ints(n):
    return (":", n)


def err(text):
    return ("-", text.encode())


def wait_until(predicate, timeout=5.0, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def scan_all(client, *options):
    """Full SCAN iteration on one server: (set of keys, number of calls)."""
    keys, cursor, calls = [], b"0", 0
    while True:
        reply = client.call("SCAN", cursor, *options)
        assert reply[0] == "*", reply
        cursor = reply[1][0][1]
        keys += [k[1] for k in reply[1][1][1]]
        calls += 1
        assert calls < 100000
        if cursor == b"0":
            return keys, calls


def check_scan(compat, *options):
    """Full iterations on both servers must return the same key set."""
    r_keys, _ = scan_all(compat.redis, *options)
    b_keys, _ = scan_all(compat.basalt, *options)
    assert set(b_keys) == set(r_keys), (options, set(r_keys) ^ set(b_keys))
    return set(r_keys)


def mset(compat, pairs):
    for k, v in pairs:
        compat.check("SET", k, v)


# ---------------------------------------------------------------- arity


@pytest.mark.parametrize("cmd", [
    ("DEL",), ("UNLINK",), ("EXISTS",), ("TYPE",), ("TYPE", "a", "b"), ("RENAME", "a"),
    ("RENAME", "a", "b", "c"), ("RENAMENX", "a"), ("COPY", "a"), ("MOVE", "a"),
    ("MOVE", "a", "1", "2"), ("KEYS",), ("KEYS", "a", "b"), ("SCAN",), ("RANDOMKEY", "x"),
    ("TOUCH",), ("OBJECT",), ("OBJECT", "ENCODING"), ("OBJECT", "encoding", "a", "b"),
    ("OBJECT", "REFCOUNT"), ("OBJECT", "IDLETIME"), ("OBJECT", "FREQ"), ("OBJECT", "HELP", "x"),
    ("EXPIRE", "a"), ("PEXPIRE", "a"), ("EXPIREAT", "a"), ("PEXPIREAT", "a"), ("TTL",),
    ("PTTL", "a", "b"), ("EXPIRETIME",), ("PEXPIRETIME", "a", "b"), ("PERSIST",),
    ("DBSIZE", "x"), ("SWAPDB", "0"), ("SWAPDB", "0", "1", "2"),
])
def test_wrong_arity(compat, cmd):
    reply = compat.check(*cmd)
    assert reply[0] == "-"


def test_object_unknown_subcommand(compat):
    compat.check("OBJECT", "nosuch", "k")
    compat.check("OBJECT", "nosuch")


# ---------------------------------------------------------------- DEL, UNLINK, EXISTS, TYPE, TOUCH


def test_del(compat):
    mset(compat, [("a", "1"), ("b", "2"), ("c", "3")])
    assert compat.check("DEL", "a") == ints(1)
    assert compat.check("DEL", "a") == ints(0)
    assert compat.check("DEL", "b", "c", "nosuch", "b") == ints(2)
    assert compat.check("DBSIZE") == ints(0)


def test_unlink(compat):
    mset(compat, [("a", "1"), ("b", "x" * 1000), ("c", "3")])
    assert compat.check("UNLINK", "a", "b", "zz") == ints(2)
    assert compat.check("EXISTS", "a", "b", "c") == ints(1)
    assert compat.check("UNLINK", "c", "c") == ints(1)
    assert compat.check("UNLINK", "c") == ints(0)


def test_del_many_keys_across_shards(compat):
    keys = [f"key:{i}" for i in range(300)]
    for k in keys:
        compat.check("SET", k, k)
    assert compat.check("DEL", *keys[:150]) == ints(150)
    assert compat.check("UNLINK", *keys) == ints(150)
    assert compat.check("DBSIZE") == ints(0)


def test_del_same_hashtag(compat):
    mset(compat, [("{t}a", "1"), ("{t}b", "2")])
    assert compat.check("DEL", "{t}a", "{t}b", "{t}c") == ints(2)


def test_exists_counts_duplicates(compat):
    compat.check("SET", "a", "1")
    assert compat.check("EXISTS", "a") == ints(1)
    assert compat.check("EXISTS", "a", "a", "a") == ints(3)
    assert compat.check("EXISTS", "a", "b", "a", "b") == ints(2)
    assert compat.check("EXISTS", "nosuch") == ints(0)


def test_type(compat):
    compat.check("SET", "s", "v")
    compat.check("SET", "n", "123")
    assert compat.check("TYPE", "s") == ("+", b"string")
    assert compat.check("TYPE", "n") == ("+", b"string")
    assert compat.check("TYPE", "nosuch") == ("+", b"none")
    compat.hello(3)
    assert compat.check("TYPE", "s") == ("+", b"string")
    assert compat.check("TYPE", "nosuch") == ("+", b"none")


def test_touch(compat):
    mset(compat, [("a", "1"), ("b", "2")])
    assert compat.check("TOUCH", "a", "b", "c", "a") == ints(3)
    assert compat.check("TOUCH", "zz") == ints(0)


def test_empty_key(compat):
    compat.check("SET", "", "empty")
    assert compat.check("EXISTS", "") == ints(1)
    assert compat.check("TYPE", "") == ("+", b"string")
    compat.check("KEYS", "*")
    compat.check("KEYS", "**")
    compat.check("KEYS", "")
    assert compat.check("RENAME", "", "x") == OK
    assert compat.check("GET", "x") == ("$", b"empty")
    assert compat.check("DEL", "x") == ints(1)


# ---------------------------------------------------------------- RENAME, RENAMENX


def test_rename(compat):
    compat.check("SET", "a", "1")
    assert compat.check("RENAME", "a", "b") == OK
    assert compat.check("GET", "a") == NIL
    assert compat.check("GET", "b") == ("$", b"1")
    assert compat.check("RENAME", "nosuch", "x") == err("ERR no such key")
    assert compat.check("RENAME", "nosuch", "nosuch") == err("ERR no such key")
    # Same key: OK when it exists, nothing changes.
    assert compat.check("RENAME", "b", "b") == OK
    assert compat.check("GET", "b") == ("$", b"1")


def test_rename_overwrites(compat):
    mset(compat, [("a", "1"), ("b", "2")])
    compat.check("EXPIRE", "b", 1000)
    assert compat.check("RENAME", "a", "b") == OK
    assert compat.check("GET", "b") == ("$", b"1")
    # The destination's old TTL goes with its old value.
    assert compat.check("TTL", "b") == ints(-1)
    assert compat.check("DBSIZE") == ints(1)


def test_rename_keeps_ttl(compat):
    compat.check("SET", "a", "1")
    compat.check("EXPIRE", "a", 1000)
    compat.check("SET", "other", "x")
    assert compat.check("RENAME", "a", "b") == OK
    assert compat.check("TTL", "b") == ints(1000)
    assert compat.check("TTL", "a") == ints(-2)
    compat.check("PEXPIREAT", "b", 99999999999999)
    assert compat.check("RENAMENX", "b", "c") == ints(1)
    assert compat.check("PEXPIRETIME", "c") == ints(99999999999999)
    assert compat.check("RENAME", "c", "other") == OK
    assert compat.check("PEXPIRETIME", "other") == ints(99999999999999)


def test_renamenx(compat):
    mset(compat, [("a", "1"), ("b", "2")])
    assert compat.check("RENAMENX", "a", "b") == ints(0)
    assert compat.check("GET", "a") == ("$", b"1")
    assert compat.check("RENAMENX", "a", "c") == ints(1)
    assert compat.check("RENAMENX", "c", "c") == ints(0)
    assert compat.check("RENAMENX", "nosuch", "c") == err("ERR no such key")
    assert compat.check("RENAMENX", "nosuch", "nosuch") == err("ERR no such key")
    compat.check("MGET", "a", "b", "c")


def test_rename_across_shards(compat):
    for i in range(50):
        compat.check("SET", f"src{i}", i)
        assert compat.check("RENAME", f"src{i}", f"dst{i * 7}") == OK
    assert set(compat.check("KEYS", "*", unordered=True)[1]) == {
        ("$", f"dst{i * 7}".encode()) for i in range(50)}


def test_rename_expired_source(compat):
    compat.check("SET", "a", "1", "PX", 20)
    compat.check("SET", "b", "2", "PX", 20)
    time.sleep(0.1)
    assert compat.check("RENAME", "a", "x") == err("ERR no such key")
    assert compat.check("RENAMENX", "b", "x") == err("ERR no such key")


def test_renamenx_expired_destination(compat):
    compat.check("SET", "a", "1")
    compat.check("SET", "b", "2", "PX", 20)
    time.sleep(0.1)
    assert compat.check("RENAMENX", "a", "b") == ints(1)
    assert compat.check("GET", "b") == ("$", b"1")


def test_rename_in_resp3(compat):
    compat.hello(3)
    compat.check("SET", "a", "1")
    assert compat.check("RENAME", "a", "b") == OK
    assert compat.check("RENAMENX", "b", "c") == ints(1)


# ---------------------------------------------------------------- COPY


def test_copy_basic(compat):
    compat.check("SET", "a", "hello")
    assert compat.check("COPY", "a", "b") == ints(1)
    assert compat.check("GET", "b") == ("$", b"hello")
    assert compat.check("COPY", "a", "b") == ints(0)
    compat.check("SET", "a", "changed")
    assert compat.check("GET", "b") == ("$", b"hello")
    assert compat.check("COPY", "a", "b", "REPLACE") == ints(1)
    assert compat.check("GET", "b") == ("$", b"changed")
    assert compat.check("COPY", "nosuch", "b") == ints(0)
    assert compat.check("COPY", "nosuch", "b", "replace") == ints(0)
    assert compat.check("GET", "b") == ("$", b"changed")


@pytest.mark.parametrize("value", ["12345", "-7", "embstr value", "r" * 100, "x" * 5000, ""])
def test_copy_values(compat, value):
    compat.check("SET", "a", value)
    assert compat.check("COPY", "a", "b") == ints(1)
    assert compat.check("GET", "b") == ("$", value.encode())
    compat.check("OBJECT", "ENCODING", "b")
    compat.check("APPEND", "b", "more")
    compat.check("GET", "a")
    compat.check("GET", "b")


def test_copy_keeps_ttl(compat):
    compat.check("SET", "a", "v")
    compat.check("PEXPIREAT", "a", 99999999999999)
    assert compat.check("COPY", "a", "b") == ints(1)
    assert compat.check("PEXPIRETIME", "b") == ints(99999999999999)
    compat.check("SET", "c", "v")
    assert compat.check("COPY", "c", "b", "REPLACE") == ints(1)
    assert compat.check("TTL", "b") == ints(-1)


def test_copy_same_object(compat):
    compat.check("SET", "a", "v")
    assert compat.check("COPY", "a", "a") == err("ERR source and destination objects are the same")
    assert compat.check("COPY", "a", "a", "REPLACE") == err(
        "ERR source and destination objects are the same")
    assert compat.check("COPY", "a", "a", "DB", 0) == err(
        "ERR source and destination objects are the same")
    assert compat.check("COPY", "nosuch", "nosuch") == err(
        "ERR source and destination objects are the same")
    assert compat.check("COPY", "a", "a", "DB", 1) == ints(1)


def test_copy_db(compat):
    compat.check("SET", "a", "v")
    compat.check("EXPIRE", "a", 500)
    assert compat.check("COPY", "a", "b", "DB", 3) == ints(1)
    assert compat.check("COPY", "a", "b", "db", "3") == ints(0)
    assert compat.check("EXISTS", "b") == ints(0)
    compat.check("SELECT", 3)
    assert compat.check("GET", "b") == ("$", b"v")
    assert compat.check("TTL", "b") == ints(500)
    assert compat.check("DBSIZE") == ints(1)
    compat.check("SET", "x", "in3")
    assert compat.check("COPY", "x", "a", "DB", 0, "REPLACE") == ints(1)
    compat.check("SELECT", 0)
    assert compat.check("GET", "a") == ("$", b"in3")
    assert compat.check("TTL", "a") == ints(-1)


@pytest.mark.parametrize("args", [
    ("DB",), ("DB", "x"), ("DB", "16"), ("DB", "-1"), ("DB", "99999999999"), ("DB", "1.5"),
    ("FOO",), ("REPLACE", "FOO"), ("DB", "1", "DB"), ("DB", ""), ("REPLACE", "DB", "x"),
    ("DB", "1", "REPLACE", "REPLACE"), ("DB", "1", "DB", "2"), ("DB", "2", "DB", "16"),
])
def test_copy_options(compat, args):
    compat.check("SET", "a", "v")
    compat.check("COPY", "a", "b", *args)
    compat.check("COPY", "nosuch", "b", *args)
    compat.check("DBSIZE")


# ---------------------------------------------------------------- MOVE


def test_move(compat):
    compat.check("SET", "a", "v")
    compat.check("EXPIRE", "a", 700)
    assert compat.check("MOVE", "a", 5) == ints(1)
    assert compat.check("EXISTS", "a") == ints(0)
    assert compat.check("MOVE", "a", 5) == ints(0)
    compat.check("SELECT", 5)
    assert compat.check("GET", "a") == ("$", b"v")
    assert compat.check("TTL", "a") == ints(700)
    compat.check("SET", "b", "in5")
    compat.check("SELECT", 0)
    compat.check("SET", "b", "in0")
    assert compat.check("MOVE", "b", 5) == ints(0)  # already there
    assert compat.check("GET", "b") == ("$", b"in0")
    compat.check("SELECT", 5)
    assert compat.check("GET", "b") == ("$", b"in5")


@pytest.mark.parametrize("db", ["0", "16", "-1", "x", "99999999999", "-99999999999", "", "1.0",
                                "2147483648"])
def test_move_errors(compat, db):
    compat.check("SET", "a", "v")
    compat.check("MOVE", "a", db)
    compat.check("MOVE", "nosuch", db)


def test_move_expired(compat):
    compat.check("SET", "a", "v", "PX", 20)
    compat.check("SELECT", 1)
    compat.check("SET", "b", "v", "PX", 20)
    compat.check("SELECT", 0)
    compat.check("SET", "b", "v0")
    time.sleep(0.1)
    assert compat.check("MOVE", "a", 1) == ints(0)
    # The target's copy expired, so the key may move.
    assert compat.check("MOVE", "b", 1) == ints(1)
    compat.check("SELECT", 1)
    assert compat.check("GET", "b") == ("$", b"v0")


# ---------------------------------------------------------------- KEYS

GLOB_KEYS = ["hello", "hallo", "hxllo", "hllo", "heeeello", "h", "a*b", "a?b", "a[b", "a]b",
             "a\\b", "a-b", "abc", "aXc", "-", "^", "[", "]", "*", "?", "\\", "foo:1", "foo:2",
             "foo:10", "Foo:3", "\x00bin", "bin\xff", "x" * 100]

GLOB_PATTERNS = [
    "*", "**", "***", "", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo",
    "h[!e]llo", "a\\*b", "a\\?b", "a\\[b", "a\\]b", "a\\\\b", "a[\\[]b", "a[]]b", "a[\\]]b",
    "a[*]b", "a[-]b", "a[a-]b", "a[-z]b", "[", "]", "\\", "\\*", "*\\", "a[b", "a[", "a[^",
    "a[^]b", "[[]", "[]]", "[\\]", "?", "??", "*?", "?*", "foo:*", "foo:?", "foo:[0-9]",
    "foo:[0-9]*", "FOO:*", "f[o]o:1", "h*l*o", "*llo", "h*", "*o", "*x*", "\\h*", "h\\",
    "[a-z]", "[z-a]", "a[b-]", "[^a-z]", "\x00*", "*\xff", "x*x", "a[[]b", "a[\\-]b",
    "h[e-e]llo", "h[^a-z]llo", "*[", "[a-",
]


def test_keys_glob(compat):
    for k in GLOB_KEYS:
        compat.check("SET", k.encode("latin-1"), "v")
    for p in GLOB_PATTERNS:
        compat.check("KEYS", p.encode("latin-1"), unordered=True)


def test_keys_empty_and_many(compat):
    assert compat.check("KEYS", "*") == ("*", [])
    for i in range(500):
        compat.check("SET", f"k{i}", i)
    assert len(compat.check("KEYS", "*", unordered=True)[1]) == 500
    compat.check("KEYS", "k1*", unordered=True)
    compat.check("KEYS", "k?", unordered=True)
    compat.check("KEYS", "k[2-3]?", unordered=True)


def test_keys_skips_expired(compat):
    compat.check("SET", "live", "1")
    compat.check("SET", "dead", "1", "PX", 10)
    compat.check("SET", "dead2", "1", "PX", 10)
    time.sleep(0.1)
    assert compat.check("KEYS", "*", unordered=True) == ("*", [("$", b"live")])
    assert compat.check("KEYS", "d*") == ("*", [])


def test_keys_other_db(compat):
    compat.check("SET", "zero", "1")
    compat.check("SELECT", 2)
    compat.check("SET", "two", "1")
    assert compat.check("KEYS", "*") == ("*", [("$", b"two")])


# ---------------------------------------------------------------- SCAN


def test_scan_empty(compat):
    assert compat.check("SCAN", 0) == ("*", [("$", b"0"), ("*", [])])
    assert check_scan(compat) == set()


def test_scan_collects_all_keys(compat):
    for i in range(1000):
        compat.check("SET", f"key:{i}", i)
    expected = {f"key:{i}".encode() for i in range(1000)}
    assert check_scan(compat) == expected
    for count in (1, 3, 10, 100, 5000):
        assert check_scan(compat, "COUNT", count) == expected
    b_keys, _ = scan_all(compat.basalt, "COUNT", 7)
    assert len(b_keys) == len(set(b_keys)) == 1000  # no duplicates on a stable table


def test_scan_match_and_type(compat):
    for i in range(200):
        compat.check("SET", f"user:{i}", i)
        compat.check("SET", f"item:{i}", "x")
    assert len(check_scan(compat, "MATCH", "user:*")) == 200
    assert len(check_scan(compat, "MATCH", "user:1?", "COUNT", 5)) == 10
    check_scan(compat, "MATCH", "*")
    check_scan(compat, "MATCH", "nothing*")
    check_scan(compat, "MATCH", "item:[0-3]", "COUNT", 1000)
    assert len(check_scan(compat, "TYPE", "string")) == 400
    assert len(check_scan(compat, "TYPE", "STRING", "COUNT", 50)) == 400
    assert check_scan(compat, "TYPE", "list") == set()
    assert check_scan(compat, "TYPE", "none") == set()
    assert check_scan(compat, "TYPE", "nosuchtype") == set()
    check_scan(compat, "TYPE", "string", "MATCH", "item:1*", "COUNT", 20)
    # Repeated options: the last one wins.
    check_scan(compat, "MATCH", "user:*", "MATCH", "item:*")
    check_scan(compat, "COUNT", 1, "COUNT", 100)


def test_scan_skips_expired(compat):
    for i in range(50):
        compat.check("SET", f"live{i}", "1")
        compat.check("SET", f"dead{i}", "1", "PX", 10)
    time.sleep(0.1)
    assert check_scan(compat) == {f"live{i}".encode() for i in range(50)}


def test_scan_sees_stable_keys_while_keyspace_changes(compat):
    stable = {f"stable:{i}".encode() for i in range(300)}
    for k in stable:
        compat.check("SET", k, "1")
    for client in (compat.redis, compat.basalt):
        seen, cursor, n = set(), b"0", 0
        while True:
            reply = client.call("SCAN", cursor, "COUNT", 20)
            cursor = reply[1][0][1]
            seen |= {k[1] for k in reply[1][1][1]}
            # Grow the keyspace between the first calls (tables resize under the cursor).
            if n < 40:
                client.call_many([("SET", f"churn:{n}:{j}", "x") for j in range(200)])
            n += 1
            if cursor == b"0":
                break
        assert stable <= seen, client


def test_scan_sees_stable_keys_while_shrinking(compat):
    stable = {f"stable:{i}".encode() for i in range(100)}
    for k in stable:
        compat.check("SET", k, "1")
    for client in (compat.redis, compat.basalt):
        client.call_many([("SET", f"churn:{i}", "x") for i in range(5000)])
    for client in (compat.redis, compat.basalt):
        seen, cursor, left = set(), b"0", list(range(5000))
        while True:
            reply = client.call("SCAN", cursor, "COUNT", 50)
            cursor = reply[1][0][1]
            seen |= {k[1] for k in reply[1][1][1]}
            batch, left = left[:600], left[600:]
            if batch:
                client.call("DEL", *[f"churn:{i}" for i in batch])
            if cursor == b"0":
                break
        assert stable <= seen, client


@pytest.mark.parametrize("cursor", ["x", " 0", "0 ", "0x", "1.5", "18446744073709551616",
                                    "99999999999999999999", "0\t", "--1", "1e3"])
def test_scan_invalid_cursor(compat, cursor):
    assert compat.check("SCAN", cursor) == err("ERR invalid cursor")


@pytest.mark.parametrize("cursor", ["", "+0", "00", "-0"])
def test_scan_lenient_cursor_forms(compat, cursor):
    """strtoul accepts these as 0: a full first call on a tiny keyspace."""
    compat.check("SET", "a", "1")
    assert compat.check("SCAN", cursor) == ("*", [("$", b"0"), ("*", [("$", b"a")])])


@pytest.mark.parametrize("cursor", ["-1", "18446744073709551615", "12345", "+77"])
def test_scan_odd_cursors_do_not_fail(compat, cursor):
    compat.check("SET", "a", "1")
    r, b = compat.both("SCAN", cursor)
    assert r[0] == b[0] == "*"
    assert len(b[1]) == 2 and b[1][0][0] == "$" and b[1][1][0] == "*"


@pytest.mark.parametrize("args", [
    ("COUNT",), ("COUNT", "0"), ("COUNT", "-1"), ("COUNT", "x"), ("COUNT", "1.5"),
    ("COUNT", "99999999999999999999"), ("MATCH",), ("TYPE",), ("FOO", "bar"), ("FOO",),
    ("MATCH", "*", "COUNT"), ("COUNT", "10", "BAR", "x"), ("count", "0", "match", "*"),
    ("match", "*", "count", "x"),
])
def test_scan_option_errors(compat, args):
    reply = compat.check("SCAN", 0, *args)
    assert reply[0] == "-"


def test_scan_resp3(compat):
    compat.hello(3)
    compat.check("SET", "a", "1")
    assert compat.check("SCAN", 0) == ("*", [("$", b"0"), ("*", [("$", b"a")])])
    assert compat.check("SCAN", "x") == err("ERR invalid cursor")


# ---------------------------------------------------------------- RANDOMKEY


def test_randomkey(compat):
    assert compat.check("RANDOMKEY") == NIL
    compat.check("SET", "only", "1")
    assert compat.check("RANDOMKEY") == ("$", b"only")
    keys = {f"k{i}".encode() for i in range(20)}
    for k in keys:
        compat.check("SET", k, "1")
    seen = set()
    for _ in range(400):
        r, b = compat.both("RANDOMKEY")
        assert r[0] == b[0] == "$"
        assert b[1] in keys | {b"only"}
        seen.add(b[1])
    assert len(seen) >= 15


def test_randomkey_skips_expired(compat):
    for i in range(30):
        compat.check("SET", f"dead{i}", "1", "PX", 10)
    compat.check("SET", "live", "1")
    time.sleep(0.1)
    for _ in range(5):
        assert compat.check("RANDOMKEY") == ("$", b"live")
    compat.check("DEL", "live")
    assert compat.check("RANDOMKEY") == NIL


def test_randomkey_all_expired(compat):
    for i in range(10):
        compat.check("SET", f"dead{i}", "1", "PX", 10)
    time.sleep(0.1)
    assert compat.check("RANDOMKEY") == NIL
    assert compat.check("DBSIZE") == ints(0)


def test_randomkey_resp3(compat):
    compat.hello(3)
    assert compat.check("RANDOMKEY") == ("_", None)


# ---------------------------------------------------------------- OBJECT


@pytest.mark.parametrize("value", ["0", "1", "9999", "10000", "-1", "123456789",
                                   "9223372036854775807", "-9223372036854775808",
                                   "9223372036854775808", "01", "+1", " 1", "1.5", "abc",
                                   "x" * 44, "x" * 45, "x" * 64, "x" * 65, "x" * 1000, ""])
def test_object_encoding_and_refcount(compat, value):
    compat.check("SET", "k", value)
    compat.check("OBJECT", "ENCODING", "k")
    compat.check("OBJECT", "REFCOUNT", "k")


def test_object_missing_key(compat):
    for sub in ("ENCODING", "REFCOUNT", "IDLETIME", "FREQ"):
        assert compat.check("OBJECT", sub, "nosuch") == NIL
    compat.hello(3)
    for sub in ("ENCODING", "REFCOUNT", "IDLETIME", "FREQ"):
        assert compat.check("OBJECT", sub, "nosuch") == ("_", None)


def test_object_idletime_and_freq(compat):
    compat.check("SET", "k", "some value")
    assert compat.check("OBJECT", "IDLETIME", "k") == ints(0)
    compat.check("OBJECT", "freq", "k")
    compat.check("OBJECT", "Encoding", "k")


def test_object_help(compat):
    reply = compat.check("OBJECT", "HELP")
    assert reply[0] == "*" and reply[1][0][0] == "+"
    compat.check("object", "help")
    compat.hello(3)
    compat.check("OBJECT", "HELP")


# ---------------------------------------------------------------- EXPIRE family


@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_missing_key(compat, cmd):
    assert compat.check(cmd, "nosuch", 100) == ints(0)
    assert compat.check(cmd, "nosuch", 100, "NX") == ints(0)
    assert compat.check(cmd, "nosuch", -100) == ints(0)


def test_expire_and_ttl(compat):
    compat.check("SET", "k", "v")
    assert compat.check("TTL", "k") == ints(-1)
    assert compat.check("PTTL", "k") == ints(-1)
    assert compat.check("EXPIRETIME", "k") == ints(-1)
    assert compat.check("PEXPIRETIME", "k") == ints(-1)
    assert compat.check("TTL", "nosuch") == ints(-2)
    assert compat.check("PTTL", "nosuch") == ints(-2)
    assert compat.check("EXPIRETIME", "nosuch") == ints(-2)
    assert compat.check("PEXPIRETIME", "nosuch") == ints(-2)
    assert compat.check("EXPIRE", "k", 100) == ints(1)
    assert compat.check("TTL", "k") == ints(100)
    r, b = compat.both("PTTL", "k")
    assert r[0] == b[0] == ":" and abs(r[1] - b[1]) < 500 and 99000 < b[1] <= 100000
    assert compat.check("PEXPIRE", "k", 50000) == ints(1)
    assert compat.check("TTL", "k") == ints(50)
    r, b = compat.both("EXPIRETIME", "k")
    assert abs(r[1] - b[1]) <= 1 and abs(b[1] - (time.time() + 50)) < 3


def test_expireat_absolute(compat):
    compat.check("SET", "k", "v")
    assert compat.check("EXPIREAT", "k", 33177117420) == ints(1)
    assert compat.check("EXPIRETIME", "k") == ints(33177117420)
    assert compat.check("PEXPIRETIME", "k") == ints(33177117420000)
    assert compat.check("PEXPIREAT", "k", 33177117420123) == ints(1)
    assert compat.check("PEXPIRETIME", "k") == ints(33177117420123)
    assert compat.check("EXPIRETIME", "k") == ints(33177117420)
    assert compat.check("PEXPIREAT", "k", 33177117420500) == ints(1)
    assert compat.check("EXPIRETIME", "k") == ints(33177117421)  # rounded
    assert compat.check("PEXPIREAT", "k", 9223372036854775807) == ints(1)
    assert compat.check("PEXPIRETIME", "k") == ints(9223372036854775807)
    compat.check("EXPIRETIME", "k")


@pytest.mark.parametrize("cmd,when", [
    ("EXPIRE", 0), ("EXPIRE", -1), ("EXPIRE", -9999999999), ("PEXPIRE", 0), ("PEXPIRE", -5),
    ("EXPIREAT", 0), ("EXPIREAT", 1), ("EXPIREAT", -100), ("PEXPIREAT", 1000),
    ("PEXPIREAT", -9223372036854775808), ("EXPIREAT", 1600000000),
])
def test_expire_in_the_past_deletes(compat, cmd, when):
    compat.check("SET", "k", "v")
    assert compat.check(cmd, "k", when) == ints(1)
    assert compat.check("EXISTS", "k") == ints(0)
    assert compat.check("DBSIZE") == ints(0)


@pytest.mark.parametrize("cmd,when", [
    ("EXPIRE", "9223372036854775807"), ("EXPIRE", "9223372036854775"),
    ("EXPIRE", "9223372036854776"), ("EXPIRE", "-9223372036854775808"),
    ("EXPIRE", "-9223372036854776"), ("PEXPIRE", "9223372036854775807"),
    ("PEXPIRE", "9223372036854000000"), ("EXPIREAT", "9223372036854775807"),
    ("EXPIREAT", "9223372036854776"), ("EXPIREAT", "-9223372036854776"),
    ("PEXPIREAT", "9223372036854775807"), ("EXPIRE", "9223372036854775808"),
    ("EXPIRE", "x"), ("EXPIRE", "1.5"), ("EXPIRE", ""), ("EXPIRE", " 1"), ("EXPIRE", "1 "),
    ("PEXPIRE", "+1"), ("PEXPIRE", "01"), ("EXPIREAT", "1e9"),
])
def test_expire_bad_times(compat, cmd, when):
    compat.check("SET", "k", "v")
    compat.check(cmd, "k", when)
    compat.check(cmd, "nosuch", when)
    compat.check("EXISTS", "k")


@pytest.mark.parametrize("opts", [
    ("NX",), ("XX",), ("GT",), ("LT",), ("nx",), ("Gt",), ("NX", "XX"), ("NX", "GT"),
    ("NX", "LT"), ("XX", "GT"), ("XX", "LT"), ("GT", "LT"), ("NX", "NX"), ("XX", "XX", "GT"),
    ("GT", "GT"), ("FOO",), ("NX", "FOO"), ("FOO", "NX", "XX"), ("NX", "XX", "FOO"),
    ("XX", "GT", "LT"), ("NX", "GT", "LT"), ("",),
])
def test_expire_options_parse(compat, opts):
    compat.check("SET", "k", "v")
    compat.check("EXPIRE", "k", 100, *opts)
    compat.check("TTL", "k")
    compat.check("PEXPIRE", "nosuch", 100, *opts)
    compat.check("EXPIREAT", "k", "x", *opts)
    compat.check("PEXPIREAT", "k", "9223372036854775807", *opts)
    compat.check("EXPIRE", "k", "9223372036854775807", *opts)


def test_expire_nx_xx(compat):
    compat.check("SET", "k", "v")
    assert compat.check("EXPIRE", "k", 100, "XX") == ints(0)
    assert compat.check("TTL", "k") == ints(-1)
    assert compat.check("EXPIRE", "k", 100, "NX") == ints(1)
    assert compat.check("EXPIRE", "k", 200, "NX") == ints(0)
    assert compat.check("TTL", "k") == ints(100)
    assert compat.check("EXPIRE", "k", 300, "XX") == ints(1)
    assert compat.check("TTL", "k") == ints(300)
    # A past time with a failing condition does not delete.
    compat.check("SET", "p", "v")
    compat.check("EXPIRE", "p", 100)
    assert compat.check("EXPIRE", "p", -1, "NX") == ints(0)
    assert compat.check("EXISTS", "p") == ints(1)
    assert compat.check("EXPIRE", "p", -1, "XX") == ints(1)
    assert compat.check("EXISTS", "p") == ints(0)


def test_expire_gt_lt(compat):
    compat.check("SET", "k", "v")
    # No TTL is an infinite one: GT always fails, LT always succeeds.
    assert compat.check("EXPIRE", "k", 100, "GT") == ints(0)
    assert compat.check("TTL", "k") == ints(-1)
    assert compat.check("EXPIRE", "k", 100, "LT") == ints(1)
    assert compat.check("TTL", "k") == ints(100)
    assert compat.check("EXPIRE", "k", 200, "LT") == ints(0)
    assert compat.check("EXPIRE", "k", 50, "GT") == ints(0)
    assert compat.check("EXPIRE", "k", 200, "GT") == ints(1)
    assert compat.check("TTL", "k") == ints(200)
    assert compat.check("EXPIRE", "k", 50, "LT") == ints(1)
    assert compat.check("TTL", "k") == ints(50)
    # Relative times move with the clock: combine XX with GT/LT on absolute ones.
    assert compat.check("EXPIREAT", "k", 33177117420) == ints(1)
    assert compat.check("EXPIREAT", "k", 33177117420, "XX", "GT") == ints(0)
    assert compat.check("EXPIREAT", "k", 33177117480, "XX", "GT") == ints(1)
    assert compat.check("EXPIRE", "k", 10, "LT", "XX") == ints(1)
    assert compat.check("TTL", "k") == ints(10)
    # Equal absolute times: neither greater nor less.
    assert compat.check("PEXPIREAT", "k", 33177117420000) == ints(1)
    assert compat.check("PEXPIREAT", "k", 33177117420000, "GT") == ints(0)
    assert compat.check("PEXPIREAT", "k", 33177117420000, "LT") == ints(0)
    assert compat.check("EXPIREAT", "k", 33177117421, "GT") == ints(1)
    assert compat.check("EXPIREAT", "k", 33177117420, "LT") == ints(1)
    # LT with a past time on a key without TTL deletes it.
    compat.check("SET", "n", "v")
    assert compat.check("EXPIRE", "n", -10, "LT") == ints(1)
    assert compat.check("EXISTS", "n") == ints(0)


def test_expire_overwritten_by_set(compat):
    compat.check("SET", "k", "v")
    compat.check("EXPIRE", "k", 100)
    compat.check("SET", "k", "v2")
    assert compat.check("TTL", "k") == ints(-1)


def test_persist(compat):
    compat.check("SET", "k", "v")
    assert compat.check("PERSIST", "k") == ints(0)
    assert compat.check("PERSIST", "nosuch") == ints(0)
    compat.check("EXPIRE", "k", 100)
    assert compat.check("PERSIST", "k") == ints(1)
    assert compat.check("TTL", "k") == ints(-1)
    assert compat.check("PERSIST", "k") == ints(0)
    compat.check("SET", "e", "v", "PX", 10)
    time.sleep(0.1)
    assert compat.check("PERSIST", "e") == ints(0)


def test_lazy_expiry_on_access(compat):
    compat.check("SET", "a", "1", "PX", 50)
    compat.check("SET", "b", "1", "PX", 50)
    compat.check("SET", "c", "1")
    compat.check("PEXPIRE", "c", 50)
    assert compat.check("EXISTS", "a", "b", "c") == ints(3)
    time.sleep(0.2)
    assert compat.check("GET", "a") == NIL
    assert compat.check("EXISTS", "b") == ints(0)
    assert compat.check("TTL", "c") == ints(-2)
    assert compat.check("TYPE", "c") == ("+", b"none")
    assert compat.check("OBJECT", "ENCODING", "a") == NIL
    assert compat.check("TOUCH", "a", "b", "c") == ints(0)
    assert compat.check("DEL", "a", "b", "c") == ints(0)


def test_active_expiry_cycle(compat):
    for i in range(200):
        compat.check("SET", f"tmp:{i}", "v", "PX", 1500)  # long enough for slow (sanitizer) builds to finish the SETs
    compat.check("SET", "keep", "v")
    assert compat.check("DBSIZE") == ints(201)
    # No key is accessed: only the active cycle can remove them.
    for client in (compat.redis, compat.basalt):
        assert wait_until(lambda: client.call("DBSIZE") == ints(1), timeout=10), client
    assert compat.check("KEYS", "*") == ("*", [("$", b"keep")])


def test_active_expiry_in_other_dbs(compat):
    compat.check("SELECT", 7)
    for i in range(50):
        compat.check("SET", f"tmp:{i}", "v", "PX", 50)
    for client in (compat.redis, compat.basalt):
        assert wait_until(lambda: client.call("DBSIZE") == ints(0), timeout=10), client


def test_ttl_rounding(compat):
    compat.check("SET", "k", "v")
    compat.check("PEXPIRE", "k", 10400)
    assert compat.check("TTL", "k") == ints(10)
    compat.check("PEXPIRE", "k", 10700)
    assert compat.check("TTL", "k") == ints(11)


# ---------------------------------------------------------------- DBSIZE, FLUSHDB, FLUSHALL


def test_dbsize(compat):
    assert compat.check("DBSIZE") == ints(0)
    for i in range(100):
        compat.check("SET", f"k{i}", i)
    assert compat.check("DBSIZE") == ints(100)
    compat.check("SELECT", 1)
    assert compat.check("DBSIZE") == ints(0)


@pytest.mark.parametrize("mode", [(), ("ASYNC",), ("SYNC",), ("async",), ("Sync",)])
def test_flushdb(compat, mode):
    for i in range(100):
        compat.check("SET", f"k{i}", i)
    compat.check("SELECT", 4)
    compat.check("SET", "other", "1")
    compat.check("EXPIRE", "other", 100)
    compat.check("SELECT", 0)
    assert compat.check("FLUSHDB", *mode) == OK
    assert compat.check("DBSIZE") == ints(0)
    assert compat.check("KEYS", "*") == ("*", [])
    assert compat.check("SCAN", 0) == ("*", [("$", b"0"), ("*", [])])
    compat.check("SELECT", 4)
    assert compat.check("DBSIZE") == ints(1)
    assert compat.check("TTL", "other") == ints(100)
    compat.check("SELECT", 0)
    # The emptied database works as before.
    compat.check("SET", "k1", "again")
    assert compat.check("GET", "k1") == ("$", b"again")


@pytest.mark.parametrize("mode", [(), ("ASYNC",), ("SYNC",)])
def test_flushall(compat, mode):
    for db in (0, 3, 15):
        compat.check("SELECT", db)
        for i in range(100):
            compat.check("SET", f"k{i}", i, "EX", 1000)
    assert compat.check("FLUSHALL", *mode) == OK
    for db in (0, 3, 15):
        compat.check("SELECT", db)
        assert compat.check("DBSIZE") == ints(0)
        assert compat.check("RANDOMKEY") == NIL
    compat.check("SET", "new", "1")
    assert compat.check("KEYS", "*") == ("*", [("$", b"new")])


def test_flushall_large_async(compat):
    for client in (compat.redis, compat.basalt):
        for start in range(0, 20000, 1000):
            client.call_many([("SET", f"k{i}", "v" * 50) for i in range(start, start + 1000)])
    assert compat.check("DBSIZE") == ints(20000)
    assert compat.check("FLUSHALL", "ASYNC") == OK
    assert compat.check("DBSIZE") == ints(0)
    compat.check("SET", "k1", "x")
    assert compat.check("DBSIZE") == ints(1)


@pytest.mark.parametrize("cmd", ["FLUSHDB", "FLUSHALL"])
@pytest.mark.parametrize("args", [("FOO",), ("ASYNC", "SYNC"), ("SYNC", "SYNC"), ("",),
                                  ("ASYNC", "x")])
def test_flush_syntax(compat, cmd, args):
    compat.check("SET", "k", "v")
    assert compat.check(cmd, *args) == err("ERR syntax error")
    assert compat.check("DBSIZE") == ints(1)


# ---------------------------------------------------------------- SWAPDB


def test_swapdb(compat):
    compat.check("SET", "a", "in0")
    compat.check("EXPIRE", "a", 300)
    compat.check("SELECT", 1)
    compat.check("SET", "b", "in1")
    compat.check("SET", "c", "in1")
    assert compat.check("SWAPDB", 0, 1) == OK
    # The connection stays on index 1, which now holds db 0's keys.
    assert compat.check("KEYS", "*") == ("*", [("$", b"a")])
    assert compat.check("TTL", "a") == ints(300)
    compat.check("SELECT", 0)
    assert compat.check("KEYS", "*", unordered=True) == ("*", [("$", b"b"), ("$", b"c")])
    assert compat.check("SWAPDB", 1, 1) == OK
    assert compat.check("SWAPDB", "0", "15") == OK
    assert compat.check("DBSIZE") == ints(0)
    compat.check("SELECT", 15)
    assert compat.check("DBSIZE") == ints(2)


def test_swapdb_seen_by_other_connections(compat):
    other = compat.connect()
    compat.check("SET", "k", "zero")
    other.check("SELECT", 2)
    other.check("SET", "k", "two")
    assert compat.check("SWAPDB", 0, 2) == OK
    assert compat.check("GET", "k") == ("$", b"two")
    assert other.check("GET", "k") == ("$", b"zero")


@pytest.mark.parametrize("a,b", [
    ("x", "1"), ("1", "x"), ("x", "y"), ("16", "0"), ("0", "16"), ("-1", "0"), ("0", "-1"),
    ("99999999999", "0"), ("0", "99999999999"), ("2147483648", "x"), ("1.5", "0"),
    ("", "0"), ("0", ""), ("16", "x"), ("-2147483649", "0"),
])
def test_swapdb_errors(compat, a, b):
    compat.check("SWAPDB", a, b)


# ---------------------------------------------------------------- large keyspaces


def test_many_keys_every_command(compat):
    for client in (compat.redis, compat.basalt):
        client.call_many([("SET", f"key:{i}", i) for i in range(5000)])
    assert compat.check("DBSIZE") == ints(5000)
    assert len(compat.check("KEYS", "key:1*", unordered=True)[1]) == 1111
    assert len(check_scan(compat, "COUNT", 100)) == 5000
    assert compat.check("EXISTS", *[f"key:{i}" for i in range(0, 5000, 7)]) == ints(715)
    assert compat.check("DEL", *[f"key:{i}" for i in range(0, 5000, 2)]) == ints(2500)
    assert compat.check("DBSIZE") == ints(2500)
    assert len(check_scan(compat, "COUNT", 1000)) == 2500
    r, b = compat.both("RANDOMKEY")
    assert b[0] == "$" and int(b[1].split(b":")[1]) % 2 == 1


# ---------------------------------------------------------------- policies, stats


@pytest.fixture
def restore_memory_config(compat):
    yield
    for client in (compat.redis, compat.basalt):
        client.call("CONFIG", "SET", "maxmemory-policy", "noeviction")
        client.call("CONFIG", "SET", "maxmemory", "0")
        client.call("CONFIG", "SET", "lfu-decay-time", "1")
        client.call("CONFIG", "SET", "lfu-log-factor", "10")


@pytest.mark.parametrize("policy,shared", [
    ("allkeys-lru", False), ("volatile-lru", False), ("allkeys-lfu", False),
    ("volatile-lfu", False), ("allkeys-random", True), ("volatile-ttl", True),
    ("noeviction", True),
])
def test_refcount_follows_eviction_policy(compat, restore_memory_config, policy, shared):
    compat.check("CONFIG", "SET", "maxmemory", "1gb")
    compat.check("CONFIG", "SET", "maxmemory-policy", policy)
    compat.check("SET", "n", "42")
    expected = 2147483647 if shared else 1
    assert compat.check("OBJECT", "REFCOUNT", "n") == ints(expected)
    compat.check("OBJECT", "ENCODING", "n")


def test_idletime_and_freq_errors_by_policy(compat, restore_memory_config):
    compat.check("SET", "k", "value")
    compat.check("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    reply = compat.check("OBJECT", "IDLETIME", "k")
    assert reply[0] == "-"
    assert compat.check("OBJECT", "IDLETIME", "nosuch") == NIL
    compat.check("CONFIG", "SET", "maxmemory-policy", "volatile-lfu")
    compat.check("OBJECT", "IDLETIME", "k")
    compat.check("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    assert compat.check("OBJECT", "IDLETIME", "k") == ints(0)
    assert compat.check("OBJECT", "FREQ", "k")[0] == "-"


def test_object_freq_under_lfu(compat, restore_memory_config):
    # No decay and log factor 0: every access counts, so the counts are deterministic.
    compat.check("CONFIG", "SET", "lfu-decay-time", "0")
    compat.check("CONFIG", "SET", "lfu-log-factor", "0")
    compat.check("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    compat.check("SET", "k", "value")
    assert compat.check("OBJECT", "FREQ", "k") == ints(5)  # LFU_INIT_VAL
    compat.check("GET", "k")
    assert compat.check("OBJECT", "FREQ", "k") == ints(6)
    # The overwrite's write lookup counts once, and the new value keeps the
    # frequency, as dbOverwrite does.
    compat.check("SET", "k", "other")
    assert compat.check("OBJECT", "FREQ", "k") == ints(7)


def keyspace_stats(client):
    info = client.call("INFO", "stats")[1].decode()
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    return int(fields["keyspace_hits"]), int(fields["keyspace_misses"])


def test_keyspace_hits_and_misses(compat):
    """Which lookups count as hits/misses, as Redis's lookupKey* flags decide."""
    mset(compat, [("a", "1"), ("b", "2")])
    compat.check("CONFIG", "RESETSTAT")
    compat.check_seq([
        ("EXISTS", "a", "b", "c"), ("TYPE", "a"), ("TYPE", "zz"), ("TOUCH", "a", "zz"),
        ("TTL", "a"), ("PTTL", "zz"), ("EXPIRETIME", "a"), ("PEXPIRETIME", "zz"),
        ("OBJECT", "ENCODING", "a"), ("OBJECT", "REFCOUNT", "zz"), ("RENAME", "a", "c"),
        ("COPY", "c", "d"), ("COPY", "zz", "d"), ("MOVE", "c", 1), ("DEL", "b", "zz"),
        ("SCAN", 0, "TYPE", "string"), ("KEYS", "*"), ("RANDOMKEY",), ("EXPIRE", "d", 100),
        ("PERSIST", "d"), ("RENAMENX", "d", "e"), ("UNLINK", "e"), ("EXPIRE", "zz", 1),
    ])
    assert keyspace_stats(compat.basalt) == keyspace_stats(compat.redis)


def test_expired_keys_stat(compat):
    compat.check("CONFIG", "RESETSTAT")
    for i in range(5):
        compat.check("SET", f"e{i}", "v", "PX", 10)
    time.sleep(0.1)
    compat.check("EXISTS", "e0", "e1")
    compat.check("RENAME", "e2", "x")
    compat.check("SCAN", 0)
    r, b = compat.both("INFO", "stats")
    get = lambda reply: [l for l in reply[1].decode().splitlines()
                         if l.startswith("expired_keys:")]
    assert get(r) == get(b) == ["expired_keys:5"]


# ---------------------------------------------------------------- concurrency


@pytest.mark.concurrency
def test_concurrent_keyspace_wide_commands(compat):
    """MOVE/COPY across databases in both directions, SWAPDB, FLUSH*, SCAN,
    KEYS, RANDOMKEY and plain writes from several connections at once: no
    deadlock, no crash, and a consistent keyspace afterwards."""
    import random
    import threading

    srv = compat.pair.basalt
    errors = []

    def worker(seed):
        rnd = random.Random(seed)
        try:
            with srv.raw(timeout=30) as c:
                for n in range(400):
                    k = f"k{rnd.randrange(50)}"
                    op = rnd.randrange(12)
                    if op == 0:
                        c.call("SELECT", rnd.randrange(3))
                    elif op == 1:
                        c.call("MOVE", k, rnd.randrange(3))
                    elif op == 2:
                        c.call("COPY", k, f"k{rnd.randrange(50)}", "DB", rnd.randrange(3),
                               "REPLACE")
                    elif op == 3 and n % 50 == 0:
                        c.call("SWAPDB", rnd.randrange(3), rnd.randrange(3))
                    elif op == 4 and n % 100 == 0:
                        c.call("FLUSHALL", rnd.choice(["ASYNC", "SYNC"]))
                    elif op == 5 and n % 60 == 0:
                        c.call("FLUSHDB", "ASYNC")
                    elif op == 6:
                        c.call("SCAN", rnd.randrange(1 << 12), "COUNT", 20)
                    elif op == 7:
                        c.call("KEYS", "k1*")
                    elif op == 8:
                        c.call("RANDOMKEY")
                    elif op == 9:
                        c.call("RENAME", k, f"k{rnd.randrange(50)}")
                    elif op == 10:
                        c.call("PEXPIRE", k, rnd.randrange(1, 50))
                    else:
                        c.call("SET", k, "v" * rnd.randrange(1, 200))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "deadlock: workers still running"
    assert not errors, errors
    time.sleep(0.1)  # every PEXPIRE above has run out: the keyspace is stable now
    with srv.raw() as c:
        for db in range(3):
            c.call("SELECT", db)
            keys = c.call("KEYS", "*")[1]
            scanned, cursor = set(), b"0"
            while True:
                reply = c.call("SCAN", cursor, "COUNT", 100)
                cursor = reply[1][0][1]
                scanned |= {k[1] for k in reply[1][1][1]}
                if cursor == b"0":
                    break
            assert scanned == {k[1] for k in keys}
            assert c.call("DBSIZE")[1] >= len(keys)  # may still hold unvisited expired keys


def test_oom_under_noeviction(compat, restore_memory_config):
    compat.check("SET", "before", "1")
    compat.check("CONFIG", "SET", "maxmemory", "1")
    compat.check("SET", "k", "v")
    compat.check("INCR", "before")
    compat.check("GET", "before")
    compat.check("APPEND", "before", "x")
    compat.check("EXPIRE", "before", "100")
    compat.check("DEL", "before")
    compat.check("CONFIG", "SET", "maxmemory", "0")
