"""Differential tests of MULTI/EXEC/DISCARD/WATCH/UNWATCH against redis-server:
queueing and queue-time errors, EXECABORT, runtime errors inside EXEC, WATCH
broken by every kind of change (from another connection), RESP3 shapes, and
the CLIENT LIST fields of a client in a transaction."""

import time

import pytest


def client_fields(reply):
    """CLIENT INFO/LIST line -> {field: value} (the reply is a tagged bulk)."""
    line = reply[1].decode().strip()
    return dict(kv.split("=", 1) for kv in line.split(" "))


# ---------------------------------------------------------------- queueing


def test_basic_transaction(compat):
    compat.check_seq([
        ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"),
        ("LPUSH", "l", "x", "y"), ("LRANGE", "l", "0", "-1"), ("EXEC",),
        ("GET", "a"),
    ])


def test_empty_transaction(compat):
    compat.check_seq([("MULTI",), ("EXEC",)])


def test_nested_multi_does_not_abort(compat):
    compat.check_seq([("MULTI",), ("MULTI",), ("SET", "a", "1"), ("EXEC",), ("GET", "a")])


def test_without_multi(compat):
    compat.check_seq([("EXEC",), ("DISCARD",)])


def test_arity_errors(compat):
    compat.check_seq([
        ("DISCARD", "x"), ("MULTI", "x"), ("WATCH",), ("UNWATCH", "x"),
        # A rejected EXEC answers EXECABORT even outside MULTI.
        ("EXEC", "x"),
        ("MULTI",), ("SET", "k", "v"), ("EXEC", "x"), ("EXEC",), ("GET", "k"),
    ])


@pytest.mark.parametrize("bad", [
    ("NOSUCHCOMMAND", "a"),
    ("SET", "a"),
    ("GET",),
    ("CONFIG", "NOSUCHSUB"),
    ("SHUTDOWN",),  # no-multi
])
def test_queue_time_error_aborts(compat, bad):
    compat.check_seq([
        ("MULTI",), ("SET", "a", "1"), bad, ("SET", "b", "2"), ("EXEC",),
        ("EXISTS", "a", "b"), ("EXEC",),
    ])


def test_watch_inside_multi_is_an_error_but_not_an_abort(compat):
    compat.check_seq([
        ("MULTI",), ("WATCH", "a"), ("SET", "a", "1"), ("EXEC",), ("GET", "a"),
    ])


def test_runtime_errors_do_not_roll_back(compat):
    compat.check_seq([
        ("SET", "s", "text"),
        ("MULTI",), ("SET", "a", "1"), ("LPUSH", "a", "x"), ("INCR", "s"), ("INCR", "a"),
        ("HSET", "a", "f", "v"), ("EXEC",),
        ("GET", "a"), ("GET", "s"),
    ])


def test_discard(compat):
    compat.check_seq([
        ("MULTI",), ("SET", "x", "1"), ("INCR", "y"), ("DISCARD",), ("GET", "x"),
        ("GET", "y"), ("EXEC",), ("DISCARD",),
    ])


def test_discard_after_queue_error_resets(compat):
    compat.check_seq([
        ("MULTI",), ("NOSUCH",), ("DISCARD",), ("MULTI",), ("SET", "a", "1"), ("EXEC",),
    ])


def test_select_inside_multi(compat):
    compat.check_seq([
        ("MULTI",), ("SELECT", "1"), ("SET", "b", "1"), ("SELECT", "99"), ("SET", "c", "1"),
        ("SELECT", "0"), ("GET", "b"), ("SET", "b", "0"), ("EXEC",),
        ("GET", "b"), ("SELECT", "1"), ("GET", "b"), ("GET", "c"), ("SELECT", "0"),
    ])
    compat.check_seq([("MULTI",), ("SELECT", "2"), ("EXEC",), ("SET", "z", "1"),
                      ("SELECT", "0"), ("EXISTS", "z")])


def test_keyspace_wide_commands_inside_multi(compat):
    compat.check_seq([
        ("MSET", "a", "1", "b", "2"),
        ("MULTI",), ("DBSIZE",), ("SET", "c", "3"), ("DBSIZE",), ("FLUSHDB",),
        ("DBSIZE",), ("SET", "d", "4"), ("RANDOMKEY",), ("KEYS", "*"), ("SCAN", "0"), ("EXEC",),
    ], unordered=False)
    compat.check_seq([
        ("SET", "x", "1"), ("MULTI",), ("SWAPDB", "0", "1"), ("EXISTS", "x"), ("SELECT", "1"),
        ("EXISTS", "x"), ("MOVE", "x", "0"), ("SELECT", "0"), ("COPY", "x", "y", "DB", "3"),
        ("FLUSHALL",), ("DBSIZE",), ("EXEC",),
    ])


def test_server_commands_inside_multi(compat):
    compat.check_seq([
        ("MULTI",), ("CONFIG", "SET", "hash-max-listpack-entries", "1"),
        ("HSET", "h", "a", "1", "b", "2"), ("OBJECT", "ENCODING", "h"),
        ("CONFIG", "SET", "hash-max-listpack-entries", "128"),
        ("CONFIG", "GET", "hash-max-listpack-entries"), ("ECHO", "e"), ("PING",), ("EXEC",),
    ])
    # INFO and CLIENT LIST ask every worker: they must not deadlock inside EXEC.
    r, b = compat.both("MULTI")
    for cmd in (("INFO", "keyspace"), ("CLIENT", "LIST"), ("SET", "k", "v"), ("INFO",)):
        compat.check(*cmd)
    r, b = compat.both("EXEC")
    assert r[0] == b[0] == "*" and len(r[1]) == len(b[1]) == 4
    assert b[1][2] == r[1][2]


def test_scripts_inside_multi(compat):
    compat.check_seq([
        ("MULTI",), ("EVAL", "return redis.call('INCR', KEYS[1])", "1", "x"),
        ("EVAL", "return #redis.call('INFO', 'keyspace') > 0", "0"), ("SET", "y", "1"),
        ("EVAL", "return redis.call('GET', KEYS[1])", "1", "y"),
        ("EVAL", "return redis.call('BLPOP', KEYS[1], '0')", "1", "l"), ("EXEC",),
    ])


def test_blocking_commands_do_not_block_inside_multi(compat):
    compat.check_seq([
        ("MULTI",), ("BLPOP", "l", "0"), ("BRPOPLPUSH", "l", "m", "0"), ("BLMOVE", "l", "m",
                                                                         "LEFT", "RIGHT", "0"),
        ("BZPOPMIN", "z", "0"), ("BZPOPMAX", "z", "0"), ("BLMPOP", "0", "1", "l", "LEFT"),
        ("BZMPOP", "0", "1", "z", "MIN"), ("RPUSH", "l", "a"), ("BLPOP", "l", "0"), ("EXEC",),
    ])


def test_pipelined_transaction(compat):
    compat.check_raw(b"MULTI\r\nSET a 1\r\nINCR a\r\nGET a\r\nEXEC\r\n", replies=5)
    compat.check_raw(b"MULTI\r\nSET a\r\nINCR a\r\nEXEC\r\nGET a\r\n", replies=5)


def test_subscribe_inside_multi(compat):
    compat.check_seq([("MULTI",), ("SUBSCRIBE", "ch"), ("PING",), ("EXEC",), ("PING",),
                      # RESP2 subscribed mode refuses MULTI, and EXEC with EXECABORT.
                      ("MULTI",), ("EXEC",), ("UNSUBSCRIBE",)])


def test_subscribe_inside_multi_resp3(compat):
    compat.hello(3)
    compat.check_seq([("MULTI",), ("SUBSCRIBE", "ch"), ("PING",), ("EXEC",), ("PING",)])


def test_reset_discards_transaction_and_watches(compat):
    other = compat.connect()
    compat.check_seq([("SET", "w", "1"), ("WATCH", "w"), ("MULTI",), ("SET", "a", "1"),
                      ("RESET",), ("EXEC",), ("GET", "a")])
    other.check("SET", "w", "2")
    compat.check_seq([("MULTI",), ("SET", "a", "2"), ("EXEC",), ("GET", "a")])


def test_oom_inside_multi(compat):
    other = compat.connect()
    try:
        compat.check_seq([("MULTI",), ("SET", "a", "1")])
        other.check("CONFIG", "SET", "maxmemory", "1")
        compat.check("EXEC")  # EXECABORT ... because of: OOM ...
        compat.check_seq([("MULTI",), ("SET", "b", "1"), ("GET", "b"), ("PING",), ("EXEC",)])
        compat.check_seq([("MULTI",), ("DISCARD",)])
    finally:
        other.check("CONFIG", "SET", "maxmemory", "0")
    compat.check_seq([("EXISTS", "a", "b")])


# ---------------------------------------------------------------- WATCH


def test_watch_unmodified_key(compat):
    compat.check_seq([("SET", "x", "1"), ("WATCH", "x", "y", "z"), ("WATCH", "k"),
                      ("MULTI",), ("PING",), ("EXEC",)])


@pytest.mark.parametrize("change", [
    [("SET", "x", "40")],
    [("SET", "x", "30")],  # same value: still a change
    [("DEL", "x")],
    [("EXPIRE", "x", "100")],
    [("PERSIST", "x")],
    [("APPEND", "x", "z")],
    [("INCR", "x")],
    [("RENAME", "y", "x")],
    [("RENAME", "x", "y")],
    [("COPY", "y", "x", "REPLACE")],
    [("MOVE", "x", "1")],
    [("SELECT", "1"), ("SET", "x", "9"), ("MOVE", "x", "0"), ("SELECT", "0")],
    [("LPUSH", "x", "a")],  # WRONGTYPE: no change
    [("GETDEL", "x")],
    [("SETNX", "x", "1")],  # exists: no change
    [("DUMP", "nosuch")],
    [("FLUSHDB",)],
    [("FLUSHALL",)],
    [("SELECT", "1"), ("FLUSHDB",), ("SELECT", "0")],  # another db: no change
    [("SWAPDB", "0", "1")],
    [("SWAPDB", "1", "2")],
])
def test_watch_broken_by_other_client(compat, change):
    other = compat.connect()
    compat.check_seq([("SET", "x", "30"), ("SET", "y", "other"), ("WATCH", "x")])
    other.check_seq(change)
    compat.check_seq([("MULTI",), ("SET", "done", "1"), ("EXEC",), ("GET", "done")])


@pytest.mark.parametrize("change", [
    [("SET", "k", "1")],
    [("DEL", "k")],  # nothing deleted: no change
    [("LPUSH", "k", "a")],
    [("FLUSHDB",)],  # the key did not exist: no change
    [("SELECT", "1"), ("SET", "k", "x"), ("SELECT", "0"), ("SWAPDB", "0", "1")],
    [("SWAPDB", "0", "1")],  # both empty: no change
    [("COPY", "src", "k")],
])
def test_watch_missing_key(compat, change):
    other = compat.connect()
    compat.check_seq([("SET", "src", "v"), ("WATCH", "k")])
    other.check_seq(change)
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])


def test_watch_broken_by_restore(compat):
    other = compat.connect()
    payload = compat.redis.call("DUMP", "nosuch")
    compat.check_seq([("SET", "src", "v")])
    payload = compat.redis.call("DUMP", "src")[1]
    compat.check_seq([("WATCH", "k")])
    other.check("RESTORE", "k", "0", payload)
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])


def test_own_write_breaks_watch(compat):
    compat.check_seq([("SET", "x", "1"), ("WATCH", "x"), ("SET", "x", "2"), ("MULTI",),
                      ("PING",), ("EXEC",)])


def test_after_exec_key_is_no_longer_watched(compat):
    other = compat.connect()
    compat.check_seq([("SET", "x", "1"), ("WATCH", "x"), ("MULTI",), ("PING",), ("EXEC",)])
    other.check("SET", "x", "2")
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])


def test_failed_exec_unwatches(compat):
    other = compat.connect()
    compat.check_seq([("SET", "x", "1"), ("WATCH", "x")])
    other.check("SET", "x", "2")
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])


def test_unwatch_and_discard_forget_watches(compat):
    other = compat.connect()
    compat.check_seq([("SET", "x", "1"), ("WATCH", "x"), ("UNWATCH",)])
    other.check("SET", "x", "2")
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])
    compat.check_seq([("WATCH", "x"), ("MULTI",), ("DISCARD",)])
    other.check("SET", "x", "3")
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])
    # UNWATCH also clears a touch that already happened.
    compat.check_seq([("WATCH", "x"), ("SET", "x", "4"), ("UNWATCH",), ("MULTI",), ("PING",),
                      ("EXEC",)])


def test_watch_after_touch_stays_dirty(compat):
    compat.check_seq([("SET", "x", "1"), ("WATCH", "x"), ("SET", "x", "2"), ("WATCH", "x"),
                      ("MULTI",), ("EXEC",)])


def test_watch_in_other_db(compat):
    other = compat.connect()
    compat.check_seq([("SELECT", "3"), ("SET", "x", "1"), ("WATCH", "x"), ("SELECT", "0")])
    other.check("SET", "x", "2")  # db 0: not the watched key
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])
    compat.check_seq([("SELECT", "3"), ("WATCH", "x"), ("SELECT", "0")])
    other.check_seq([("SELECT", "3"), ("INCR", "x")])
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])


def test_watched_key_expires(compat):
    compat.check_seq([("SET", "e", "1", "PX", "30"), ("WATCH", "e")])
    time.sleep(0.15)
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])


def test_watched_key_expires_before_exec_is_seen(compat):
    # Expired by the time EXEC runs, whether or not anything removed it yet.
    compat.check_seq([("SET", "e", "1", "PX", "60"), ("WATCH", "e"), ("MULTI",), ("PING",)])
    time.sleep(0.12)
    compat.check("EXEC")


def test_watch_of_expired_then_deleted_key(compat):
    compat.check_seq([("SET", "e", "1", "PX", "10")])
    time.sleep(0.05)
    compat.check_seq([("WATCH", "e"), ("GET", "e"), ("MULTI",), ("PING",), ("EXEC",)])


def test_multi_keys_watch_one_touched(compat):
    other = compat.connect()
    compat.check_seq([("SET", "x", "30"), ("WATCH", "a", "b", "x", "k", "z")])
    other.check("SET", "x", "40")
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])


# ---------------------------------------------------------------- RESP3


def test_resp3_shapes(compat):
    other = compat.connect()
    compat.hello(3)
    compat.check_seq([
        ("MULTI",), ("HSET", "h", "f", "v"), ("HGETALL", "h"), ("SMEMBERS", "nosuch"),
        ("ZADD", "z", "1.5", "m"), ("ZSCORE", "z", "m"), ("GET", "nosuch"), ("EXEC",),
    ])
    compat.check_seq([("WATCH", "h")])
    other.check("DEL", "h")
    compat.check_seq([("MULTI",), ("PING",), ("EXEC",)])  # "_"
    compat.check_seq([("MULTI",), ("NOSUCH",), ("EXEC",)])


# ---------------------------------------------------------------- CLIENT LIST


def test_client_fields(compat):
    def fields():
        r, b = compat.both("CLIENT", "INFO")
        return client_fields(r), client_fields(b)

    def same(*names):
        r, b = fields()
        for n in names:
            assert r[n] == b[n], (n, r[n], b[n])

    same("flags", "multi", "multi-mem")
    compat.check_seq([("SET", "w", "1"), ("WATCH", "w")])
    same("flags", "multi")
    compat.check("SET", "w", "2")
    same("flags", "multi")  # d: a watched key was touched
    compat.check_seq([("MULTI",), ("SET", "a", "1"), ("CLIENT", "INFO")])
    r, b = compat.both("CLIENT", "LIST", "ID", "1")  # queued
    assert r == b
    # The queued CLIENT INFO, seen from another connection.
    other = compat.connect()
    r_line = [l for l in other.redis.call("CLIENT", "LIST")[1].decode().splitlines()
              if "flags=x" in l or "flags=xd" in l or "flags=dx" in l]
    b_line = [l for l in other.basalt.call("CLIENT", "LIST")[1].decode().splitlines()
              if "flags=x" in l or "flags=xd" in l or "flags=dx" in l]
    assert len(r_line) == len(b_line) == 1
    rf = dict(kv.split("=", 1) for kv in r_line[0].split(" "))
    bf = dict(kv.split("=", 1) for kv in b_line[0].split(" "))
    for n in ("flags", "multi", "multi-mem"):
        assert rf[n] == bf[n], (n, rf[n], bf[n])
    compat.check("DISCARD")
    same("flags", "multi", "multi-mem")


def test_client_info_inside_exec(compat):
    compat.check_seq([("MULTI",), ("CLIENT", "INFO")])
    r, b = compat.both("EXEC")
    rf, bf = client_fields(r[1][0]), client_fields(b[1][0])
    for n in ("flags", "multi", "multi-mem", "db"):
        assert rf[n] == bf[n], (n, rf[n], bf[n])


def test_command_info_and_docs(compat):
    for name in ("multi", "exec", "discard", "watch", "unwatch"):
        compat.check("COMMAND", "INFO", name)
        r, b = compat.both("COMMAND", "DOCS", name)
        rd, bd = (dict(zip(x[1][1][1][::2], x[1][1][1][1::2])) for x in (r, b))
        for field in (("$", b"summary"), ("$", b"since"), ("$", b"group"), ("$", b"complexity")):
            assert rd[field] == bd[field], (name, field, rd[field], bd[field])
