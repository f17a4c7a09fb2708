"""Server commands with real clients: INFO as redis-py parses it, CONFIG
SET/GET/REWRITE, SHUTDOWN and SIGTERM, COMMAND DOCS through redis-cli."""

import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis

from tests.servers import TIMEOUT_SCALE


def cli(server, *args):
    proc = subprocess.run(["redis-cli", "-h", server.host, "-p", str(server.port), *args],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def wait_exit(server, timeout=10):
    return server.proc.wait(timeout * TIMEOUT_SCALE)


# ---------------------------------------------------------------- INFO

def test_info_parsed_by_redis_py(basalt):
    r = basalt.client()
    r.set("k", "v")
    r.set("t", "v", ex=100)
    info = r.info()
    assert info["redis_version"] == "7.0.15"
    assert info["basalt_version"] == "0.1.0"
    assert info["redis_mode"] == "standalone"
    assert info["process_id"] == basalt.pid
    assert info["tcp_port"] == basalt.port
    assert info["connected_clients"] >= 1
    assert info["role"] == "master"
    assert info["loading"] == 0
    assert info["aof_enabled"] == 0
    # (Sanitizer builds replace malloc: their allocator stats may read 0.)
    assert info["used_memory"] > 0 or TIMEOUT_SCALE > 1
    assert info["used_memory_rss"] > 0
    assert info["used_memory_peak"] >= info["used_memory"]
    assert info["maxmemory_policy"] == "noeviction"
    assert info["rdb_changes_since_last_save"] == 2
    assert info["db0"]["keys"] == 2 and info["db0"]["expires"] == 1
    assert 0 < info["db0"]["avg_ttl"] <= 100_000
    assert Path(info["executable"]).name == "basalt-server"
    assert "commandstats" not in info and "cmdstat_set" not in info


def test_info_sections(basalt):
    r = basalt.client()
    r.set("k", "v")
    r.get("k")
    r.get("missing")
    stats = r.info("commandstats")
    assert stats["cmdstat_set"]["calls"] == 1
    assert stats["cmdstat_get"]["calls"] == 2
    assert set(stats["cmdstat_get"]) == {"calls", "usec", "usec_per_call", "rejected_calls",
                                         "failed_calls"}
    with pytest.raises(redis.ResponseError):
        r.execute_command("CONFIG", "GET")
    r.config_get("maxmemory")
    stats = r.info("commandstats")
    assert stats["cmdstat_config|get"] == {**stats["cmdstat_config|get"], "calls": 1,
                                           "rejected_calls": 1, "failed_calls": 0}
    # redis-py 4.3 leaves errorstat values unparsed ("count=1").
    assert list(r.info("errorstats")) == ["errorstat_ERR"]
    assert basalt.raw().call("INFO", "errorstats") == (
        "$", b"# Errorstats\r\nerrorstat_ERR:count=1\r\n")
    s = r.info("stats")
    assert s["keyspace_hits"] == 1 and s["keyspace_misses"] == 1
    assert s["total_error_replies"] == 1
    assert s["total_commands_processed"] >= 5
    assert r.info("keyspace") == {"db0": {"keys": 1, "expires": 0, "avg_ttl": 0}}
    everything = r.info("everything")
    assert "cluster_enabled" in everything and "used_cpu_user" in everything
    assert r.info("nosuch") == {}


def test_info_resp3_verbatim(basalt):
    raw = basalt.raw()
    raw.hello(3)
    t, v = raw.call("INFO", "server")
    assert t == "=" and v.startswith(b"txt:# Server\r\nredis_version:7.0.15\r\n")


def test_info_net_bytes_and_connections(basalt):
    r = basalt.client()
    before = r.info("stats")
    r.set("x", "y" * 10000)
    other = basalt.client()
    other.ping()
    other.close()
    after = r.info("stats")
    assert after["total_net_input_bytes"] >= before["total_net_input_bytes"] + 10000
    assert after["total_net_output_bytes"] > before["total_net_output_bytes"]
    assert after["total_connections_received"] >= before["total_connections_received"] + 1


def test_instantaneous_ops_per_sec(basalt):
    r = basalt.client()
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        pipe = r.pipeline(transaction=False)
        for _ in range(100):
            pipe.ping()
        pipe.execute()
    assert r.info("stats")["instantaneous_ops_per_sec"] > 0


def test_config_resetstat(basalt):
    r = basalt.client()
    for _ in range(10):
        r.ping()
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCH")
    assert r.config_resetstat() is True
    s = r.info("stats")
    assert s["total_commands_processed"] == 1  # the RESETSTAT itself
    assert s["total_error_replies"] == 0
    assert r.info("errorstats") == {}
    assert set(r.info("commandstats")) == {"cmdstat_config|resetstat", "cmdstat_info"}


@pytest.mark.concurrency
def test_info_from_many_workers(basalt_factory):
    """INFO and CONFIG RESETSTAT visit every worker; several at once, from
    different workers, must neither deadlock nor race."""
    srv = basalt_factory(["--io-threads", "4"])
    errors = []

    def work(n):
        try:
            r = srv.client()
            for i in range(60):
                r.set(f"k{n}", i)
                assert r.info()["redis_version"] == "7.0.15"
                if i % 20 == 0:
                    r.config_resetstat()
                r.info("everything")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60 * TIMEOUT_SCALE)
    assert not any(t.is_alive() for t in threads), "INFO deadlocked"
    assert not errors, errors
    assert srv.client().info()["connected_clients"] >= 1


# ---------------------------------------------------------------- CONFIG

def test_config_set_get_round_trip(basalt):
    r = basalt.client()
    assert r.config_set("maxmemory", "1mb") is True
    assert r.config_get("maxmemory") == {"maxmemory": "1048576"}
    assert r.info("memory")["maxmemory"] == 1048576
    r.execute_command("CONFIG", "SET", "timeout", "100", "maxmemory-policy", "allkeys-lru")
    assert r.config_get("timeout") == {"timeout": "100"}
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    flat = r.execute_command("CONFIG", "GET", "timeout", "maxmemory*")
    got = dict(zip(flat[::2], flat[1::2]))
    assert got[b"timeout"] == b"100" and got[b"maxmemory"] == b"1048576"
    with pytest.raises(redis.ResponseError, match="argument must be a memory value"):
        r.execute_command("CONFIG", "SET", "timeout", "5", "maxmemory", "lots")
    assert r.config_get("timeout") == {"timeout": "100"}  # all or nothing


def test_config_rewrite(basalt_factory):
    srv = basalt_factory(config_text="# my settings\nmaxmemory 1mb\ntimeout 0\n")
    r = srv.client()
    conf = Path(srv.workdir) / "server.conf"
    assert r.info("server")["config_file"] == str(conf)
    r.config_set("maxmemory", "2mb")
    r.config_set("maxclients", "500")
    assert r.config_rewrite() in (True, b"OK")
    text = conf.read_text()
    assert "# my settings" in text
    assert "maxmemory 2mb" in text
    assert "maxclients 500" in text
    assert "maxmemory 1mb" not in text
    assert "CONFIG REWRITE executed with success." in srv.stdout()


def test_config_rewrite_without_file(basalt):
    with pytest.raises(redis.ResponseError, match="running without a config file"):
        basalt.client().config_rewrite()


# ---------------------------------------------------------------- SHUTDOWN

def test_shutdown_stops_the_server(basalt):
    r = basalt.client()
    r.set("k", "v")
    r.shutdown()  # redis-py treats the closed connection as success
    assert wait_exit(basalt) == 0
    assert "User requested shutdown" in basalt.stdout()


def test_shutdown_nosave_now_force(basalt):
    raw = basalt.raw()
    raw.send("SHUTDOWN", "NOSAVE", "NOW", "FORCE")
    assert wait_exit(basalt) == 0


def test_shutdown_closes_without_reply_and_skips_pipeline(basalt):
    raw = basalt.raw()
    raw.send_raw(b"*1\r\n$4\r\nPING\r\n*1\r\n$8\r\nSHUTDOWN\r\n*1\r\n$4\r\nPING\r\n")
    assert raw.read_reply() == ("+", b"PONG")
    with pytest.raises(ConnectionError):  # closed with no reply; the last PING never ran
        raw.read_reply()
    assert wait_exit(basalt) == 0


def test_shutdown_save_failure_needs_force(basalt_factory, tmp_path):
    d = tmp_path / "gone"
    d.mkdir()
    basalt = basalt_factory(["--dir", str(d)])
    r = basalt.client()
    d.rmdir()  # the final save can't create its file
    with pytest.raises(redis.ResponseError, match="Errors trying to SHUTDOWN. Check logs."):
        r.shutdown(save=True)
    assert basalt.alive and r.ping()
    assert "Failed opening the temp RDB file" in basalt.stdout()
    # FORCE goes on despite the failed save.
    r.shutdown(save=True, force=True)
    assert wait_exit(basalt) == 0


def test_shutdown_abort_and_syntax(basalt):
    r = basalt.client()
    with pytest.raises(redis.ResponseError, match="No shutdown in progress"):
        r.shutdown(abort=True)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SHUTDOWN", "NOSAVE", "SAVE")
    assert basalt.alive and r.ping()


def test_sigterm_stops_the_server(basalt):
    basalt.client().set("k", "v")
    basalt.proc.send_signal(signal.SIGTERM)
    assert wait_exit(basalt) == 0
    assert "Received SIGTERM" in basalt.stdout()


# ---------------------------------------------------------------- TIME, LASTSAVE, DEBUG

def test_time_and_lastsave(basalt):
    r = basalt.client()
    secs, usecs = r.time()
    assert abs(secs - time.time()) < 5 and 0 <= usecs < 1_000_000
    assert r.lastsave().timestamp() <= time.time() + 1


def test_debug_sleep(basalt_factory, basalt):
    if basalt.client().config_get("enable-debug-command") == {}:
        pytest.skip("basalt's config has no enable-debug-command option yet")
    srv = basalt_factory(["--enable-debug-command", "yes", "--io-threads", "1"])
    r = srv.client()
    start = time.monotonic()
    assert r.execute_command("DEBUG", "SLEEP", "0.3") == b"OK"
    assert time.monotonic() - start >= 0.3
    assert r.execute_command("DEBUG", "SLEEP", "0") == b"OK"


def test_debug_refused_by_default(basalt):
    with pytest.raises(redis.ResponseError, match="DEBUG command not allowed"):
        basalt.client().execute_command("DEBUG", "SLEEP", "0")


# ---------------------------------------------------------------- COMMAND

def test_redis_cli_command_docs(basalt):
    out = cli(basalt, "COMMAND", "DOCS", "get")
    assert "Get the value of a key" in out
    out = cli(basalt, "COMMAND", "DOCS")
    assert "config|get" in out and "Get the values of configuration parameters" in out
    # redis-cli asks COMMAND DOCS for its hints when it starts; it must still work.
    assert cli(basalt, "PING") == "PONG\n"


def test_redis_py_command(basalt):
    r = basalt.client()
    table = r.command()
    assert table["get"]["arity"] == 2
    assert table["get"]["first_key_pos"] == 1
    assert r.command_count() == len(table)
    assert r.command_getkeys("MSET", "a", "1", "b", "2") in (["a", "b"], [b"a", b"b"])
    assert basalt.raw().call("COMMAND", "INFO", "nosuch") == ("*", [("$", None)])
