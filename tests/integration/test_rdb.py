"""RDB snapshots end to end: SAVE/BGSAVE and restart, files exchanged with
redis-server 7.0 both ways (and checked by redis-check-rdb), corrupt files
refused cleanly, point-in-time consistency of BGSAVE under concurrent
writers, shutdown saves, save points and MISCONF."""

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis

from tests.servers import TIMEOUT_SCALE, start_redis


# ---------------------------------------------------------------- helpers

def populate(r, big=300):
    """Every type, in compact and large encodings, with and without TTLs."""
    p = r.pipeline(transaction=False)
    p.set("str", "hello")
    p.set("int", 12345)
    p.set("bigint", 123456789012345)
    p.set("neg", -42)
    p.set("empty", "")
    p.set("long", "abc" * 1000)             # compressible
    p.set("random", os.urandom(5000))       # not compressible
    p.set("bin", b"\x00\xff\r\n" * 10)
    p.set("ttl", "v", px=3_600_000)
    p.rpush("list", "a", "b", 1, 300, -70000, 2**40)
    p.hset("hash", mapping={"f1": "v1", "f2": 2})
    p.sadd("intset", 1, 2, 3, -100000, 2**40)
    p.sadd("strset", "a", "b", "c")
    p.zadd("zset", {"a": 1, "b": 2.5, "c": -3, "inf": float("inf")})
    p.pfadd("hll", "a", "b", "c")
    p.expire("hash", 1000)
    for i in range(big):
        p.rpush("biglist", f"item-{i}" * (1 + i % 7))
        p.hset("bighash", f"field-{i}", f"value-{i}")
        p.sadd("bigset", f"member-{i}")
        p.sadd("bigintset", i)
        p.zadd("bigzset", {f"m-{i}": i * 1.5})
        p.pfadd("bighll", f"e-{i}")
    p.hset("longvalhash", "f", "x" * 100)
    p.zadd("longzset", {"y" * 100: 1})
    p.rpush("longlist", "z" * 10000)
    p.select(3) if False else None
    p.execute()
    r3 = redis.Redis(host=r.connection_pool.connection_kwargs["host"],
                     port=r.connection_pool.connection_kwargs["port"], db=3)
    r3.set("in-db3", "yes")
    r3.zadd("z3", {"a": 1})


def snapshot(r):
    """Every key of every database: (db, key) -> (type, value, ttl bucket)."""
    out = {}
    host = r.connection_pool.connection_kwargs["host"]
    port = r.connection_pool.connection_kwargs["port"]
    for db in range(16):
        c = redis.Redis(host=host, port=port, db=db)
        for key in c.scan_iter(count=1000):
            t = c.type(key)
            if t == b"string":
                v = c.get(key)
            elif t == b"list":
                v = c.lrange(key, 0, -1)
            elif t == b"hash":
                v = sorted(c.hgetall(key).items())
            elif t == b"set":
                v = sorted(c.smembers(key))
            elif t == b"zset":
                v = c.zrange(key, 0, -1, withscores=True)
            pttl = c.pttl(key)
            out[(db, key)] = (t, v, -1 if pttl < 0 else round(pttl / 60000))
    return out


def encodings(r, keys):
    return {k: r.object("encoding", k) for k in keys}


def wait_bgsave(r, timeout=30):
    deadline = time.monotonic() + timeout * TIMEOUT_SCALE
    while r.info("persistence")["rdb_bgsave_in_progress"]:
        assert time.monotonic() < deadline, "BGSAVE did not finish"
        time.sleep(0.02)


def check_rdb(path):
    proc = subprocess.run(["redis-check-rdb", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and "RDB looks OK" in proc.stdout, proc.stdout + proc.stderr
    return proc.stdout


def start_in(factory, directory, *extra):
    return factory(["--dir", str(directory), *extra])


ENCODED_KEYS = ["str", "int", "long", "list", "hash", "intset", "strset", "zset", "biglist",
                "bighash", "bigset", "bigintset", "bigzset", "longvalhash", "longzset"]


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("how", ["save", "bgsave", "shutdown"])
def test_round_trip_through_restart(basalt_factory, tmp_path, how):
    a = start_in(basalt_factory, tmp_path)
    r = a.client()
    populate(r)
    before = snapshot(r)
    enc = encodings(r, ENCODED_KEYS)
    if how == "save":
        assert r.save()
    elif how == "bgsave":
        assert r.bgsave()
        wait_bgsave(r)
        info = r.info("persistence")
        assert info["rdb_last_bgsave_status"] == "ok"
        assert info["rdb_saves"] == 1
        assert info["rdb_changes_since_last_save"] == 0
    if how == "shutdown":
        try:
            r.shutdown(save=True)
        except redis.ConnectionError:
            pass
        a.proc.wait(10 * TIMEOUT_SCALE)
    else:
        a.stop()
    check_rdb(tmp_path / "dump.rdb")
    b = start_in(basalt_factory, tmp_path)
    rb = b.client()
    assert snapshot(rb) == before
    assert encodings(rb, ENCODED_KEYS) == enc
    info = rb.info("persistence")
    assert info["rdb_last_load_keys_loaded"] == len(before)


def test_info_persistence_fields_match_redis(basalt, redis_oracle):
    # The RDB part (the AOF fields belong to the AOF's tests).
    def names(srv):
        return [k for k in srv.client().info("persistence")
                if not k.startswith(("aof_", "module_fork"))]
    assert names(basalt) == names(redis_oracle)


def test_options_compression_and_checksum(basalt_factory, tmp_path):
    a = start_in(basalt_factory, tmp_path)
    r = a.client()
    r.set("long", "abc" * 10000)
    r.save()
    compressed = (tmp_path / "dump.rdb").stat().st_size
    r.config_set("rdbcompression", "no")
    r.save()
    plain = (tmp_path / "dump.rdb").stat().st_size
    assert compressed < 2000 < 30000 < plain
    r.config_set("rdbchecksum", "no")
    r.save()
    assert (tmp_path / "dump.rdb").read_bytes()[-8:] == b"\0" * 8
    check_rdb(tmp_path / "dump.rdb")
    a.stop()
    b = start_in(basalt_factory, tmp_path)
    assert b.client().get("long") == b"abc" * 10000


def test_dbfilename_and_lastsave(basalt_factory, tmp_path):
    a = start_in(basalt_factory, tmp_path, "--dbfilename", "other.rdb")
    r = a.client()
    r.set("k", "v")
    before = r.lastsave()
    time.sleep(1.1)
    assert r.save()
    assert r.lastsave() > before
    assert (tmp_path / "other.rdb").exists() and not (tmp_path / "dump.rdb").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("temp-")]


# ---------------------------------------------------------------- interop

def test_basalt_dump_loads_in_redis(basalt_factory, tmp_path):
    a = start_in(basalt_factory, tmp_path)
    r = a.client()
    populate(r)
    before = snapshot(r)
    r.save()
    out = check_rdb(tmp_path / "dump.rdb")
    assert f"{len(before)} keys read" in out
    red = start_redis(["--dir", str(tmp_path)])
    try:
        rr = red.client()
        assert snapshot(rr) == before
        # redis-server keeps the encodings Basalt chose (same thresholds).
        assert encodings(rr, ENCODED_KEYS) == encodings(r, ENCODED_KEYS)
    finally:
        assert red.stop() == []


def test_redis_dump_loads_in_basalt(basalt_factory, tmp_path):
    red = start_redis(["--dir", str(tmp_path)])
    try:
        rr = red.client()
        populate(rr)
        before = snapshot(rr)
        enc = encodings(rr, ENCODED_KEYS)
        assert rr.save()
    finally:
        assert red.stop() == []
    b = start_in(basalt_factory, tmp_path)
    rb = b.client()
    assert snapshot(rb) == before
    assert encodings(rb, ENCODED_KEYS) == enc


def test_redis_legacy_encodings_load(basalt_factory, tmp_path):
    """Small aggregates converted by redis with tiny thresholds: ziplist-era
    layouts are not written by 7.0, but listpack/intset/quicklist and skiplist
    mixes with plain nodes are."""
    red = start_redis(["--dir", str(tmp_path), "--list-max-listpack-size", "2",
                       "--hash-max-listpack-entries", "1", "--zset-max-listpack-entries", "1",
                       "--set-max-intset-entries", "2"])
    try:
        rr = red.client()
        rr.rpush("l", *range(50))
        rr.hset("h", mapping={"a": 1, "b": 2})
        rr.zadd("z", {"a": 1, "b": 2})
        rr.sadd("s", 1, 2, 3)
        before = snapshot(rr)
        rr.save()
    finally:
        assert red.stop() == []
    b = start_in(basalt_factory, tmp_path)
    assert snapshot(b.client()) == before


# ---------------------------------------------------------------- corruption

def corrupt_variants(data):
    n = len(data)
    for cut in sorted({9, 10, 20, 50, n // 3, n // 2, n - 9, n - 1}):
        yield f"truncated at {cut}", data[:cut]
    for pos in (12, n // 4, n // 2, n - 12, n - 3):
        flipped = bytearray(data)
        flipped[pos] ^= 0x5A
        yield f"byte {pos} flipped", bytes(flipped)
    yield "bad magic", b"REDIX" + data[5:]
    yield "future version", b"REDIS0099" + data[9:]


def test_corrupt_files_refused(basalt_factory, tmp_path):
    a = start_in(basalt_factory, tmp_path)
    r = a.client()
    populate(r, big=50)
    r.save()
    a.stop()
    good = (tmp_path / "dump.rdb").read_bytes()
    binary = a.binary
    for what, data in corrupt_variants(good):
        d = tmp_path / "c"
        d.mkdir(exist_ok=True)
        (d / "dump.rdb").write_bytes(data)
        proc = subprocess.run([binary, "--port", "0", "--dir", str(d)], capture_output=True,
                              text=True, timeout=30 * TIMEOUT_SCALE)
        assert proc.returncode == 1, f"{what}: rc {proc.returncode}\n{proc.stdout}{proc.stderr}"
        out = proc.stdout + proc.stderr
        assert "loading the DB" in out or "RDB" in out, f"{what}: {out}"


# ---------------------------------------------------------------- point in time

@pytest.mark.concurrency
def test_bgsave_is_point_in_time(basalt_factory, tmp_path):
    """Writers increment k0..kN-1 in order, round after round: in any state of
    the database the counters are non-increasing along the chain and differ
    by at most one. Another writer walks i = 0, 1, ...: DEL old:i, then SET
    new:i, so the old keys missing and the new keys present are prefixes of
    equal length (or one less new). A snapshot taken mid-flight must be such
    a state."""
    a = start_in(basalt_factory, tmp_path)
    r = a.client()
    chains, length = 4, 200
    p = r.pipeline(transaction=False)
    for c in range(chains):
        for i in range(length):
            p.set(f"c{c}:k{i}", 0)
    p.set("filler", "x" * 1000)
    for i in range(20000):
        p.set(f"pad:{i}", i)
    churn = 30000
    for i in range(churn):
        p.set(f"old:{i}", i)
    p.execute()
    stop = threading.Event()
    errors = []

    def writer(c):
        w = a.client()
        try:
            while not stop.is_set():
                for i in range(length):
                    w.incr(f"c{c}:k{i}")
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    def churner():
        w = a.client()
        try:
            for i in range(churn):
                if stop.is_set():
                    break
                w.delete(f"old:{i}")
                w.set(f"new:{i}", i)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(c,)) for c in range(chains)]
    threads.append(threading.Thread(target=churner))
    for t in threads:
        t.start()
    time.sleep(0.3)
    saves = 0
    try:
        for _ in range(3):
            assert r.bgsave()
            wait_bgsave(r)
            saves += 1
            shutil.copy(tmp_path / "dump.rdb", tmp_path / f"snap{saves}.rdb")
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    a.stop()
    for s in range(1, saves + 1):
        d = tmp_path / f"load{s}"
        d.mkdir()
        shutil.copy(tmp_path / f"snap{s}.rdb", d / "dump.rdb")
        b = start_in(basalt_factory, d)
        rb = b.client()
        for c in range(chains):
            vals = [int(v) for v in rb.mget([f"c{c}:k{i}" for i in range(length)])]
            assert all(x >= y for x, y in zip(vals, vals[1:])), vals
            assert vals[0] - vals[-1] <= 1, vals
        old = rb.mget([f"old:{i}" for i in range(churn)])
        new = rb.mget([f"new:{i}" for i in range(churn)])
        deleted = sum(v is None for v in old)
        created = sum(v is not None for v in new)
        assert all(v is None for v in old[:deleted]), "old keys deleted out of order"
        assert all(v is not None for v in new[:created]), "new keys created out of order"
        assert created in (deleted, deleted - 1), (deleted, created)
        assert rb.dbsize() == chains * length + 1 + 20000 + churn - deleted + created
        b.stop()


# ---------------------------------------------------------------- shutdown, cron, errors

def test_shutdown_modes(basalt_factory, tmp_path):
    a = start_in(basalt_factory, tmp_path)
    r = a.client()
    r.set("k", "v")
    try:
        r.shutdown(nosave=True)
    except redis.ConnectionError:
        pass
    a.proc.wait(10 * TIMEOUT_SCALE)
    assert not (tmp_path / "dump.rdb").exists()
    # With save points, SIGTERM saves, as Redis's prepareForShutdown.
    b = start_in(basalt_factory, tmp_path, "--save", "3600 1")
    b.client().set("k2", "v2")
    b.proc.send_signal(signal.SIGTERM)
    assert b.proc.wait(10 * TIMEOUT_SCALE) == 0
    assert (tmp_path / "dump.rdb").exists()
    c = start_in(basalt_factory, tmp_path)
    assert c.client().get("k2") == b"v2"


def test_save_points_trigger_bgsave(basalt_factory, tmp_path):
    a = start_in(basalt_factory, tmp_path, "--save", "1 2")
    r = a.client()
    r.set("a", 1)
    time.sleep(1.5)
    assert r.info("persistence")["rdb_saves"] == 0  # one change is not enough
    r.set("b", 2)
    deadline = time.monotonic() + 10 * TIMEOUT_SCALE
    while r.info("persistence")["rdb_saves"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert (tmp_path / "dump.rdb").exists()
    assert r.info("persistence")["rdb_changes_since_last_save"] == 0


def test_failed_bgsave_misconf(basalt_factory, tmp_path):
    d = tmp_path / "gone"
    d.mkdir()
    a = start_in(basalt_factory, d, "--save", "3600 1")
    r = a.client()
    r.set("k", "v")
    d.rmdir()  # the temp file can't be created any more
    with pytest.raises(redis.ResponseError):
        r.save()
    r.bgsave()
    deadline = time.monotonic() + 10 * TIMEOUT_SCALE
    while r.info("persistence")["rdb_last_bgsave_status"] != "err":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with pytest.raises(redis.ResponseError, match="^MISCONF Redis is configured to save RDB"):
        r.set("k", "w")
    assert r.get("k") == b"v"  # reads still work
    r.config_set("stop-writes-on-bgsave-error", "no")
    assert r.set("k", "w")
    r.config_set("stop-writes-on-bgsave-error", "yes")
    d.mkdir()
    assert r.bgsave()
    wait_bgsave(r)
    assert r.info("persistence")["rdb_last_bgsave_status"] == "ok"
    assert r.set("k", "x")


def test_bgsave_replies(basalt):
    r = basalt.client()
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("BGSAVE", "foo")
    raw = basalt.raw()
    assert raw.call("BGSAVE", "SCHEDULE") == ("+", b"Background saving started")
    wait_bgsave(r)


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu"])
def test_idle_and_freq_travel_with_the_file(basalt_factory, tmp_path, policy):
    a = start_in(basalt_factory, tmp_path, "--maxmemory-policy", policy)
    r = a.client()
    r.set("src", "v")
    payload = r.dump("src")
    if policy.endswith("lru"):
        r.restore("k", 0, payload, idletime=5000)
    else:
        r.restore("k", 0, payload, frequency=42)
    r.save()
    check_rdb(tmp_path / "dump.rdb")
    for start in (lambda: start_redis(["--dir", str(tmp_path), "--maxmemory-policy", policy]),
                  lambda: start_in(basalt_factory, tmp_path, "--maxmemory-policy", policy)):
        srv = start()
        c = srv.client()
        if policy.endswith("lru"):
            assert 5000 <= c.object("idletime", "k") <= 5010
        else:
            assert c.object("freq", "k") == 42
        srv.stop()


@pytest.mark.concurrency
def test_bgsave_ignores_whole_keyspace_changes_after_t(basalt_factory, tmp_path):
    """BGSAVE's reply comes after T: SWAPDB, FLUSHDB, FLUSHALL and overwrites
    that follow it must not reach the file, however the shards are visited.
    (No save points: the shutdown must not save the flushed state over it.)"""
    a = start_in(basalt_factory, tmp_path, "--save", "")
    r0 = a.client(db=0)
    r1 = a.client(db=1)
    p0, p1 = r0.pipeline(transaction=False), r1.pipeline(transaction=False)
    for i in range(50000):
        p0.set(f"zero:{i}", i)
        if i % 5 == 0:
            p1.set(f"one:{i}", i)
    p0.execute()
    p1.execute()
    before = snapshot(r0)
    assert r0.bgsave()
    r0.swapdb(0, 1)
    r1.flushdb()
    r0.set("zero:1", "changed")
    r0.flushall()
    wait_bgsave(r0)
    a.stop()
    b = start_in(basalt_factory, tmp_path)
    assert snapshot(b.client()) == before
