"""Scripting with real clients: redis-py's register_script (EVALSHA with a
NOSCRIPT retry), its Lock (Lua underneath), busy scripts and SCRIPT KILL,
SHUTDOWN NOSAVE during a busy script, effects reaching the AOF, and
atomicity of Lua compare-and-set under load on several workers."""

import threading
import time

import pytest
import redis

from tests.resp import RawClient
from tests.servers import TIMEOUT_SCALE


def test_register_script_and_noscript_retry(basalt):
    r = basalt.client()
    script = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert script(keys=["n"], args=[5]) == 5
    r.script_flush()
    # redis-py gets NOSCRIPT on EVALSHA, loads the script and retries.
    assert script(keys=["n"], args=[2]) == 7
    assert r.script_exists(script.sha) == [True]
    assert r.evalsha(script.sha, 1, "n", 1) == 8


def test_evalsha_noscript_error(basalt):
    r = basalt.client()
    with pytest.raises(redis.exceptions.NoScriptError):
        r.evalsha("f" * 40, 0)


def test_redis_py_lock(basalt):
    r = basalt.client()
    lock = r.lock("resource", timeout=5)
    assert lock.acquire(blocking=False)
    other = r.lock("resource", timeout=5)
    assert not other.acquire(blocking=False)
    assert lock.extend(5)
    assert lock.owned()
    lock.release()
    assert other.acquire(blocking=False)
    other.release()
    with pytest.raises(redis.exceptions.LockError):
        other.release()


def test_functions_with_redis_py(basalt):
    r = basalt.client()
    r.function_flush()
    code = "#!lua name=mylib\nredis.register_function('hello', function(keys, args) return 'hi ' .. args[1] end)"
    assert r.function_load(code) == b"mylib"
    assert r.fcall("hello", 0, "you") == b"hi you"
    with pytest.raises(redis.exceptions.ResponseError, match="write flag using \\*_ro"):
        r.fcall_ro("hello", 0, "you")


def _busy_setup(server, script, killers=8):
    """Starts `script` on one connection; returns (thread, result list,
    killer connections). Killers are opened first so that some sit on
    workers other than the busy one (that worker serves nobody meanwhile)."""
    conns = [server.client(socket_timeout=1) for _ in range(killers)]
    for c in conns:
        c.ping()
    server.client().config_set("busy-reply-threshold", 100)
    out = []

    def run():
        try:
            out.append(server.client(socket_timeout=60).eval(script, 0))
        except Exception as e:  # the expected outcome is an error reply
            out.append(e)

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.5)
    return t, out, conns


def _first_answer(conns, *cmd):
    for c in conns:
        try:
            return c.execute_command(*cmd)
        except redis.exceptions.TimeoutError:
            continue  # this connection shares the busy worker
        except redis.exceptions.ResponseError as e:
            return e
    raise AssertionError("no worker answered")


def _expect_script_end_and_exit(server, script_thread):
    script_thread.join(30)
    assert not script_thread.is_alive()
    deadline = time.time() + 10 * TIMEOUT_SCALE
    while server.alive and time.time() < deadline:
        time.sleep(0.05)
    assert not server.alive


def test_busy_script_and_script_kill(basalt_factory):
    server = basalt_factory(["--io-threads", "4"])
    t, out, conns = _busy_setup(server, "local i = 0 while true do i = i + 1 end")
    busy = _first_answer(conns, "GET", "k")
    assert str(busy).startswith("BUSY Redis is busy running a script. You can only call SCRIPT KILL")
    fk = _first_answer(conns, "FUNCTION", "KILL")
    assert str(fk).startswith("BUSY")
    assert _first_answer(conns, "SCRIPT", "KILL") in (b"OK", "OK", True)
    t.join(30)
    assert not t.is_alive()
    assert "Script killed by user with SCRIPT KILL" in str(out[0])
    assert str(out[0]).startswith("Script killed") or "script:" in str(out[0])
    # Back to normal.
    assert server.client().ping()
    assert str(_first_answer(conns, "SCRIPT", "KILL")).startswith("NOTBUSY")


def test_busy_script_that_wrote_is_unkillable_but_shutdown_nosave_works(basalt_factory):
    server = basalt_factory(["--io-threads", "4"])
    t, out, conns = _busy_setup(server, "redis.call('set', 'x', 'y') while true do end")
    err = _first_answer(conns, "SCRIPT", "KILL")
    assert str(err).startswith("UNKILLABLE Sorry the script already executed write commands")
    for c in conns:
        try:
            c.execute_command("SHUTDOWN", "NOSAVE")
            break
        except redis.exceptions.TimeoutError:
            continue
        except redis.exceptions.ConnectionError:
            break
    _expect_script_end_and_exit(server, t)


def test_busy_script_serves_clients_of_its_own_worker(basalt_factory):
    """With one worker, every client shares the script's thread: it still
    gets -BUSY, and SCRIPT KILL (also from a new connection) stops the script."""
    server = basalt_factory(["--io-threads", "1"])
    early = server.client(socket_timeout=10)
    early.ping()
    t, out, _ = _busy_setup(server, "local i = 0 while true do i = i + 1 end", killers=0)
    with pytest.raises(redis.exceptions.ResponseError) as e:
        early.get("k")
    assert str(e.value).startswith("BUSY Redis is busy running a script. You can only call SCRIPT KILL")
    # WATCH is allow-busy but would need the script's locks on this thread.
    with pytest.raises(redis.exceptions.ResponseError, match="^BUSY"):
        early.execute_command("WATCH", "k")
    # Plain SHUTDOWN would save: Redis refuses it too while a script is busy.
    with pytest.raises(redis.exceptions.ResponseError, match="^BUSY"):
        early.execute_command("SHUTDOWN")
    late = server.client(socket_timeout=10)  # accepted by the busy worker
    assert late.execute_command("SCRIPT", "KILL") in (b"OK", "OK", True)
    t.join(30)
    assert not t.is_alive()
    assert "Script killed by user with SCRIPT KILL" in str(out[0])
    assert early.ping() and late.ping()
    assert server.alive


def test_busy_writing_script_on_one_worker_ends_with_shutdown_nosave(basalt_factory):
    server = basalt_factory(["--io-threads", "1"])
    t, out, _ = _busy_setup(server, "redis.call('set', 'x', 'y') while true do end", killers=0)
    c = server.client(socket_timeout=10)
    with pytest.raises(redis.exceptions.ResponseError, match="^UNKILLABLE"):
        c.execute_command("SCRIPT", "KILL")
    try:
        c.execute_command("SHUTDOWN", "NOSAVE")
    except redis.exceptions.ConnectionError:
        pass
    _expect_script_end_and_exit(server, t)


def test_undeclared_key_is_refused(basalt):
    r = basalt.client()
    with pytest.raises(redis.exceptions.ResponseError) as e:
        # 'other' is (almost certainly) in another shard than 'k'.
        r.eval("redis.call('set', KEYS[1], 1) return redis.call('get', 'other{zz}')", 1, "k")
    assert "Script attempted to access a non local key in a cluster node script" in str(e.value)
    # Keys sharing a hash tag share a shard.
    assert r.eval("redis.call('set', KEYS[1], 1) return redis.call('get', '{k}2')", 1, "{k}1") is None
    # Without declared keys the script runs exclusive and may touch anything.
    assert r.eval("redis.call('set', 'a', 1) redis.call('set', 'b', 2) return redis.call('dbsize')", 0) == 4


def test_script_inside_multi(basalt):
    r = basalt.client()
    p = r.pipeline(transaction=True)
    p.eval("return redis.call('incr', KEYS[1])", 1, "c")
    p.eval("return redis.call('keys', '*')", 0)
    p.incr("c")
    assert p.execute() == [1, [b"c"], 2]


@pytest.mark.concurrency
def test_lua_compare_and_set_is_atomic_under_load(basalt_factory):
    server = basalt_factory(["--io-threads", "4"])
    threads, ops = 8, (200 if TIMEOUT_SCALE == 1 else 60)
    cas = ("local v = redis.call('get', KEYS[1]) "
           "if v == ARGV[1] then redis.call('set', KEYS[1], tonumber(v) + 1) return 1 end "
           "return 0")
    incr_many = ("for i = 1, #KEYS do redis.call('incr', KEYS[i]) end "
                 "return redis.call('get', KEYS[1])")
    r = server.client()
    r.mset({"cas": 0, "{t}a": 0, "{t}b": 0})
    sha = r.script_load(cas)
    errors = []

    def work(i):
        try:
            with RawClient(server.host, server.port, timeout=30 * TIMEOUT_SCALE) as c:
                done = 0
                while done < ops:
                    cur = c.call("GET", "cas")[1].decode()
                    if c.call("EVALSHA", sha, "1", "cas", cur) == (":", 1):
                        done += 1
                    assert c.call("EVAL", incr_many, "2", "{t}a", "{t}b")[0] == "$"
                    # No-key scripts run exclusive: mixed in to exercise LockAll.
                    assert c.call("EVAL", "return redis.call('incr', 'excl')", "0")[0] == ":"
        except Exception as e:  # reported below
            errors.append(repr(e))

    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(180 * TIMEOUT_SCALE)
    assert not errors, errors[:3]
    assert int(r.get("cas")) == threads * ops
    a, b = int(r.get("{t}a")), int(r.get("{t}b"))
    assert a == b and a >= threads * ops
    assert int(r.get("excl")) == a


def test_info_memory_scripting_fields(basalt):
    r = basalt.client()
    r.script_flush()
    r.function_flush()
    info = r.info("memory")
    assert info["number_of_cached_scripts"] == 0
    assert info["number_of_functions"] == 0 and info["number_of_libraries"] == 0
    r.script_load("return 1")
    r.eval("return 2", 0)
    r.function_load("#!lua name=infolib\n"
                    "redis.register_function('f1', function() return 1 end)\n"
                    "redis.register_function('f2', function() return 2 end)")
    assert r.fcall("f1", 0) == 1
    info = r.info("memory")
    assert info["number_of_cached_scripts"] == 2
    assert info["number_of_functions"] == 2 and info["number_of_libraries"] == 1
    # Both VMs have run code on this worker: they hold memory.
    assert info["used_memory_lua"] == info["used_memory_vm_eval"] > 0
    assert info["used_memory_vm_functions"] > 0
    assert info["used_memory_vm_total"] == info["used_memory_vm_eval"] + info["used_memory_vm_functions"]
    assert info["used_memory_scripts"] == info["used_memory_scripts_eval"] + info["used_memory_functions"]
    assert info["used_memory_scripts_eval"] > len("return 1") + len("return 2")
    r.script_flush()
    r.function_flush()
    info = r.info("memory")
    assert info["number_of_cached_scripts"] == 0 and info["number_of_functions"] == 0
    assert info["used_memory_scripts_eval"] == 0
