"""Bitmap commands against redis-server 7.0: SETBIT, GETBIT, BITCOUNT, BITPOS,
BITOP, BITFIELD and BITFIELD_RO, reply for reply, then the resulting bytes.
"""

import itertools
import random

import pytest

MAX_OFFSET = 2**32 - 1  # the last bit below proto-max-bulk-len (512 MiB)
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

WRONG_ARITY = [
    ("SETBIT", "k", "1"), ("SETBIT", "k", "1", "1", "1"), ("GETBIT", "k"),
    ("GETBIT", "k", "1", "2"), ("BITCOUNT",), ("BITPOS", "k"), ("BITOP", "AND", "d"),
    ("BITFIELD",), ("BITFIELD_RO",),
]


@pytest.mark.parametrize("cmd", WRONG_ARITY, ids=lambda c: " ".join(c))
def test_wrong_arity(compat, cmd):
    compat.check(*cmd)


def test_setbit_getbit(compat):
    for off, val in [(0, 1), (7, 1), (8, 1), (3, 0), (7, 0), (100, 1), (100, 1), (100, 0)]:
        compat.check("SETBIT", "k", off, val)
        compat.check("GET", "k")
    for off in range(0, 120, 3):
        compat.check("GETBIT", "k", off)
    compat.check("GETBIT", "k", MAX_OFFSET)
    compat.check("GETBIT", "missing", 5)
    compat.check("OBJECT", "ENCODING", "k")
    compat.check("STRLEN", "k")


def test_setbit_unchanged_value_keeps_encoding(compat):
    compat.check("SET", "k", "abc")
    compat.check("OBJECT", "ENCODING", "k")
    compat.check("SETBIT", "k", 1, 1)  # already set in 'a'
    compat.check("OBJECT", "ENCODING", "k")
    compat.check("SET", "n", "12345")
    compat.check("SETBIT", "n", 2, 1)
    compat.check("OBJECT", "ENCODING", "n")
    compat.check("GET", "n")
    compat.check("SET", "n2", "77")
    compat.check("GETBIT", "n2", 2)
    compat.check("GETBIT", "n2", 9)
    compat.check("SETBIT", "n2", 30, 1)
    compat.check("GET", "n2")


def test_setbit_grows_across_inline_and_heap(compat):
    for off in [0, 100, 511, 512, 513, 600, 1000, 5000, 70000, 3]:
        compat.check("SETBIT", "k", off, 1)
        compat.check("STRLEN", "k")
    compat.check("GET", "k")
    compat.check("OBJECT", "ENCODING", "k")
    compat.check("SETBIT", "k2", 1000, 1)
    compat.check("GET", "k2")
    compat.check("SETBIT", "z", 10, 0)  # creating with a 0 bit still creates
    compat.check("GET", "z")


def test_setbit_errors(compat):
    for off in ["-1", "abc", "1.5", str(2**32), str(2**63), "", " 1", "#1"]:
        compat.check("SETBIT", "k", off, 1)
        compat.check("GETBIT", "k", off)
    for val in ["2", "-1", "abc", "", "1.0", "01"]:
        compat.check("SETBIT", "k", 1, val)
    compat.check("EXISTS", "k")


def test_setbit_max_offset(compat):
    # Both servers allocate and scan 512 MB here: slow on a loaded machine.
    compat.redis.settimeout(60)
    compat.basalt.settimeout(60)
    compat.check("SETBIT", "big", MAX_OFFSET, 1)
    compat.check("GETBIT", "big", MAX_OFFSET)
    compat.check("STRLEN", "big")
    compat.check("BITCOUNT", "big")
    compat.check("BITPOS", "big", 1)
    compat.check("BITPOS", "big", 1, -1)
    compat.check("BITCOUNT", "big", -1, -1)
    compat.check("DEL", "big")


def test_wrongtype(compat):
    compat.check("HSET", "h", "f", "v")
    for cmd in [("SETBIT", "h", 1, 1), ("GETBIT", "h", 1), ("BITCOUNT", "h"),
                ("BITCOUNT", "h", 0, 1), ("BITPOS", "h", 1), ("BITOP", "AND", "d", "h"),
                ("BITOP", "NOT", "d", "h"), ("BITOP", "OR", "h", "missing"),
                ("BITFIELD", "h", "GET", "u8", 0), ("BITFIELD", "h", "SET", "u8", 0, 1),
                ("BITFIELD_RO", "h", "GET", "u8", 0), ("BITFIELD", "h")]:
        compat.check(*cmd)
    compat.check("EXISTS", "d")
    compat.check("TYPE", "h")


def test_bitcount(compat):
    compat.check("SET", "k", b"\xff\xf0\x00\x0f\xaa\x55foobar")
    compat.check("BITCOUNT", "k")
    compat.check("BITCOUNT", "missing")
    compat.check("BITCOUNT", "missing", "x", "y")
    values = [0, 1, 2, 3, 5, 9, 11, 12, 13, 40, 95, 96, 97, 1000, -1, -2, -5, -11, -12, -13,
              -96, -97, -200]
    for start, end in itertools.product(values, repeat=2):
        compat.check("BITCOUNT", "k", start, end)
        compat.check("BITCOUNT", "k", start, end, "BIT")
    for start, end in itertools.product(values[:8] + values[14:], repeat=2):
        compat.check("BITCOUNT", "k", start, end, "byte")


def test_bitcount_errors(compat):
    compat.check("SET", "k", "foobar")
    for args in [("0",), ("0", "1", "bits"), ("0", "1", "BIT", "x"), ("a", "1"), ("0", "b"),
                 ("0", "1", ""), ("1.5", "2"), (str(2**64), "1")]:
        compat.check("BITCOUNT", "k", *args)
        compat.check("BITCOUNT", "missing", *args)
    compat.check("SET", "n", "1234567")
    compat.check("BITCOUNT", "n")
    compat.check("BITCOUNT", "n", 1, 3, "BIT")
    compat.check("SET", "e", "")
    compat.check("BITCOUNT", "e")
    compat.check("BITCOUNT", "e", 0, -1)
    compat.check("BITCOUNT", "e", 0, -1, "bit")


def test_bitcount_random(compat):
    rnd = random.Random(3)
    for _ in range(20):
        value = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
        compat.check("SET", "r", value)
        compat.check("BITCOUNT", "r")
        n = len(value)
        for _ in range(20):
            a, b = rnd.randrange(-n * 9, n * 9), rnd.randrange(-n * 9, n * 9)
            compat.check("BITCOUNT", "r", a, b, "BIT")
            compat.check("BITCOUNT", "r", a // 8, b // 8)


def test_bitpos(compat):
    compat.check("SET", "k", b"\xff\xf0\x00\x0f\xff\xff\x00")
    compat.check("SET", "ones", b"\xff\xff\xff")
    compat.check("SET", "zeros", b"\x00\x00\x00")
    values = [0, 1, 2, 3, 6, 7, 8, 12, 20, 23, 24, 55, 56, 100, -1, -2, -3, -8, -9, -30, -100]
    for key in ["k", "ones", "zeros"]:
        for bit in [0, 1]:
            compat.check("BITPOS", key, bit)
            for start in values:
                compat.check("BITPOS", key, bit, start)
                for end in values:
                    compat.check("BITPOS", key, bit, start, end)
                    compat.check("BITPOS", key, bit, start, end, "BIT")
                    compat.check("BITPOS", key, bit, start, end, "byte")


def test_bitpos_missing_and_errors(compat):
    compat.check("BITPOS", "missing", 0)
    compat.check("BITPOS", "missing", 1)
    compat.check("BITPOS", "missing", 0, "x", "y", "z", "w")
    compat.check("SET", "k", "foobar")
    for args in [("2",), ("-1",), ("x",), ("",), ("1", "x"), ("1", "0", "x"),
                 ("1", "0", "1", "bits"), ("1", "0", "1", "BIT", "x"), ("0", "1.5")]:
        compat.check("BITPOS", "k", *args)
        compat.check("BITPOS", "missing", *args)
    compat.check("SET", "e", "")
    compat.check("BITPOS", "e", 0)
    compat.check("BITPOS", "e", 1)
    compat.check("BITPOS", "e", 0, 0, -1, "bit")
    compat.check("SET", "n", "255")
    compat.check("BITPOS", "n", 1)
    compat.check("BITPOS", "n", 0, 1)


def test_bitpos_random(compat):
    rnd = random.Random(5)
    for _ in range(20):
        n = rnd.randrange(1, 40)
        fill = rnd.choice([0, 255])
        value = bytearray([fill] * n)
        for _ in range(rnd.randrange(3)):
            value[rnd.randrange(n)] = rnd.randrange(256)
        compat.check("SET", "r", bytes(value))
        for _ in range(30):
            bit = rnd.randrange(2)
            a, b = rnd.randrange(-n * 9, n * 9), rnd.randrange(-n * 9, n * 9)
            compat.check("BITPOS", "r", bit, a, b, "BIT")
            compat.check("BITPOS", "r", bit, a // 8, b // 8)
            compat.check("BITPOS", "r", bit, a // 8)


def test_bitop(compat):
    compat.check("SET", "a", b"\xff\x0f\x00abc")
    compat.check("SET", "b", b"\xf0\xf0")
    compat.check("SET", "c", "12345")
    for op in ["AND", "or", "Xor"]:
        compat.check("BITOP", op, "d", "a", "b")
        compat.check("GET", "d")
        compat.check("OBJECT", "ENCODING", "d")
        compat.check("BITOP", op, "d", "a", "b", "c", "missing")
        compat.check("GET", "d")
        compat.check("BITOP", op, "d", "a")
        compat.check("GET", "d")
    compat.check("BITOP", "NOT", "d", "a")
    compat.check("GET", "d")
    compat.check("BITOP", "NOT", "d", "c")
    compat.check("GET", "d")
    compat.check("BITOP", "NOT", "d", "a", "b")
    compat.check("BITOP", "NAND", "d", "a")
    compat.check("BITOP", "and", "a", "a", "b")  # the destination is a source
    compat.check("GET", "a")


def test_bitop_empty_result_deletes(compat):
    compat.check("SET", "d", "x")
    compat.check("BITOP", "AND", "d", "missing1", "missing2")
    compat.check("EXISTS", "d")
    compat.check("SET", "e", "")
    compat.check("SET", "d", "x")
    compat.check("BITOP", "NOT", "d", "e")
    compat.check("EXISTS", "d")
    compat.check("BITOP", "OR", "nothing", "missing")
    compat.check("EXISTS", "nothing")


def test_bitop_replaces_ttl_and_type(compat):
    compat.check("SET", "a", "abc")
    compat.check("SET", "d", "old", "EX", "100")
    compat.check("BITOP", "OR", "d", "a")
    compat.check("TTL", "d")
    compat.check("HSET", "h", "f", "v")
    compat.check("BITOP", "OR", "h", "a")
    compat.check("TYPE", "h")
    compat.check("GET", "h")


def test_bitop_long(compat):
    rnd = random.Random(9)
    a = bytes(rnd.randrange(256) for _ in range(5000))
    b = bytes(rnd.randrange(256) for _ in range(3001))
    compat.check("SET", "a", a)
    compat.check("SET", "b", b)
    for op in ["AND", "OR", "XOR"]:
        compat.check("BITOP", op, "d", "a", "b")
        compat.check("GET", "d")
    compat.check("BITOP", "NOT", "d", "b")
    compat.check("GET", "d")


def test_bitfield_basic(compat):
    compat.check("BITFIELD", "k")
    compat.check("EXISTS", "k")
    compat.check("BITFIELD", "k", "GET", "u8", 0)
    compat.check("EXISTS", "k")
    compat.check("BITFIELD", "k", "SET", "u8", 0, 255, "GET", "u8", 0, "GET", "i8", 0)
    compat.check("GET", "k")
    compat.check("BITFIELD", "k", "SET", "i5", "#3", -7, "GET", "i5", "#3", "GET", "u5", 15)
    compat.check("BITFIELD", "k", "INCRBY", "u4", 100, 3, "GET", "u4", 100)
    compat.check("GET", "k")
    compat.check("BITFIELD", "k", "get", "u63", 0, "get", "i64", 0, "get", "i64", 60)
    compat.check("BITFIELD", "k", "GET", "u8", 1000)
    compat.check("BITFIELD_RO", "k", "GET", "u8", 0, "GET", "i3", 5)
    compat.check("BITFIELD_RO", "k")
    compat.check("BITFIELD_RO", "k", "SET", "u8", 0, 1)
    compat.check("BITFIELD_RO", "k", "GET", "u8", 0, "INCRBY", "u8", 0, 1)
    compat.check("BITFIELD_RO", "k", "OVERFLOW", "FAIL")
    compat.check("OBJECT", "ENCODING", "k")


def test_bitfield_on_int_and_embstr(compat):
    compat.check("SET", "n", "100")
    compat.check("BITFIELD", "n", "GET", "u8", 0, "GET", "u16", 8)
    compat.check("BITFIELD", "n", "INCRBY", "u8", 0, 1)
    compat.check("GET", "n")
    compat.check("OBJECT", "ENCODING", "n")
    compat.check("SET", "s", "hello")
    compat.check("BITFIELD", "s", "SET", "u8", 80, 65)
    compat.check("GET", "s")


def test_bitfield_errors(compat):
    compat.check("SET", "k", "abc")
    bad = [
        ("GET", "u64", 0), ("GET", "i65", 0), ("GET", "u0", 0), ("GET", "x8", 0),
        ("GET", "U8", 0), ("GET", "i", 0), ("GET", "", 0), ("GET", "u8", -1),
        ("GET", "u8", "#-1"), ("GET", "u8", "x"), ("GET", "u8", str(2**32)),
        ("GET", "u8", "#536870912"), ("GET", "u8", "#"), ("SET", "u8", 0, "x"),
        ("INCRBY", "u8", 0, "1.5"), ("OVERFLOW", "x"), ("OVERFLOW",), ("GET", "u8"),
        ("SET", "u8", 0), ("NOPE", "u8", 0), ("GET", "u8", 0, "extra"),
        ("OVERFLOW", "WRAP", "SET"), ("GET", "i8", "#" + str(2**62)),
        ("GET", "u8", "#" + str(2**63)),
    ]
    for args in bad:
        compat.check("BITFIELD", "k", *args)
        compat.check("BITFIELD_RO", "k", *args)
        compat.check("BITFIELD", "missing", *args)
    compat.check("EXISTS", "missing")
    compat.check("GET", "k")
    compat.check("BITFIELD", "k", "GET", "u8", MAX_OFFSET - 7)
    compat.check("BITFIELD", "k", "GET", "u8", "#536870911")


def overflow_values(bits, signed):
    if signed:
        lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    else:
        lo, hi = 0, 2**bits - 1
    vals = {lo, hi, lo + 1, hi - 1, 0, 1, -1, hi + 1, lo - 1, 2 * hi + 5, -2 * hi - 5,
            INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1}
    return sorted(v for v in vals if INT64_MIN <= v <= INT64_MAX)


@pytest.mark.parametrize("signed", [True, False], ids=["i", "u"])
@pytest.mark.parametrize("overflow", ["WRAP", "SAT", "FAIL"])
def test_bitfield_overflow(compat, signed, overflow):
    widths = range(1, 65) if signed else range(1, 64)
    for bits in widths:
        t = f"{'i' if signed else 'u'}{bits}"
        vals = overflow_values(bits, signed)
        for v in vals:
            compat.check("BITFIELD", "k", "OVERFLOW", overflow, "SET", t, 3, v, "GET", t, 3)
        for start in vals[:6] + vals[-4:]:
            compat.check("BITFIELD", "k", "OVERFLOW", "WRAP", "SET", t, 3, start)
            for incr in vals:
                compat.check("BITFIELD", "k", "OVERFLOW", overflow, "INCRBY", t, 3, incr)
                compat.check("BITFIELD", "k", "SET", t, 3, start)
        compat.check("GET", "k")


def test_bitfield_fail_still_creates_key(compat):
    compat.check("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", 100, 7)
    compat.check("GET", "k")
    compat.check("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u2", 0, 10,
                 "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 1, "OVERFLOW", "WRAP",
                 "INCRBY", "u2", 0, 1)


def test_bitfield_random(compat):
    rnd = random.Random(11)
    for _ in range(400):
        signed = rnd.random() < 0.5
        bits = rnd.randrange(1, 65 if signed else 64)
        t = f"{'i' if signed else 'u'}{bits}"
        off = rnd.randrange(0, 300)
        ow = rnd.choice(["WRAP", "SAT", "FAIL"])
        op = rnd.choice(["GET", "SET", "INCRBY"])
        v = rnd.choice([rnd.randrange(-1000, 1000), rnd.randrange(INT64_MIN, INT64_MAX)])
        args = ["OVERFLOW", ow, op, t, off] + ([] if op == "GET" else [v])
        compat.check("BITFIELD", "k", *args)
    compat.check("GET", "k")


def test_generic_commands(compat):
    compat.check("SETBIT", "k", 100, 1)
    compat.check("COPY", "k", "k2")
    compat.check("SETBIT", "k2", 1, 1)
    compat.check("GET", "k")
    compat.check("GET", "k2")
    compat.check("EXPIRE", "k", 100)
    compat.check("SETBIT", "k", 1000, 1)
    compat.check("TTL", "k")
    compat.check("BITFIELD", "k", "SET", "u8", 9000, 1)
    compat.check("TTL", "k")
    compat.check("RENAME", "k", "k3")
    compat.check("BITCOUNT", "k3")
    compat.check("TYPE", "k3")


def test_resp3(compat):
    compat.hello(3)
    compat.check("SETBIT", "k", 5, 1)
    compat.check("BITFIELD", "k", "GET", "u8", 0, "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 9)
    compat.check("BITFIELD_RO", "k", "GET", "u8", 0)
    compat.check("BITPOS", "k", 1)
    compat.check("BITCOUNT", "k")
