#!/usr/bin/env python3
"""Side-by-side benchmark of basalt-server ($BASALT_SERVER) and redis-server.

Three sections, each run against both servers in the same invocation:
  throughput  server pinned to CPU 0, redis-benchmark pinned to CPU 1,
              -c 50 -r 100000, every test at pipeline 1 and 16; the servers are
              interleaved and each cell is the median of --repeats runs.
              Also server CPU seconds per million requests (/proc/PID/stat).
              Before every run (untimed) the test's key is rebuilt, the same
              on both servers, so no test depends on what ran before it:
                GET         100,000 keys key:000000000000.. with 3-byte values
                            (every GET hits)
                LPUSH       mylist deleted (starts empty)
                LPOP        mylist = requests + 10,000 3-byte elements: every
                            LPOP pops one, the list never runs empty
                LRANGE_100  mylist = 10,000 3-byte elements; LRANGE mylist 0 99
                            (redis-benchmark's own -t lrange_100 runs an LPUSH
                            pass first and reports it as an extra result)
                SADD        myset deleted (starts empty)
                SPOP        myset = requests + 10,000 members element:%012d:
                            every SPOP removes one, the set never runs empty
                HSET        myhash deleted; ZADD: myzset deleted
                ZRANGE_100  myzset = 10,000 members (scores 0..9999);
                            ZRANGE myzset 0 99
              The 10,000 spare covers what redis-benchmark sends past -n (at
              most clients x pipeline = 800). After LPOP and SPOP runs the key
              is checked to be non-empty; a run that emptied it is an error.
  memory      fresh servers per dataset: 1M string keys "key:%012d" with 16-byte
              values, 1M hashes of 5 fields, 100k sorted sets of 10 members,
              loaded via redis-cli --pipe; bytes/key from INFO used_memory and RSS.
  io-threads  unpinned, basalt --io-threads 2 vs plain redis, redis-benchmark
              --threads 2, SET and GET at pipeline 1 and 16 (2x the requests;
              ops/s from wall time, as redis-benchmark --threads counts time
              in 250 ms steps).
  features    pinned as throughput: MULTI + 5 INCR + EXEC transactions and
              PUBLISH fan-out to 50 subscribers (build/.../bin/loadgen); EVALSHA
              of a 3-command script is part of the throughput tests.
  persistence SET with appendonly yes, appendfsync everysec and always (pipeline
              1 and 16); BGSAVE of 1M keys (16-byte values; and 5M keys of 1 KB
              unless --quick) while a writer SETs flat out: save duration, peak
              memory (PSS of the server and any fork child) over idle, the
              writer's longest wait; then the start-up time loading that RDB,
              and a 1M-key AOF.

Usage: bench/bench.py [--quick] [--only SET,GET] [--servers basalt,redis]
                      [--requests N] [--repeats N]
                      [--sections throughput,memory,io-threads,features,persistence]
Results are printed and written as JSON to build/bench-results.json.
"""

import argparse
import csv
import hashlib
import json
import os
import platform
import signal
import statistics
import subprocess
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.resp import RawClient  # noqa: E402
from tests.servers import REDIS_SERVER, basalt_path, start_server  # noqa: E402

# Name shown -> redis-benchmark arguments: "-t <test>" for its built-in tests,
# or a command line using __rand_int__ (e.g. ["ZADD", "z", "__rand_int__", "m:__rand_int__"]).
TESTS = {
    "PING": ["-t", "ping_mbulk"],
    "SET": ["-t", "set"],
    "GET": ["-t", "get"],
    "INCR": ["-t", "incr"],
    "MSET": ["-t", "mset"],
    "LPUSH": ["-t", "lpush"],
    "LPOP": ["-t", "lpop"],
    # Not "-t lrange_100": redis-benchmark runs an LPUSH pass before it (first CSV row).
    "LRANGE_100": ["LRANGE", "mylist", "0", "99"],
    "SADD": ["-t", "sadd"],
    "SPOP": ["-t", "spop"],
    "HSET": ["-t", "hset"],
    "ZADD": ["-t", "zadd"],
    "ZRANGE_100": ["ZRANGE", "myzset", "0", "99"],
    "EVALSHA": None,  # filled in below: needs the script's SHA1
}
# EVALSHA runs a script of three commands on one key.
SCRIPT = ("redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 1000) "
          "return redis.call('GET', KEYS[1])")
TESTS["EVALSHA"] = ["EVALSHA", hashlib.sha1(SCRIPT.encode()).hexdigest(), "1", "counter:__rand_int__"]
SPARE = 10_000  # elements beyond -n for popping tests; redis-benchmark overshoots by <= c x P


def _chunked(cmd, key, items, per=1000):
    """[cmd, key, item...] commands of at most `per` items each."""
    items = list(items)
    return [[cmd, key, *items[i:i + per]] for i in range(0, len(items), per)]


def _pairs(start, stop, gen):
    return (x for i in range(start, stop) for x in gen(i))


# Commands run before every run of a test (requests -> command list), untimed,
# identical for both servers: each test starts from the dataset the
# docstring describes, whatever ran before it.
SETUP = {
    "EVALSHA": lambda n: [["SCRIPT", "LOAD", SCRIPT]],
    "GET": lambda n: [["MSET", *_pairs(i, min(i + 1000, 100_000), lambda k: (b"key:%012d" % k, b"xxx"))]
                      for i in range(0, 100_000, 1000)],
    "LPUSH": lambda n: [["DEL", "mylist"]],
    "LPOP": lambda n: [["DEL", "mylist"], *_chunked("RPUSH", "mylist", [b"xxx"] * (n + SPARE))],
    "LRANGE_100": lambda n: [["DEL", "mylist"], *_chunked("RPUSH", "mylist", [b"xxx"] * 10_000)],
    "SADD": lambda n: [["DEL", "myset"]],
    "SPOP": lambda n: [["DEL", "myset"],
                       *_chunked("SADD", "myset", (b"element:%012d" % i for i in range(n + SPARE)))],
    "HSET": lambda n: [["DEL", "myhash"]],
    "ZADD": lambda n: [["DEL", "myzset"]],
    "ZRANGE_100": lambda n: [["DEL", "myzset"],
                             *_chunked("ZADD", "myzset", _pairs(0, 10_000, lambda i: (i, b"member:%05d" % i)),
                                       per=2000)],
}
# After a run: (command, minimum reply) that shows the run never found its key empty.
CHECK_AFTER = {
    "LPOP": (["LLEN", "mylist"], 1),
    "SPOP": (["SCARD", "myset"], 1),
}
PIPELINES = [1, 16]
IO_THREAD_TESTS = ["SET", "GET"]
PIPELINED_REQUEST_FACTOR = 5  # pipelined runs are that much faster: send more requests
SERVER_CPU, CLIENT_CPU = "0", "1"


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer requests and keys")
    ap.add_argument("--requests", type=int, help="requests per run at pipeline 1 (x%d when pipelined)"
                    % PIPELINED_REQUEST_FACTOR)
    ap.add_argument("--repeats", type=int, help="runs per cell; the median is reported")
    ap.add_argument("--keys", type=int, help="scale of the memory datasets: strings loaded "
                    "(the others scale with it); default 1,000,000")
    ap.add_argument("--datasets", default="strings,hashes,zsets",
                    help="memory datasets: " + ",".join(DATASETS))
    ap.add_argument("--only", help="comma-separated test names, e.g. SET,GET")
    ap.add_argument("--servers", default="basalt,redis", help="basalt,redis or just one of them")
    ap.add_argument("--sections", default="throughput,memory,io-threads,features,persistence")
    ap.add_argument("--json", default=str(REPO / "build" / "bench-results.json"))
    a = ap.parse_args()
    a.requests = a.requests or (30_000 if a.quick else 200_000)
    a.repeats = a.repeats or 3
    a.keys = a.keys or (200_000 if a.quick else 1_000_000)
    a.datasets = [d.strip() for d in a.datasets.split(",") if d.strip()]
    a.only = [t.strip().upper() for t in a.only.split(",")] if a.only else list(TESTS)
    unknown = [t for t in a.only if t not in TESTS]
    if unknown:
        ap.error(f"unknown test(s) {unknown}; known: {', '.join(TESTS)}")
    a.servers = [s.strip() for s in a.servers.split(",")]
    if not set(a.servers) <= {"basalt", "redis"}:
        ap.error("--servers takes basalt and/or redis")
    a.sections = [s.strip() for s in a.sections.split(",")]
    return a


BINARIES = {"basalt": basalt_path, "redis": lambda: REDIS_SERVER}
started = []


def start(name, extra_args=(), pin=False, timeout=10):
    # Like the harness does for redis-server: no save points unless asked.
    if name == "basalt":
        extra_args = ["--save", "", *extra_args]
    srv = start_server(BINARIES[name](), extra_args, name=name, timeout=timeout,
                       prefix=["taskset", "-c", SERVER_CPU] if pin else ())
    started.append(srv)
    return srv


def stop(srv):
    if srv in started:
        started.remove(srv)
    for problem in srv.stop():
        print(problem, file=sys.stderr)


def can_pin():
    try:
        return {0, 1} <= os.sched_getaffinity(0)
    except AttributeError:
        return False


def run_benchmark(srv, test, pipeline, requests, pin, threads=None):
    """One redis-benchmark run. Returns {"rps", "cpu_s_per_m"} or {"error"}."""
    cmd = ["taskset", "-c", CLIENT_CPU] if pin else []
    cmd += ["redis-benchmark", "-h", srv.host, "-p", str(srv.port), "-c", "50", "-r", "100000",
            "-n", str(requests), "-P", str(pipeline), "--csv"]
    if threads:
        cmd += ["--threads", str(threads)]
    cmd += TESTS[test]
    if not srv.alive:
        return {"error": f"{srv.name} is not running"}
    if test in SETUP:
        commands = SETUP[test](requests)
        with RawClient(srv.host, srv.port, timeout=120) as c:
            for i in range(0, len(commands), 100):  # pipelined, 100 commands at a time
                for setup, reply in zip(commands[i:i + 100], c.call_many(commands[i:i + 100])):
                    if reply[0] == "-":
                        return {"error": f"setup {setup[0]}: {reply[1].decode(errors='replace')}"}
    cpu_before, t0 = srv.cpu_seconds(), time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return {"error": "redis-benchmark timed out"}
    wall = time.monotonic() - t0
    if not srv.alive:
        return {"error": f"{srv.name} died: {srv.stderr().strip()[-300:]}"}
    cpu = srv.cpu_seconds() - cpu_before
    rows = [r for r in csv.reader(proc.stdout.splitlines()) if r and r[0] != "test"]
    errors = [line for line in proc.stderr.splitlines() if "rror" in line]
    if test in CHECK_AFTER:
        check, least = CHECK_AFTER[test]
        with RawClient(srv.host, srv.port) as c:
            left = c.call(*check)
        if left[0] != ":" or left[1] < least:
            errors.append(f"{' '.join(check)} after the run: {left[1]!r} (the dataset ran out)")
    if len(rows) > 1:  # e.g. a built-in test that runs a filling pass first
        errors.append(f"expected one result, got {[r[0] for r in rows]}")
    if proc.returncode != 0 or not rows or errors:
        why = (errors or proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        return {"error": why}
    # With --threads, redis-benchmark measures its run time in 250 ms steps: use wall time.
    rps = requests / wall if threads else float(rows[0][1])
    return {"rps": rps, "cpu_s_per_m": cpu / requests * 1e6}


def median_cell(runs):
    errors = [r["error"] for r in runs if "error" in r]
    if errors:
        return {"error": errors[0]}
    return {"rps": statistics.median(r["rps"] for r in runs),
            "cpu_s_per_m": statistics.median(r["cpu_s_per_m"] for r in runs),
            "runs": [round(r["rps"]) for r in runs]}


def ratio(a, b):
    return a / b if a is not None and b else None


def throughput_section(args, names, tests, pipelines, pin, threads=None, server_args=None, scale=1):
    servers = {n: start(n, (server_args or {}).get(n, ()), pin=pin) for n in names}
    runs = {}
    try:
        for rep in range(args.repeats):
            order = list(servers.items())[::-1 if rep % 2 else 1]  # alternate who goes first
            for test in tests:
                for p in pipelines:
                    n = args.requests * (PIPELINED_REQUEST_FACTOR if p > 1 else 1) * scale
                    for name, srv in order:  # interleaved
                        runs.setdefault((test, p, name), []).append(
                            run_benchmark(srv, test, p, n, pin, threads))
    finally:
        for srv in servers.values():
            stop(srv)
    rows = []
    for test in tests:
        for p in pipelines:
            row = {"test": test, "pipeline": p}
            for name in names:
                row[name] = median_cell(runs[(test, p, name)])
            b, r = row.get("basalt", {}), row.get("redis", {})
            row["ratio"] = ratio(b.get("rps"), r.get("rps"))
            row["cpu_ratio"] = ratio(b.get("cpu_s_per_m"), r.get("cpu_s_per_m"))
            rows.append(row)
    return rows


def info_memory(srv):
    with RawClient(srv.host, srv.port, timeout=30) as c:
        reply = c.call("INFO", "memory")
    if reply[0] not in "$=" or reply[1] is None:
        return None
    for line in reply[1].decode(errors="replace").splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return None


def dbsize(srv):
    with RawClient(srv.host, srv.port, timeout=30) as c:
        return c.call("DBSIZE")[1]


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# Memory datasets: name -> (description, keys at full size, RESP for key i).
DATASETS = {
    "strings": ("keys 'key:%012d' with 16-byte values", 1_000_000,
                lambda i: b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nvalue:%010d\r\n" % (i, i)),
    "hashes": ("hashes of 5 fields (8-byte fields, 8-byte values)", 1_000_000,
               lambda i: resp("HSET", b"hash:%012d" % i,
                              *(x for f in range(5) for x in (b"field:%02d" % f, b"v%07d" % (i % 10_000_000))))),
    "zsets": ("sorted sets of 10 members (12-byte members)", 100_000,
              lambda i: resp("ZADD", b"zset:%010d" % i,
                             *(x for m in range(10) for x in (str(m * 1.5 + i % 7), b"member:%05d" % m)))),
}


def memory_section(args, names, dataset):
    desc, full, gen = DATASETS[dataset]
    n = full if args.keys is None else max(1, args.keys * full // 1_000_000)
    data = b"".join(gen(i) for i in range(n))
    result = {"dataset": dataset, "description": desc, "keys": n}
    for name in names:
        srv = start(name)
        try:
            time.sleep(0.2)
            used0, rss0 = info_memory(srv), srv.rss_bytes()
            t0 = time.monotonic()
            proc = subprocess.run(["redis-cli", "-h", srv.host, "-p", str(srv.port), "--pipe"],
                                  input=data, capture_output=True, timeout=600)
            load_s = time.monotonic() - t0
            out = (proc.stdout + proc.stderr).decode(errors="replace")
            time.sleep(0.5)
            used1, rss1, keys = info_memory(srv), srv.rss_bytes(), dbsize(srv)
            cell = {"load_seconds": round(load_s, 2), "dbsize": keys,
                    "rss_bytes_per_key": (rss1 - rss0) / n,
                    "used_memory_bytes_per_key": (used1 - used0) / n
                    if used0 is not None and used1 is not None else None}
            if proc.returncode != 0 or "errors: 0," not in out or keys != n:
                cell["error"] = f"load failed (dbsize {keys}): {out.strip()[-300:]}"
            result[name] = cell
        except Exception as e:  # e.g. the server died: report it, go on
            result[name] = {"error": repr(e)}
        finally:
            stop(srv)
    b, r = result.get("basalt", {}), result.get("redis", {})
    result["used_memory_ratio"] = ratio(b.get("used_memory_bytes_per_key"), r.get("used_memory_bytes_per_key"))
    result["rss_ratio"] = ratio(b.get("rss_bytes_per_key"), r.get("rss_bytes_per_key"))
    return result


def loadgen_path():
    """bin/loadgen next to the server under test (same build)."""
    return str(Path(basalt_path()).parent / "loadgen")


def run_loadgen(srv, pin, *opts, timeout=600):
    cmd = (["taskset", "-c", CLIENT_CPU] if pin else []) + [
        loadgen_path(), "--host", srv.host, "--port", str(srv.port), *map(str, opts)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not proc.stdout.strip():
        return {"error": (proc.stderr.strip() or f"exit {proc.returncode}").splitlines()[-1]}
    return json.loads(proc.stdout)


# name -> (loadgen options, result field reported as ops/s)
FEATURE_TESTS = {
    "MULTI_5xINCR_EXEC": (["--mode", "txn", "--clients", "50"], "tps"),
    "PUBLISH_FANOUT_50": (["--mode", "fanout", "--clients", "1", "--subscribers", "50",
                           "--pipeline", "16"], "delivered_per_s"),
}


def features_section(args, names, pin):
    """MULTI/EXEC transactions and PUBLISH fan-out, interleaved like throughput."""
    if not Path(loadgen_path()).exists():
        return [{"test": t, "error": f"{loadgen_path()} not built"} for t in FEATURE_TESTS]
    servers = {n: start(n, pin=pin) for n in names}
    runs = {}
    try:
        for rep in range(args.repeats):
            order = list(servers.items())[::-1 if rep % 2 else 1]
            for test, (opts, _) in FEATURE_TESTS.items():
                requests = args.requests // 4 if test.startswith("MULTI") else args.requests
                for name, srv in order:
                    runs.setdefault((test, name), []).append(
                        run_loadgen(srv, pin, *opts, "--requests", requests))
    finally:
        for srv in servers.values():
            stop(srv)
    rows = []
    for test, (_, field) in FEATURE_TESTS.items():
        row = {"test": test, "pipeline": "-"}
        for name in names:
            rs = runs[(test, name)]
            errs = [r["error"] for r in rs if "error" in r]
            row[name] = ({"error": errs[0]} if errs else
                         {"rps": statistics.median(r[field] for r in rs), "cpu_s_per_m": None})
        row["ratio"] = ratio(row.get("basalt", {}).get("rps"), row.get("redis", {}).get("rps"))
        row["cpu_ratio"] = None
        rows.append(row)
    return rows


def pss_bytes(pid):
    """Proportional set size of pid and its children (Redis's fork child)."""
    total = 0
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def info_field(srv, section, field):
    with RawClient(srv.host, srv.port, timeout=60) as c:
        reply = c.call("INFO", section)
    if reply[0] not in "$=" or reply[1] is None:
        return None
    for line in reply[1].decode(errors="replace").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


def load_keys(srv, n, value_size):
    """SETs key:%012d -> value_size bytes through redis-cli --pipe, streamed."""
    value = b"v" * value_size
    proc = subprocess.Popen(["redis-cli", "-h", srv.host, "-p", str(srv.port), "--pipe"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    chunk = 100_000
    for start_i in range(0, n, chunk):
        proc.stdin.write(b"".join(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$%d\r\n%s\r\n"
                                  % (i, value_size, value) for i in range(start_i, min(n, start_i + chunk))))
    proc.stdin.close()
    out = proc.stdout.read().decode(errors="replace")
    proc.wait()
    if "errors: 0," not in out:
        raise RuntimeError(f"load failed: {out.strip()[-300:]}")


def bgsave_once(srv):
    """Runs one BGSAVE; returns (seconds, peak PSS) sampled every 10 ms."""
    with RawClient(srv.host, srv.port, timeout=60) as c:
        reply = c.call("BGSAVE")
    if reply[0] == "-":
        raise RuntimeError(f"BGSAVE: {reply[1].decode(errors='replace')}")
    t0, peak = time.monotonic(), 0
    while True:
        peak = max(peak, pss_bytes(srv.pid))
        if info_field(srv, "persistence", "rdb_bgsave_in_progress") == "0":
            break
        time.sleep(0.01)
    seconds = time.monotonic() - t0
    status = info_field(srv, "persistence", "rdb_last_bgsave_status")
    if status != "ok":
        raise RuntimeError(f"BGSAVE status {status}")
    return seconds, peak


def bgsave_case(name, keys, value_size, pin):
    """Load, BGSAVE with and without a concurrent writer, then restart from the RDB."""
    workdir = tempfile.mkdtemp(prefix=f"bench-{name}-")
    cell = {}
    srv = start(name, ["--dir", workdir, "--save", ""], pin=pin)
    try:
        load_keys(srv, keys, value_size)
        time.sleep(0.5)
        idle = pss_bytes(srv.pid)
        quiet_s, _ = bgsave_once(srv)
        result = {}
        writer_s = max(3.0, quiet_s * 2 + 2)

        def writer():
            result.update(run_loadgen(srv, pin, "--mode", "writer", "--clients", "50", "--seconds",
                                      writer_s, "--keyspace", keys))

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(1.0)
        busy_s, peak = bgsave_once(srv)
        t.join()
        cell.update({"bgsave_seconds_idle": quiet_s, "bgsave_seconds_with_writer": busy_s,
                     "idle_pss_mb": idle / 2**20, "peak_pss_mb": peak / 2**20,
                     "peak_over_idle": peak / idle if idle else None,
                     "writer_max_wait_ms": result.get("max_ms"),
                     "writer_p999_ms": result.get("p999_ms"), "writer_error": result.get("error")})
    finally:
        stop(srv)
    # Start-up time loading that dump.rdb (until PING answers +PONG).
    t0 = time.monotonic()
    srv = start(name, ["--dir", workdir, "--save", ""], pin=pin, timeout=900)
    cell["rdb_load_seconds"] = time.monotonic() - t0
    cell["keys_after_load"] = dbsize(srv)
    stop(srv)
    shutil.rmtree(workdir, ignore_errors=True)
    return cell


def aof_load_case(name, keys, pin):
    workdir = tempfile.mkdtemp(prefix=f"bench-aof-{name}-")
    args = ["--dir", workdir, "--save", "", "--appendonly", "yes", "--aof-use-rdb-preamble", "no"]
    srv = start(name, args, pin=pin)
    try:
        load_keys(srv, keys, 16)
        with RawClient(srv.host, srv.port) as c:
            c.call("PING")
    finally:
        stop(srv)
    t0 = time.monotonic()
    srv = start(name, args, pin=pin, timeout=900)
    cell = {"aof_load_seconds": time.monotonic() - t0, "keys_after_load": dbsize(srv)}
    stop(srv)
    shutil.rmtree(workdir, ignore_errors=True)
    return cell


def persistence_section(args, names, pin):
    out = {}
    for fsync in ("everysec", "always"):
        server_args = {n: ["--appendonly", "yes", "--appendfsync", fsync] for n in names}
        out[f"aof_{fsync}"] = throughput_section(args, names, ["SET"], PIPELINES, pin,
                                                 server_args=server_args)
    cases = [("1M x 16 B", args.keys, 16)]
    if not args.quick:
        cases.append(("5M x 1 KB", 5 * args.keys, 1024))
    out["bgsave"] = []
    for label, keys, size in cases:
        row = {"case": label}
        for name in names:
            try:
                row[name] = bgsave_case(name, keys, size, pin)
            except Exception as e:  # report and go on
                row[name] = {"error": repr(e)}
        out["bgsave"].append(row)
    out["aof_load"] = {}
    for name in names:
        try:
            out["aof_load"][name] = aof_load_case(name, args.keys, pin)
        except Exception as e:
            out["aof_load"][name] = {"error": repr(e)}
    return out


def print_persistence(res, names):
    for fsync in ("everysec", "always"):
        print_throughput(f"SET with appendonly yes, appendfsync {fsync}", res[f"aof_{fsync}"], names)
    for row in res["bgsave"]:
        print(f"\n== BGSAVE of {row['case']} while 50 clients SET flat out")
        fields = [("bgsave s (idle)", "bgsave_seconds_idle", ".2f"),
                  ("bgsave s (writer)", "bgsave_seconds_with_writer", ".2f"),
                  ("idle PSS MB", "idle_pss_mb", ",.0f"), ("peak PSS MB", "peak_pss_mb", ",.0f"),
                  ("peak / idle", "peak_over_idle", ".3f"),
                  ("writer max wait ms", "writer_max_wait_ms", ".1f"),
                  ("writer p99.9 ms", "writer_p999_ms", ".2f"),
                  ("RDB load s", "rdb_load_seconds", ".2f"),
                  ("keys after load", "keys_after_load", ",")]
        table = []
        for label, key, spec in fields:
            vals = [row[n].get(key) if "error" not in row[n] else None for n in names]
            table.append([label, *(fmt(v, spec) for v in vals),
                          *([fmt(ratio(vals[0], vals[1]), ".2f")] if len(names) == 2 else [])])
        print_table(["measure", *names, *(["ratio"] if len(names) == 2 else [])], table)
        for n in names:
            if "error" in row[n]:
                print(f"  {n}: error: {row[n]['error']}")
    print("\n== start-up loading a 1M-key AOF (no RDB preamble)")
    table = []
    for label, key, spec in (("AOF load s", "aof_load_seconds", ".2f"),
                             ("keys after load", "keys_after_load", ",")):
        vals = [res["aof_load"][n].get(key) for n in names]
        table.append([label, *(fmt(v, spec) for v in vals),
                      *([fmt(ratio(vals[0], vals[1]), ".2f")] if len(names) == 2 else [])])
    print_table(["measure", *names, *(["ratio"] if len(names) == 2 else [])], table)
    for n in names:
        if "error" in res["aof_load"][n]:
            print(f"  {n}: error: {res['aof_load'][n]['error']}")


def fmt(x, spec=",.0f"):
    if x is None:
        return "-"
    return format(x, spec)


def print_table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))


def print_throughput(title, rows, names):
    print(f"\n== {title}")
    table, errors = [], []
    for row in rows:
        cells = [row["test"], row["pipeline"]]
        for key, spec in (("rps", ",.0f"), ("cpu_s_per_m", ".3f")):
            for name in names:
                cell = row[name]
                if "error" in cell and key == "rps":
                    errors.append(f"{row['test']} P{row['pipeline']} {name}: {cell['error']}")
                cells.append("ERR" if "error" in cell else fmt(cell[key], spec))
            if len(names) == 2:
                cells.append(fmt(row["ratio" if key == "rps" else "cpu_ratio"], ".2f"))
        table.append(cells)
    two = len(names) == 2
    headers = ["test", "pipeline", *(f"{n} ops/s" for n in names), *(["ratio"] if two else []),
               *(f"{n} cpu s/M" for n in names), *(["cpu ratio"] if two else [])]
    print_table(headers, table)
    for e in errors:
        print("  error:", e)


def print_memory(result, names):
    print(f"\n== memory: {result['keys']:,} {result['description']} (bytes per key)")
    rows = []
    for label, key, rkey in (("used_memory", "used_memory_bytes_per_key", "used_memory_ratio"),
                             ("RSS", "rss_bytes_per_key", "rss_ratio")):
        rows.append([label, *(fmt(result[n].get(key), ".1f") for n in names),
                     *([fmt(result[rkey], ".2f")] if len(names) == 2 else [])])
    print_table(["measure", *names, *(["ratio"] if len(names) == 2 else [])], rows)
    for n in names:
        r = result[n]
        print(f"  {n}: " + (f"error: {r['error']}" if "error" in r
                            else f"loaded in {r['load_seconds']}s, dbsize {r['dbsize']:,}"))


def main():
    args = parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows up in CI logs too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally: stop servers
    names = args.servers
    pin = can_pin()
    results = {"meta": {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "host": platform.node(),
                        "cpus": os.cpu_count(), "basalt": basalt_path(), "redis": REDIS_SERVER,
                        "requests": args.requests, "repeats": args.repeats, "pinned": pin,
                        "quick": args.quick}}
    print(f"basalt: {basalt_path()}\nredis:  {REDIS_SERVER}\n"
          f"requests {args.requests:,} (x{PIPELINED_REQUEST_FACTOR} pipelined), "
          f"repeats {args.repeats}, median shown; ratio = basalt/redis")
    if not pin:
        print("warning: CPUs 0 and 1 are not both available: running unpinned")
    t_start = time.monotonic()
    try:
        if "throughput" in args.sections:
            rows = throughput_section(args, names, args.only, PIPELINES, pin)
            results["throughput"] = rows
            print_throughput("throughput (server on CPU 0, redis-benchmark -c 50 on CPU 1)", rows, names)
        if "memory" in args.sections:
            results["memory"] = {}
            for dataset in args.datasets:
                results["memory"][dataset] = memory_section(args, names, dataset)
                print_memory(results["memory"][dataset], names)
        io_tests = [t for t in IO_THREAD_TESTS if t in args.only]
        if "io-threads" in args.sections and io_tests:
            rows = throughput_section(args, names, io_tests, PIPELINES, pin=False, threads=2,
                                      server_args={"basalt": ["--io-threads", "2"]}, scale=2)
            results["io_threads"] = rows
            print_throughput("io-threads: basalt --io-threads 2 vs redis, unpinned, "
                             "redis-benchmark --threads 2", rows, names)
        if "features" in args.sections:
            rows = features_section(args, names, pin)
            results["features"] = rows
            print_throughput("transactions and pub/sub (loadgen on CPU 1; ops/s = transactions "
                             "or messages delivered)", rows, names)
        if "persistence" in args.sections:
            results["persistence"] = persistence_section(args, names, pin)
            print_persistence(results["persistence"], names)
    finally:
        for srv in list(started):
            stop(srv)
    results["meta"]["seconds"] = round(time.monotonic() - t_start, 1)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults written to {args.json} ({results['meta']['seconds']}s)")


if __name__ == "__main__":
    main()
