"""FUNCTION LOAD/DELETE/LIST/FLUSH/DUMP/RESTORE/STATS/KILL/HELP, FCALL and
FCALL_RO against redis-server, including restoring Redis's own FUNCTION DUMP
payloads into Basalt and Basalt's into Redis.
"""

import pytest


@pytest.fixture
def fn(compat):
    compat.check("FUNCTION", "FLUSH")
    return compat


def lib(name, body):
    return f"#!lua name={name}\n{body}"


INCR = lib("lib", "redis.register_function('f', function(keys, args) return redis.call('incr', keys[1]) end)")

LOAD_ERRORS = [
    "return 1",
    "#!lua\nreturn 1",
    "#!lua name=a-b\nreturn 1",
    "#!lua name=\nreturn 1",
    "#!lua name=lib\nreturn 1",
    "#!lua name=lib foo=bar\nreturn 1",
    "#!js name=lib\nreturn 1",
    "#!LUA name=lib\nredis.register_function('y', function() return 2 end)",
    lib("lib", "redis.call('ping')"),
    lib("lib", "local x = pairs"),
    lib("lib", "error('x')"),
    lib("lib", "x = 1"),
    lib("lib", "syntax error"),
    lib("lib", "redis.register_function('f-x', function() return 1 end)"),
    lib("lib", "redis.register_function('f', 1)"),
    lib("lib", "redis.register_function{function_name='f', callback=function() return 1 end, flags={'bad'}}"),
    lib("lib", "redis.register_function{function_name='f', callback=function() return 1 end, foo=1}"),
    lib("lib", "redis.register_function('f', function() return 1 end) redis.register_function('f', function() return 1 end)"),
    lib("lib", "redis.register_function()"),
    lib("lib", "redis.register_function('a','b','c')"),
    lib("lib", "redis.register_function{callback=function() return 1 end}"),
    lib("lib", "redis.register_function{function_name='x'}"),
    lib("lib", "redis.register_function{function_name=1}"),
    lib("lib", "redis.register_function{function_name='x', callback=1}"),
    lib("lib", "redis.register_function{function_name='x', callback=function() end, flags=1}"),
    lib("lib", "redis.register_function{function_name='x', callback=function() end, flags={1}}"),
    lib("lib", "redis.register_function('x')"),
    lib("lib", "redis.register_function({})"),
    lib("lib", "local _ = redis.setresp"),
    lib("lib", "local _ = redis.sha1hex"),
]


@pytest.mark.parametrize("code", LOAD_ERRORS, ids=lambda c: repr(c)[:50])
def test_load_errors(fn, code):
    fn.check("FUNCTION", "LOAD", code)
    fn.check("FUNCTION", "LIST")


LOAD_OK = [
    lib("lib", "redis.register_function{function_name=1, callback=function() return 1 end}"),
    lib("lib", "redis.register_function{function_name='x', callback=function() end, description=1}"),
    lib("lib", "redis.register_function(1, function() return 'one' end)"),
    lib("lib", "redis.register_function{FUNCTION_NAME='x', Callback=function() return 1 end}"),
    lib("lib", "redis.log(redis.LOG_WARNING, 'loading') redis.register_function('x', function() return redis.REDIS_VERSION end)"),
    lib("lib", "local v = redis.REDIS_VERSION_NUM redis.register_function('x', function() return v end)"),
    lib("lib", "local function helper() return 'h' end\nredis.register_function('x', function(keys, args) return {helper(), #keys, #args, keys[1], args[1]} end)"),
]


@pytest.mark.parametrize("code", LOAD_OK, ids=lambda c: repr(c)[:50])
def test_load_and_call(fn, code):
    fn.check("FUNCTION", "LOAD", code)
    fn.check("FUNCTION", "LIST", "WITHCODE")
    fn.check("FCALL", "x", "1", "a", "b")
    fn.check("FCALL", "1", "0")


def test_fcall_basics(fn):
    fn.check("FUNCTION", "LOAD", INCR)
    fn.check("FUNCTION", "LOAD", INCR)
    fn.check("FUNCTION", "LOAD", lib("lib2", "redis.register_function('f', function() return 1 end)"))
    fn.check("FUNCTION", "LOAD", "REPLACE", INCR)
    fn.check("FUNCTION", "LOAD", "replace", lib("lib", "redis.register_function('f', function(keys) return redis.call('incrby', keys[1], 2) end)"))
    fn.check("FUNCTION", "LOAD", "foo", INCR)
    fn.check("FUNCTION", "LOAD", "REPLACE")
    fn.check("FCALL", "f", "1", "x")
    fn.check("FCALL", "f", "1", "x")
    fn.check("GET", "x")
    fn.check("SET", "s", "str")
    fn.check("FCALL", "f", "1", "s")
    fn.check("FCALL", "nosuch", "0")
    fn.check("FCALL", "nosuch", "x")
    fn.check("FCALL", "f", "-1")
    fn.check("FCALL", "f", "5")
    fn.check("FCALL", "f", "x")
    fn.check("FCALL", "f")
    fn.check("FCALL_RO", "f", "1", "y")
    fn.check("FCALL_RO", "nosuch", "0")


def test_flags_and_ro(fn):
    fn.check("FUNCTION", "LOAD", lib("ro", "redis.register_function{function_name='rof', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='read only'}"))
    fn.check("FUNCTION", "LOAD", lib("wr", "redis.register_function{function_name='wrf', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end, flags={'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}"))
    fn.check("FUNCTION", "LOAD", lib("ro2", "redis.register_function{function_name='rof2', callback=function(keys, args) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}"))
    fn.check("FUNCTION", "LIST", "LIBRARYNAME", "ro")
    fn.check("FUNCTION", "LIST", "LIBRARYNAME", "wr")
    fn.check("FUNCTION", "LIST", "libraryname", "r*", unordered=True)
    fn.check("FUNCTION", "LIST", "libraryname", "zz*")
    fn.check("FCALL_RO", "rof", "1", "k1")
    fn.check("FCALL", "wrf", "1", "k1", "v1")
    fn.check("FCALL_RO", "rof", "1", "k1")
    fn.check("FCALL", "rof", "1", "k1")
    fn.check("FCALL_RO", "wrf", "1", "k1", "v1")
    fn.check("FCALL", "rof2", "1", "k1")
    fn.check("FCALL_RO", "rof2", "1", "k1")


def test_runtime_errors_and_sandbox(fn):
    fn.check("FUNCTION", "LOAD", lib("e", "\n".join([
        "redis.register_function('ef', function(keys, args) error('oops') end)",
        "redis.register_function('et', function(keys, args) error({err='MY table'}) end)",
        "redis.register_function('gf', function(keys, args) local t={} for k,v in pairs(_G) do table.insert(t,k) end table.sort(t) return t end)",
        "redis.register_function('gf2', function(keys, args) x = 5 end)",
        "redis.register_function('gf3', function(keys, args) return nosuch end)",
        "redis.register_function('gf4', function(keys, args) local t={} for k,v in pairs(redis) do table.insert(t,k) end table.sort(t) return t end)",
        "redis.register_function('gf5', function(keys, args) return {KEYS == nil, ARGV == nil} end)",
        "redis.register_function('gf6', function(keys, args) redis.setresp(3) return redis.call('hgetall', keys[1]) end)",
        "redis.register_function('gf7', function(keys, args) return redis.call('nosuch') end)",
    ])))
    fn.check("HSET", "h", "a", "1")
    for name in ("ef", "et", "gf", "gf2", "gf4", "gf7"):
        fn.check("FCALL", name, "0")
    fn.check("FCALL", "gf3", "0")
    fn.check("FCALL", "gf6", "1", "h")
    fn.hello(3)
    fn.check("FCALL", "gf6", "1", "h")


def test_list_delete_flush_stats(fn):
    fn.check("FUNCTION", "LOAD", INCR)
    fn.check("FUNCTION", "LOAD", lib("two", "redis.register_function('a', function() return 1 end)"))
    fn.check("FUNCTION", "LIST", unordered=True)
    fn.check("FUNCTION", "STATS")
    fn.check("FUNCTION", "DELETE", "nolib")
    fn.check("FUNCTION", "DELETE", "two")
    fn.check("FCALL", "a", "0")
    fn.check("FUNCTION", "LIST")
    fn.check("FUNCTION", "LIST", "WITHCODE")
    fn.check("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "l*")
    fn.check("FUNCTION", "STATS")
    fn.check("FUNCTION", "FLUSH", "SYNC")
    fn.check("FUNCTION", "LIST")
    fn.check("FUNCTION", "LOAD", INCR)
    fn.check("FUNCTION", "FLUSH", "ASYNC")
    fn.check("FUNCTION", "STATS")


SUB_ERRORS = [
    ("FUNCTION", "RESTORE", "xx"),
    ("FUNCTION", "RESTORE", "xx", "bad"),
    ("FUNCTION", "FLUSH", "bad"),
    ("FUNCTION", "FLUSH", "sync", "async"),
    ("FUNCTION", "LIST", "bad"),
    ("FUNCTION", "LIST", "libraryname"),
    ("FUNCTION", "LIST", "withcode", "withcode"),
    ("FUNCTION", "LIST", "libraryname", "a", "libraryname", "b"),
    ("FUNCTION", "KILL"),
    ("FUNCTION", "KILL", "x"),
    ("FUNCTION", "STATS", "x"),
    ("FUNCTION", "DUMP", "x"),
    ("FUNCTION", "DELETE"),
    ("FUNCTION", "LOAD"),
    ("FUNCTION", "HELP"),
    ("FUNCTION", "NOSUCH"),
    ("FUNCTION",),
    ("FCALL",),
    ("FCALL", "f"),
]


@pytest.mark.parametrize("cmd", SUB_ERRORS, ids=lambda c: " ".join(c))
def test_subcommand_errors(fn, cmd):
    fn.check(*cmd)


def _list_sorted(reply):
    """FUNCTION LIST with libraries and their functions in name order."""
    libs = []
    for entry in reply[1]:
        fields = dict((entry[1][i][1], entry[1][i + 1]) for i in range(0, len(entry[1]), 2))
        funcs = sorted(repr(f) for f in fields[b"functions"][1])
        libs.append((fields[b"library_name"], fields.get(b"library_code"), funcs))
    return sorted(libs, key=repr)


def test_dump_restore_interop(fn):
    code = lib("mylib", "\n".join([
        "redis.register_function('myfunc', function(keys, args) return redis.call('get', keys[1]) end)",
        "redis.register_function{function_name='f2', callback=function() return 2 end, flags={'no-writes'}, description='desc'}",
    ]))
    short = lib("s", "redis.register_function('s1', function() return 1 end)")
    fn.check("FUNCTION", "LOAD", code)
    fn.check("FUNCTION", "LOAD", short)
    redis_dump = fn.redis.call("FUNCTION", "DUMP")[1]
    basalt_dump = fn.basalt.call("FUNCTION", "DUMP")[1]
    # Redis's payload restores in Basalt, and Basalt's in Redis.
    fn.check("FUNCTION", "FLUSH")
    assert fn.basalt.call("FUNCTION", "RESTORE", redis_dump) == ("+", b"OK")
    assert fn.redis.call("FUNCTION", "RESTORE", basalt_dump) == ("+", b"OK")
    r = fn.redis.call("FUNCTION", "LIST", "WITHCODE")
    b = fn.basalt.call("FUNCTION", "LIST", "WITHCODE")
    assert _list_sorted(r) == _list_sorted(b)
    fn.check("FCALL", "s1", "0")
    fn.check("FCALL_RO", "f2", "0")
    # Policies: APPEND (default) collides, REPLACE and FLUSH succeed.
    # Which colliding library is named depends on Redis's dict order.
    for args in ((), ("APPEND",)):
        r, b = fn.both("FUNCTION", "RESTORE", redis_dump, *args)
        assert r[0] == b[0] == "-" and b[1].startswith(b"ERR Library ") and b[1].endswith(b" already exists")
    fn.check("FUNCTION", "RESTORE", redis_dump, "REPLACE")
    fn.check("FUNCTION", "RESTORE", redis_dump, "FLUSH")
    fn.check("FUNCTION", "RESTORE", redis_dump, "bad")
    fn.check("FUNCTION", "RESTORE", redis_dump, "append", "x")
    bad = redis_dump[:-1] + bytes([redis_dump[-1] ^ 1])
    fn.check("FUNCTION", "RESTORE", bad)
    fn.check("FUNCTION", "RESTORE", redis_dump[:5])
    fn.check("FUNCTION", "RESTORE", b"")
    # A function name owned by another library blocks the restore.
    fn.check("FUNCTION", "FLUSH")
    fn.check("FUNCTION", "LOAD", lib("other", "redis.register_function('s1', function() return 9 end)"))
    fn.check("FUNCTION", "RESTORE", redis_dump, "REPLACE")
    fn.check("FCALL", "s1", "0")


def test_dump_single_library_is_byte_identical(fn):
    fn.check("FUNCTION", "LOAD", lib("only", "redis.register_function('o', function(keys, args) return redis.call('get', keys[1]) end)"))
    fn.check("FUNCTION", "DUMP")
    fn.check("FUNCTION", "FLUSH")
    fn.check("FUNCTION", "DUMP")


def test_command_info(fn):
    for name in ("fcall", "fcall_ro"):
        r, b = fn.both("COMMAND", "INFO", name)
        assert r[1][0][1][:3] == b[1][0][1][:3]
    fn.check("COMMAND", "GETKEYS", "FCALL", "f", "2", "a", "b", "c")


def test_load_timeout(fn):
    fn.check("FUNCTION", "LOAD", lib("t", "local i = 0 while true do i = i + 1 end"))
    fn.check("FUNCTION", "LOAD", lib("t", "while true do end"))
    fn.check("FUNCTION", "LIST")
