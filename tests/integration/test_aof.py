"""The append-only file: Redis 7 multi-part layout, round trips of every type
and write family through a restart, BGREWRITEAOF, CONFIG SET appendonly,
torn tails and corruption, disk errors (MISCONF) and INFO fields.

Crash tests (SIGKILL at random moments) are in test_aof_crash.py."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.servers import ServerError, basalt_path, start_basalt

CHECK_AOF = Path(basalt_path()).parent / "basalt-check-aof"
AOF_DIR = "appendonlydir"


# ---------------------------------------------------------------- helpers

def aof_args(datadir, *extra):
    return ["--dir", str(datadir), "--appendonly", "yes", *extra]


def pinfo(client):
    return client.info("persistence")


def wait_rewrite_done(client, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        p = pinfo(client)
        if not p["aof_rewrite_in_progress"] and not p["aof_rewrite_scheduled"]:
            return p
        time.sleep(0.02)
    raise AssertionError("AOF rewrite did not finish")


def manifest(datadir):
    return (Path(datadir) / AOF_DIR / "appendonly.aof.manifest").read_text()


def last_incr(datadir):
    lines = [l.split() for l in manifest(datadir).splitlines() if l.strip()]
    incrs = [l[1] for l in lines if l[-1] == "i"]
    return Path(datadir) / AOF_DIR / incrs[-1]


def dataset(srv, dbs=16):
    """Everything in every database: {(db, key): (type, value, pexpiretime)}."""
    out = {}
    for d in range(dbs):
        c = srv.client(db=d)
        if c.dbsize() == 0:
            continue
        for key in c.scan_iter(count=1000):
            t = c.type(key).decode()
            if t == "string":
                v = c.get(key)
            elif t == "list":
                v = tuple(c.lrange(key, 0, -1))
            elif t == "hash":
                v = tuple(sorted(c.hgetall(key).items()))
            elif t == "set":
                v = tuple(sorted(c.smembers(key)))
            elif t == "zset":
                v = tuple(c.zrange(key, 0, -1, withscores=True))
            else:
                v = None
            out[(d, key)] = (t, v, c.execute_command("PEXPIRETIME", key))
    return out


def restart(srv, args):
    srv.stop()
    return start_basalt(args)


def kill9(srv):
    srv.proc.kill()
    srv.proc.wait()
    srv.stopped = True


@pytest.fixture
def servers():
    started = []
    yield started
    problems = []
    for s in started:
        problems += s.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def start(servers, args):
    srv = start_basalt(args)
    servers.append(srv)
    return srv


def run(c, *args):
    """Runs a command; commands a colleague hasn't registered yet are skipped."""
    try:
        return c.execute_command(*args)
    except Exception as e:  # noqa: BLE001 - redis.ResponseError
        if "unknown command" in str(e):
            return None
        raise


# ---------------------------------------------------------------- layout

def test_layout_matches_redis7(servers, tmp_path):
    srv = start(servers, aof_args(tmp_path))
    c = srv.client()
    c.set("a", "1")
    d = tmp_path / AOF_DIR
    assert sorted(os.listdir(d)) == ["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof",
                                     "appendonly.aof.manifest"]
    assert manifest(tmp_path) == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                                  "file appendonly.aof.1.incr.aof seq 1 type i\n")
    assert (d / "appendonly.aof.1.base.rdb").read_bytes().startswith(b"REDIS0010")
    deadline = time.time() + 5
    while time.time() < deadline and not (d / "appendonly.aof.1.incr.aof").stat().st_size:
        time.sleep(0.01)
    assert (d / "appendonly.aof.1.incr.aof").read_bytes() == (
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n")
    p = pinfo(c)
    assert p["aof_enabled"] == 1 and p["aof_last_write_status"] == "ok"
    assert p["aof_base_size"] > 0 and p["aof_current_size"] > p["aof_base_size"]


def test_custom_names_and_resp_base(servers, tmp_path):
    args = aof_args(tmp_path, "--appendfilename", "my.aof", "--appenddirname", "mydir",
                    "--aof-use-rdb-preamble", "no")
    srv = start(servers, args)
    c = srv.client()
    c.rpush("l", "a", "b")
    c.bgrewriteaof()
    wait_rewrite_done(c)
    files = sorted(os.listdir(tmp_path / "mydir"))
    assert files == ["my.aof.2.base.aof", "my.aof.2.incr.aof", "my.aof.manifest"]
    base = (tmp_path / "mydir" / "my.aof.2.base.aof").read_bytes()
    assert base.startswith(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n") and b"RPUSH" in base
    servers.remove(srv)
    srv = restart(srv, args)
    servers.append(srv)
    assert srv.client().lrange("l", 0, -1) == [b"a", b"b"]


# ---------------------------------------------------------------- round trips

def fill_all_types(srv):
    c = srv.client()
    c.set("str", "hello")
    c.set("int", 12345)
    c.set("big", "x" * 5000)
    c.rpush("list", *[f"e{i}" for i in range(10)])
    c.rpush("biglist", *[f"e{i}" for i in range(1000)])
    c.hset("hash", mapping={"f1": "v1", "f2": "2"})
    c.hset("bighash", mapping={f"f{i}": f"v{i}" * 20 for i in range(600)})
    c.sadd("intset", *range(20))
    c.sadd("set", "a", "b", "c")
    c.sadd("bigset", *[f"m{i}" for i in range(700)])
    c.zadd("zset", {"a": 1.5, "b": -2, "c": float("inf")})
    c.zadd("bigzset", {f"m{i}": i / 3 for i in range(300)})
    c.pfadd("hll", *[f"x{i}" for i in range(100)])
    c.setbit("bits", 1000, 1)
    c.set("ttl", "v", px=500000)
    c.hset("ttlhash", "f", "v")
    c.pexpire("ttlhash", 400000)
    c2 = srv.client(db=5)
    c2.set("db5key", "five")
    c2.lpush("db5list", "x")


@pytest.mark.parametrize("preamble", ["yes", "no"])
@pytest.mark.parametrize("rewrite", [False, True])
def test_every_type_round_trips(servers, tmp_path, preamble, rewrite):
    args = aof_args(tmp_path, "--aof-use-rdb-preamble", preamble)
    srv = start(servers, args)
    c = srv.client()
    fill_all_types(srv)
    if rewrite:
        c.bgrewriteaof()
        wait_rewrite_done(c)
        c.set("after_rewrite", "1")  # goes to the new incr file
    before = dataset(srv)
    assert len(before) > 15
    servers.remove(srv)
    srv = restart(srv, args)
    servers.append(srv)
    assert dataset(srv) == before


def test_write_families_and_relative_expiries(servers, tmp_path):
    """Every family's writes (including non-deterministic and relative-time
    ones, logged by effect) reload to the same data and the same absolute TTLs."""
    args = aof_args(tmp_path)
    srv = start(servers, args)
    c = srv.client()
    script = [
        # strings
        ("SET", "s1", "v", "EX", "1000"), ("SET", "s2", "v", "PX", "900000"),
        ("SETEX", "s3", "800", "v"), ("PSETEX", "s4", "700000", "v"),
        ("SET", "s5", "v"), ("GETEX", "s5", "EX", "600"), ("SET", "s6", "v", "KEEPTTL"),
        ("SET", "s7", "v", "EXAT", str(int(time.time()) + 5000)),
        ("APPEND", "s6", "tail"), ("INCR", "n"), ("INCRBY", "n", "10"), ("DECR", "n"),
        ("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "f", "0.1"), ("SETRANGE", "s8", "5", "x"),
        ("MSET", "m1", "1", "m2", "2"), ("MSETNX", "m3", "3"), ("SETNX", "s9", "v"),
        ("GETSET", "s9", "w"), ("GETDEL", "m2"), ("SET", "s10", "v", "GET"),
        # keys
        ("EXPIRE", "m1", "500"), ("PEXPIRE", "m3", "450000"), ("EXPIREAT", "s9",
                                                             str(int(time.time()) + 4000)),
        ("SET", "p", "v", "EX", "100"), ("PERSIST", "p"), ("RENAME", "s10", "s11"),
        ("RENAMENX", "s11", "s12"), ("COPY", "s12", "s13"), ("MOVE", "s13", "3"),
        ("SET", "gone", "x"), ("DEL", "gone"), ("SET", "gone2", "x"), ("UNLINK", "gone2"),
        # lists
        ("RPUSH", "l", "a", "b", "c", "d", "e"), ("LPUSH", "l", "z"), ("LPOP", "l"),
        ("RPOP", "l"), ("LINSERT", "l", "BEFORE", "b", "ab"), ("LSET", "l", "0", "A"),
        ("LREM", "l", "1", "c"), ("LTRIM", "l", "0", "10"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "l", "l2"), ("BLPOP", "l", "0.1"), ("LPUSHX", "l2", "x"),
        ("RPUSH", "l3", "1", "2", "3"), ("LMPOP", "1", "l3", "LEFT", "COUNT", "2"),
        # hashes
        ("HSET", "h", "a", "1", "b", "2"), ("HSETNX", "h", "c", "3"), ("HDEL", "h", "a"),
        ("HINCRBY", "h", "b", "5"), ("HINCRBYFLOAT", "h", "fl", "2.5"), ("HMSET", "h", "d", "4"),
        # sets
        ("SADD", "set", "a", "b", "c", "d", "e", "f"), ("SREM", "set", "a"),
        ("SPOP", "set"), ("SMOVE", "set", "set2", "b"), ("SADD", "set3", "b", "c", "x"),
        ("SINTERSTORE", "si", "set", "set3"), ("SUNIONSTORE", "su", "set", "set3"),
        ("SDIFFSTORE", "sd", "set", "set3"), ("SPOP", "set3", "2"),
        # sorted sets
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZINCRBY", "z", "2.5", "a"),
        ("ZADD", "z", "INCR", "1", "b"), ("ZREM", "z", "c"), ("ZPOPMIN", "z"),
        ("ZADD", "z2", "5", "b", "6", "q"), ("ZUNIONSTORE", "zu", "2", "z", "z2"),
        ("ZINTERSTORE", "zi", "2", "z", "z2"), ("ZRANGESTORE", "zr", "z", "0", "-1"),
        ("ZREMRANGEBYRANK", "z2", "0", "0"), ("BZPOPMAX", "z", "0.1"),
        ("ZDIFFSTORE", "zd", "2", "zu", "zi"), ("ZMPOP", "1", "zu", "MIN"),
        # bitmaps, hyperloglog, sort
        ("SETBIT", "b", "7", "1"), ("BITOP", "OR", "b2", "b", "s1"),
        ("BITFIELD", "bf", "SET", "u8", "0", "200", "INCRBY", "u8", "0", "100"),
        ("PFADD", "hl", "a", "b", "c"), ("PFADD", "hl2", "c", "d"), ("PFMERGE", "hl3", "hl", "hl2"),
        ("RPUSH", "tosort", "3", "1", "2"), ("SORT", "tosort", "STORE", "sorted"),
        # whole databases
        ("SWAPDB", "0", "7"), ("SWAPDB", "7", "0"),
    ]
    for cmd in script:
        run(c, *cmd)
    c4 = srv.client(db=4)
    c4.set("tmp", "x")
    c4.flushdb()
    before = dataset(srv)
    assert ("string", b"v", before[(0, b"s1")][2]) == before[(0, b"s1")]
    assert before[(0, b"s1")][2] > 0 and before[(0, b"s5")][2] > 0
    servers.remove(srv)
    srv = restart(srv, args)
    servers.append(srv)
    after = dataset(srv)
    assert after == before


def test_relative_ttl_is_logged_absolute(servers, tmp_path):
    srv = start(servers, aof_args(tmp_path))
    c = srv.client()
    c.set("k", "v", ex=100)
    c.expire("k", 200)
    run(c, "GETEX", "k", "PX", "300000")
    deadline = time.time() + 5
    incr = last_incr(tmp_path)
    while time.time() < deadline and b"GETEX" not in incr.read_bytes().upper() \
            and b"PEXPIREAT" not in incr.read_bytes().upper():
        time.sleep(0.02)
    data = incr.read_bytes()
    # Nothing relative in the file: EX/EXPIRE became absolute unix-time forms.
    assert b"$2\r\nEX\r\n" not in data.upper()
    assert b"PXAT" in data.upper() or b"PEXPIREAT" in data.upper()


def test_multi_exec_is_wrapped_and_replayed(servers, tmp_path):
    args = aof_args(tmp_path)
    srv = start(servers, args)
    c = srv.client()
    p = c.pipeline(transaction=True)
    p.set("t1", "a")
    p.incr("t2")
    p.execute()
    deadline = time.time() + 5
    while time.time() < deadline and b"EXEC" not in last_incr(tmp_path).read_bytes():
        time.sleep(0.02)
    data = last_incr(tmp_path).read_bytes()
    assert b"*1\r\n$5\r\nMULTI\r\n" in data and b"*1\r\n$4\r\nEXEC\r\n" in data
    servers.remove(srv)
    srv = restart(srv, args)
    servers.append(srv)
    assert srv.client().mget("t1", "t2") == [b"a", b"1"]


def test_flushall_is_logged_even_when_empty(servers, tmp_path):
    srv = start(servers, aof_args(tmp_path))
    c = srv.client()
    c.flushall()
    c.set("x", "1")
    deadline = time.time() + 5
    while time.time() < deadline and b"$1\r\nx" not in last_incr(tmp_path).read_bytes():
        time.sleep(0.02)
    assert b"flushall" in last_incr(tmp_path).read_bytes().lower()


# ---------------------------------------------------------------- rewrite, runtime switch

def test_bgrewriteaof_replies_and_switches_files(servers, tmp_path):
    args = aof_args(tmp_path)
    srv = start(servers, args)
    c = srv.client()
    for i in range(2000):
        c.set(f"k{i}", i)
    with srv.raw() as r:
        assert r.call("BGREWRITEAOF") == ("+", b"Background append only file rewriting started")
    p = wait_rewrite_done(c)
    assert p["aof_rewrites"] == 1 and p["aof_last_bgrewrite_status"] == "ok"
    assert manifest(tmp_path) == ("file appendonly.aof.2.base.rdb seq 2 type b\n"
                                  "file appendonly.aof.2.incr.aof seq 2 type i\n")
    assert sorted(os.listdir(tmp_path / AOF_DIR)) == [
        "appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]
    c.set("later", "1")
    # aof_current_size / aof_base_size are the files' sizes.
    d = tmp_path / AOF_DIR
    deadline = time.time() + 5
    while time.time() < deadline:
        p = pinfo(c)
        sizes = [(d / f).stat().st_size for f in ("appendonly.aof.2.base.rdb",
                                                   "appendonly.aof.2.incr.aof")]
        if p["aof_current_size"] == sum(sizes):
            break
        time.sleep(0.02)
    assert p["aof_base_size"] == sizes[0] and p["aof_current_size"] == sum(sizes)
    before = dataset(srv)
    servers.remove(srv)
    srv = restart(srv, args)
    servers.append(srv)
    assert dataset(srv) == before


def test_writes_during_rewrite_are_kept(servers, tmp_path):
    args = aof_args(tmp_path)
    srv = start(servers, args)
    c = srv.client()
    pipe = c.pipeline(transaction=False)
    for i in range(50000):
        pipe.set(f"pre{i}", "x" * 50)
    pipe.execute()
    c.bgrewriteaof()
    n = 0
    while pinfo(c)["aof_rewrite_in_progress"] or n < 200:
        c.set(f"during{n}", n)
        c.incr("counter")
        n += 1
    wait_rewrite_done(c)
    before = dataset(srv)
    servers.remove(srv)
    srv = restart(srv, args)
    servers.append(srv)
    assert dataset(srv) == before


def test_config_set_appendonly_at_runtime(servers, tmp_path):
    srv = start(servers, ["--dir", str(tmp_path)])
    c = srv.client()
    c.set("before", "1")
    assert pinfo(c)["aof_enabled"] == 0
    assert "aof_current_size" not in pinfo(c)
    c.config_set("appendonly", "yes")
    deadline = time.time() + 10
    while time.time() < deadline and not (pinfo(c)["aof_enabled"] and pinfo(c)["aof_rewrites"]):
        time.sleep(0.02)
    wait_rewrite_done(c)
    c.set("after", "2")
    assert (tmp_path / AOF_DIR / "appendonly.aof.manifest").exists()
    c.config_set("appendonly", "no")
    deadline = time.time() + 5
    while time.time() < deadline and pinfo(c)["aof_enabled"]:
        time.sleep(0.02)
    assert pinfo(c)["aof_enabled"] == 0
    servers.remove(srv)
    srv = restart(srv, aof_args(tmp_path))
    servers.append(srv)
    assert srv.client().mget("before", "after") == [b"1", b"2"]


def test_auto_rewrite(servers, tmp_path):
    args = aof_args(tmp_path, "--auto-aof-rewrite-min-size", "100kb",
                    "--auto-aof-rewrite-percentage", "100")
    srv = start(servers, args)
    c = srv.client()
    deadline = time.time() + 20
    i = 0
    while time.time() < deadline and pinfo(c)["aof_rewrites"] == 0:
        pipe = c.pipeline(transaction=False)
        for _ in range(500):
            pipe.set(f"k{i % 300}", "v" * 100)
            i += 1
        pipe.execute()
    assert pinfo(c)["aof_rewrites"] >= 1
    wait_rewrite_done(c)


def test_bgrewriteaof_with_aof_off(servers, tmp_path):
    srv = start(servers, ["--dir", str(tmp_path)])
    c = srv.client()
    c.set("a", "1")
    with srv.raw() as r:
        assert r.call("BGREWRITEAOF") == ("+", b"Background append only file rewriting started")
        assert r.call("BGREWRITEAOF") in (
            ("-", b"ERR Background append only file rewriting already in progress"),
            ("+", b"Background append only file rewriting started"))
    wait_rewrite_done(c)
    assert pinfo(c)["aof_enabled"] == 0


# ---------------------------------------------------------------- damaged files

def prepare_with_last(servers, tmp_path, last=("SET", "lastkey", "lastvalue")):
    srv = start(servers, aof_args(tmp_path))
    c = srv.client()
    c.set("first", "1")
    c.execute_command(*last)
    servers.remove(srv)
    assert srv.stop() == []
    data = last_incr(tmp_path).read_bytes()
    tail = b"*%d\r\n" % len(last) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode())
                                                 for a in last)
    assert data.endswith(tail)
    return data, len(data) - len(tail)


def test_truncated_tail_every_offset_is_repaired(servers, tmp_path):
    data, start_of_last = prepare_with_last(servers, tmp_path)
    incr = last_incr(tmp_path)
    for cut in range(start_of_last + 1, len(data)):
        incr.write_bytes(data[:cut])
        srv = start_basalt(aof_args(tmp_path))
        try:
            c = srv.client()
            assert c.get("first") == b"1", cut
            assert c.get("lastkey") is None, cut
            assert "short read" in srv.output()
        finally:
            assert srv.stop() == []
        # The torn command was cut away on disk.
        assert incr.read_bytes() == data[:start_of_last], cut


def test_truncated_tail_refused_without_aof_load_truncated(tmp_path, servers):
    data, start_of_last = prepare_with_last(servers, tmp_path)
    incr = last_incr(tmp_path)
    for cut in (start_of_last + 1, (start_of_last + len(data)) // 2, len(data) - 1):
        incr.write_bytes(data[:cut])
        with pytest.raises(ServerError) as ei:
            start_basalt(aof_args(tmp_path, "--aof-load-truncated", "no"))
        msg = str(ei.value)
        assert str(incr.relative_to(tmp_path)) in msg or incr.name in msg
        assert f"offset {start_of_last}" in msg
        assert "basalt-check-aof --fix" in msg
    # basalt-check-aof reports it, --fix repairs it, and the server starts.
    r = subprocess.run([str(CHECK_AOF), str(incr)], capture_output=True, text=True)
    assert r.returncode == 1 and "not valid" in r.stdout
    r = subprocess.run([str(CHECK_AOF), "--fix", str(tmp_path / AOF_DIR /
                                                     "appendonly.aof.manifest")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    assert "Successfully truncated" in r.stdout
    assert incr.read_bytes() == data[:start_of_last]
    srv = start_basalt(aof_args(tmp_path, "--aof-load-truncated", "no"))
    try:
        assert srv.client().get("first") == b"1"
    finally:
        assert srv.stop() == []


def test_open_multi_at_tail_is_dropped(servers, tmp_path):
    data, _ = prepare_with_last(servers, tmp_path)
    incr = last_incr(tmp_path)
    incr.write_bytes(data + b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$2\r\nin\r\n$1\r\n1\r\n")
    srv = start(servers, aof_args(tmp_path))
    c = srv.client()
    assert c.get("lastkey") == b"lastvalue" and c.get("in") is None
    assert incr.read_bytes() == data


def test_corruption_in_the_middle_refuses_to_start(servers, tmp_path):
    data, start_of_last = prepare_with_last(servers, tmp_path)
    incr = last_incr(tmp_path)
    # Flip bytes inside the first command (the SELECT), leaving the tail intact.
    for pos, byte in ((0, b"X"), (5, b"#"), (start_of_last - 1, b"Z")):
        bad = bytearray(data)
        bad[pos:pos + 1] = byte
        incr.write_bytes(bytes(bad))
        with pytest.raises(ServerError) as ei:
            start_basalt(aof_args(tmp_path))
        msg = str(ei.value)
        assert "Bad file format" in msg and "basalt-check-aof --fix" in msg and "offset" in msg
        r = subprocess.run([str(CHECK_AOF), str(incr)], capture_output=True, text=True)
        assert r.returncode == 1
    incr.write_bytes(data)
    srv = start(servers, aof_args(tmp_path))
    assert srv.client().get("lastkey") == b"lastvalue"


def test_missing_file_named_in_manifest(servers, tmp_path):
    prepare_with_last(servers, tmp_path)
    incr = last_incr(tmp_path)
    incr.unlink()
    with pytest.raises(ServerError) as ei:
        start_basalt(aof_args(tmp_path))
    assert incr.name in str(ei.value) and "missing" in str(ei.value)
    r = subprocess.run([str(CHECK_AOF), str(tmp_path / AOF_DIR / "appendonly.aof.manifest")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Cannot open" in r.stdout


def test_damaged_manifest_refuses_to_start(servers, tmp_path):
    prepare_with_last(servers, tmp_path)
    m = tmp_path / AOF_DIR / "appendonly.aof.manifest"
    m.write_text("file appendonly.aof.1.base.rdb seq 1 type z\n")
    with pytest.raises(ServerError) as ei:
        start_basalt(aof_args(tmp_path))
    assert "manifest" in str(ei.value)


def test_check_aof_on_valid_files(servers, tmp_path):
    prepare_with_last(servers, tmp_path)
    r = subprocess.run([str(CHECK_AOF), str(tmp_path / AOF_DIR / "appendonly.aof.manifest")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "All AOF files and manifest are valid" in r.stdout
    r = subprocess.run([str(CHECK_AOF)], capture_output=True, text=True)
    assert r.returncode == 1 and "Usage" in r.stdout


def test_redis_loads_basalt_aof(servers, tmp_path):
    """The directory is Redis 7's own format: redis-server loads it."""
    srv = start(servers, aof_args(tmp_path))
    c = srv.client()
    c.set("a", "1", ex=1000)
    c.rpush("l", "x", "y")
    c.bgrewriteaof()
    wait_rewrite_done(c)
    c.zadd("z", {"m": 2})
    servers.remove(srv)
    assert srv.stop() == []
    redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    from tests.servers import start_server
    r = start_server(redis, ["--dir", str(tmp_path), "--appendonly", "yes"], name="redis-server")
    try:
        rc = r.client()
        assert rc.get("a") == b"1" and rc.ttl("a") > 900
        assert rc.lrange("l", 0, -1) == [b"x", b"y"] and rc.zscore("z", "m") == 2.0
    finally:
        r.stop()


# ---------------------------------------------------------------- disk errors

@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "fs"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip("needs permission to mount a small tmpfs")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


def test_disk_full_gives_misconf_and_recovers(servers, small_fs):
    srv = start(servers, aof_args(small_fs))
    c = srv.client()
    c.set("ok", "1")
    deadline = time.time() + 10
    while time.time() < deadline and not last_incr(small_fs).stat().st_size:
        time.sleep(0.01)  # "ok" is on disk before the disk fills
    filler = small_fs / "filler"
    # Fill the file system, leaving less than one write.
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    big = "v" * 200000
    try:
        c.set("big", big)  # accepted, but its write fails in the background
    except Exception:  # noqa: BLE001
        pass
    deadline = time.time() + 5
    while time.time() < deadline and pinfo(c)["aof_last_write_status"] == "ok":
        time.sleep(0.02)
    assert pinfo(c)["aof_last_write_status"] == "err"
    with pytest.raises(Exception) as ei:
        c.set("x", "1")
    assert str(ei.value) == "MISCONF Errors writing to the AOF file: No space left on device"
    assert c.get("ok") == b"1"  # reads keep working
    filler.unlink()
    deadline = time.time() + 5
    while time.time() < deadline and pinfo(c)["aof_last_write_status"] != "ok":
        time.sleep(0.05)
    assert pinfo(c)["aof_last_write_status"] == "ok"
    c.set("x", "1")
    assert c.get("big") == big.encode()


def test_fsync_always_replies_and_switching_off(servers, tmp_path):
    """Under appendfsync always replies wait for their fsync (group commit);
    turning the AOF off releases whatever waits, and nothing hangs."""
    srv = start(servers, aof_args(tmp_path, "--appendfsync", "always"))
    c = srv.client()
    pipe = c.pipeline(transaction=False)
    for i in range(2000):
        pipe.set(f"k{i}", i)
    assert all(pipe.execute())
    assert c.get("k1999") == b"1999"
    import threading
    stop = threading.Event()
    errors = []

    def writer():
        w = srv.client()
        try:
            n = 0
            while not stop.is_set():
                w.incr("counter")
                n += 1
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    c.config_set("appendonly", "no")
    time.sleep(0.3)
    c.config_set("appendonly", "yes")
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(10)
        assert not t.is_alive(), "a writer hung"
    assert not errors
    wait_rewrite_done(c)
    counter = int(c.get("counter"))
    servers.remove(srv)
    srv = restart(srv, aof_args(tmp_path, "--appendfsync", "always"))
    servers.append(srv)
    assert int(srv.client().get("counter")) == counter


def test_old_style_single_file_is_migrated(servers, tmp_path):
    """A Redis 6 appendonly.aof in `dir` becomes the base of the directory."""
    (tmp_path / "appendonly.aof").write_bytes(
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$1\r\n1\r\n"
        b"*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n")
    args = aof_args(tmp_path)
    srv = start(servers, args)
    c = srv.client()
    assert c.get("old") == b"1" and c.lrange("l", 0, -1) == [b"x"]
    assert not (tmp_path / "appendonly.aof").exists()
    assert manifest(tmp_path) == ("file appendonly.aof seq 1 type b\n"
                                  "file appendonly.aof.1.incr.aof seq 1 type i\n")
    c.set("new", "2")
    servers.remove(srv)
    srv = restart(srv, args)
    servers.append(srv)
    assert srv.client().mget("old", "new") == [b"1", b"2"]
