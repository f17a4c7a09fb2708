"""HyperLogLog commands against redis-server 7.0: PFADD, PFCOUNT, PFMERGE.

HLLs are strings in Redis's byte format, so after every change GET must
return exactly the bytes redis-server holds (sparse opcodes, promotion to
dense, the cached cardinality and its validity bit).
"""

import random

import pytest


def elements(prefix, n, start=0):
    return [f"{prefix}{i}" for i in range(start, start + n)]


def pfadd_batched(compat, key, items, batch=1000):
    for i in range(0, len(items), batch):
        compat.check("PFADD", key, *items[i:i + batch])


def same_bytes(compat, key):
    return compat.check("GET", key)


WRONG_ARITY = [("PFADD",), ("PFCOUNT",), ("PFMERGE",)]


@pytest.mark.parametrize("cmd", WRONG_ARITY, ids=lambda c: " ".join(c))
def test_wrong_arity(compat, cmd):
    compat.check(*cmd)


def test_empty_pfadd_creates_sparse_hll(compat):
    assert compat.check("PFADD", "h") == (":", 1)
    same_bytes(compat, "h")
    assert compat.check("PFADD", "h") == (":", 0)
    assert compat.check("PFCOUNT", "h") == (":", 0)
    same_bytes(compat, "h")  # the cardinality cache is now valid
    compat.check("TYPE", "h")
    compat.check("OBJECT", "ENCODING", "h")
    compat.check("STRLEN", "h")


def test_pfadd_reply_and_cache(compat):
    assert compat.check("PFADD", "h", "a", "b", "c") == (":", 1)
    assert compat.check("PFADD", "h", "a", "b") == (":", 0)
    same_bytes(compat, "h")
    compat.check("PFCOUNT", "h")
    same_bytes(compat, "h")
    compat.check("PFADD", "h", "d")
    same_bytes(compat, "h")  # invalidated again
    compat.check("PFCOUNT", "h")


def test_pfadd_one_by_one_sparse_bytes(compat):
    rnd = random.Random(7)
    for i in range(1500):
        compat.check("PFADD", "h", str(rnd.random()))
        if i % 37 == 0:
            same_bytes(compat, "h")
            compat.check("PFCOUNT", "h")
    same_bytes(compat, "h")


@pytest.mark.parametrize("n", [1, 2, 3, 10, 100, 500, 1000, 2000, 5000, 20000, 100000])
def test_pfcount_matches(compat, n):
    pfadd_batched(compat, "h", elements("el", n))
    same_bytes(compat, "h")
    compat.check("PFCOUNT", "h")
    same_bytes(compat, "h")
    compat.check("OBJECT", "ENCODING", "h")


def test_pfcount_every_size_up_to_3000(compat):
    for i in range(3000):
        compat.check("PFADD", "h", f"x{i}")
        if i < 200 or i % 10 == 0:
            compat.check("PFCOUNT", "h")
    same_bytes(compat, "h")


def test_binary_and_long_elements(compat):
    items = [b"", b"\x00", b"\xff\xfe", b"a" * 7, b"a" * 8, b"a" * 9, b"z" * 1000,
             bytes(range(256))]
    for it in items:
        compat.check("PFADD", "h", it)
        same_bytes(compat, "h")
    compat.check("PFCOUNT", "h")


def test_promotion_point(compat):
    # Find where Redis turns dense by watching STRLEN after each add.
    for i in range(4000):
        compat.check("PFADD", "h", f"p{i}")
        r = compat.check("STRLEN", "h")
        if r[1] > 3000:
            break
    same_bytes(compat, "h")
    compat.check("PFCOUNT", "h")


@pytest.fixture
def sparse_max(compat):
    yield
    compat.check("CONFIG", "SET", "hll-sparse-max-bytes", "3000")


@pytest.mark.parametrize("limit", ["0", "20", "100", "500", "10000"])
def test_sparse_max_bytes(compat, sparse_max, limit):
    compat.check("CONFIG", "SET", "hll-sparse-max-bytes", limit)
    for i in range(300):
        compat.check("PFADD", "h", f"s{i}")
        if i % 7 == 0:
            same_bytes(compat, "h")
    same_bytes(compat, "h")
    compat.check("PFCOUNT", "h")
    pfadd_batched(compat, "big", elements("b", 3000))
    same_bytes(compat, "big")


def dense_with_register(index, value):
    regs = bytearray(12288)
    bit = index * 6
    byte, shift = bit // 8, bit % 8
    word = int.from_bytes(regs[byte:byte + 2], "little") | (value << shift)
    regs[byte:byte + 2] = word.to_bytes(2, "little")[:len(regs[byte:byte + 2])]
    return b"HYLL\x00\x00\x00\x00" + b"\x00" * 7 + b"\x80" + bytes(regs)


def test_large_register_value_promotes(compat):
    # A register above 32 cannot be held by a sparse VAL opcode: merging one
    # into a sparse HLL makes it dense. Hashes give such runs once in 2^32
    # elements, so the register comes from a hand-built dense HLL.
    for index, value in ((0, 33), (5, 40), (16383, 51), (100, 63)):
        compat.check("SET", "forged", dense_with_register(index, value))
        compat.check("PFCOUNT", "forged")
        compat.check("PFADD", "h", "a", "b")
        compat.check("PFMERGE", "h", "forged")
        same_bytes(compat, "h")
        compat.check("PFCOUNT", "h")
        compat.check("DEL", "h")
        compat.check("PFADD", "small", "x")
        compat.check("PFCOUNT", "small", "forged")


def test_multi_key_pfcount(compat):
    pfadd_batched(compat, "a", elements("e", 1000))
    pfadd_batched(compat, "b", elements("e", 1000, 500))
    pfadd_batched(compat, "c", elements("e", 20000, 700))
    compat.check("PFCOUNT", "a", "b")
    compat.check("PFCOUNT", "a", "b", "c")
    compat.check("PFCOUNT", "a", "missing")
    compat.check("PFCOUNT", "missing1", "missing2")
    compat.check("PFCOUNT", "a", "a")
    same_bytes(compat, "a")  # multi-key PFCOUNT does not touch the cache
    compat.check("SET", "s", "plain")
    compat.check("PFCOUNT", "a", "s")
    compat.check("HSET", "l", "f", "v")
    compat.check("PFCOUNT", "a", "l")


def test_pfmerge(compat):
    pfadd_batched(compat, "a", elements("e", 100))
    pfadd_batched(compat, "b", elements("e", 100, 50))
    pfadd_batched(compat, "d", elements("e", 10000, 3))
    assert compat.check("PFMERGE", "m", "a", "b") == ("+", b"OK")
    same_bytes(compat, "m")
    compat.check("PFCOUNT", "m")
    compat.check("PFMERGE", "m2", "a", "d")
    same_bytes(compat, "m2")
    compat.check("PFCOUNT", "m2")
    compat.check("PFMERGE", "a", "b")  # the destination is also a source
    same_bytes(compat, "a")
    compat.check("PFMERGE", "empty")
    same_bytes(compat, "empty")
    compat.check("PFMERGE", "e2", "missing")
    same_bytes(compat, "e2")
    compat.check("PFMERGE", "d", "a")  # a dense destination stays dense
    same_bytes(compat, "d")
    compat.check("SET", "s", "plain")
    compat.check("PFMERGE", "x", "a", "s")
    compat.check("EXISTS", "x")
    compat.check("PFMERGE", "s", "a")
    compat.check("HSET", "l", "f", "v")
    compat.check("PFMERGE", "l", "a")


def test_pfmerge_sparse_limit(compat, sparse_max):
    compat.check("CONFIG", "SET", "hll-sparse-max-bytes", "50")
    pfadd_batched(compat, "a", elements("e", 30))
    compat.check("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    pfadd_batched(compat, "b", elements("f", 30))
    compat.check("PFMERGE", "m", "b")
    compat.check("CONFIG", "SET", "hll-sparse-max-bytes", "60")
    compat.check("PFMERGE", "m", "a")
    same_bytes(compat, "m")


def test_wrongtype(compat):
    compat.check("HSET", "l", "f", "v")
    compat.check("PFADD", "l", "x")
    compat.check("PFCOUNT", "l")
    compat.check("SET", "s", "not an hll")
    compat.check("PFADD", "s", "x")
    compat.check("PFCOUNT", "s")
    compat.check("SET", "i", "12345")
    compat.check("PFADD", "i", "x")
    compat.check("PFCOUNT", "i")
    compat.check("SET", "short", "HYLL")
    compat.check("PFADD", "short", "x")


def valid_prefix(compat):
    compat.check("PFADD", "src", "a", "b", "c")
    return compat.check("GET", "src")[1]


def test_corrupted_hll(compat):
    good = valid_prefix(compat)
    header = good[:16]
    cases = {
        "bad_encoding": good[:4] + b"\x02" + good[5:],
        "dense_wrong_len": good[:4] + b"\x00" + good[5:],
        "sparse_short": header + b"\x7f",
        "sparse_too_few": header + b"\x40\x00",
        "sparse_too_many": header + b"\x7f\xff\x00",
        "sparse_val_overflow": header + b"\x7f\xfe\x83",
        "header_only": header,
        "garbage": b"HYLL" + b"\x01" + b"\x00" * 11 + b"\xff" * 40,
    }
    for name, value in cases.items():
        compat.check("SET", name, value)
        compat.check("PFCOUNT", name)
        compat.check("PFADD", name, "x", "y", "z")
        compat.check("GET", name)
        compat.check("PFCOUNT", name, "src")
        compat.check("PFMERGE", "dst", name)
        compat.check("PFMERGE", name, "src")
        compat.check("GET", name)


def test_hll_set_by_value(compat):
    # A valid HLL written with SET (embstr) behaves like one built by PFADD.
    good = valid_prefix(compat)
    compat.check("SET", "copy", good)
    compat.check("OBJECT", "ENCODING", "copy")
    compat.check("PFCOUNT", "copy")
    compat.check("OBJECT", "ENCODING", "copy")
    compat.check("PFADD", "copy", "more")
    same_bytes(compat, "copy")
    pfadd_batched(compat, "dense", elements("z", 5000))
    dense = compat.check("GET", "dense")[1]
    compat.check("SET", "d2", dense)
    compat.check("PFADD", "d2", "q")
    same_bytes(compat, "d2")
    compat.check("PFCOUNT", "d2")


def test_cached_card_is_trusted(compat):
    # PFCOUNT returns a valid cached value as is, even a forged one.
    good = bytearray(valid_prefix(compat))
    good[8:16] = (123456).to_bytes(8, "little")
    compat.check("SET", "forged", bytes(good))
    compat.check("PFCOUNT", "forged")
    good[15] |= 0x80
    compat.check("SET", "stale", bytes(good))
    compat.check("PFCOUNT", "stale")
    same_bytes(compat, "stale")


def test_generic_commands(compat):
    pfadd_batched(compat, "h", elements("g", 200))
    compat.check("COPY", "h", "h2")
    same_bytes(compat, "h2")
    compat.check("RENAME", "h2", "h3")
    compat.check("PFADD", "h3", "new")
    same_bytes(compat, "h3")
    compat.check("EXPIRE", "h", "100")
    compat.check("PFADD", "h", "zzz")
    compat.check("TTL", "h")
    compat.check("PFCOUNT", "h")
    compat.check("TTL", "h")
    compat.check("TYPE", "h")
    compat.check("DEL", "h", "h3")
    compat.check("PFCOUNT", "h")


def test_resp3(compat):
    compat.hello(3)
    compat.check("PFADD", "h", "a")
    compat.check("PFCOUNT", "h")
    compat.check("PFMERGE", "m", "h")


def test_pfcount_growing_to_100k(compat):
    for start in range(0, 100000, 1000):
        compat.check("PFADD", "h", *elements("g", 1000, start))
        compat.check("PFCOUNT", "h")
        compat.check("PFCOUNT", "h", "missing")
    same_bytes(compat, "h")


def test_random_sequences(compat, sparse_max):
    rnd = random.Random(21)
    for round_ in range(6):
        limit = rnd.choice([3000, 3000, 200, 1000, 40])
        compat.check("CONFIG", "SET", "hll-sparse-max-bytes", limit)
        keys = [f"k{i}" for i in range(4)]
        for _ in range(150):
            what = rnd.random()
            key = rnd.choice(keys)
            if what < 0.7:
                n = rnd.choice([1, 1, 2, 5, 50, 400])
                compat.check("PFADD", key, *[str(rnd.randrange(10**6)) for _ in range(n)])
            elif what < 0.85:
                compat.check("PFCOUNT", key)
            elif what < 0.95:
                compat.check("PFMERGE", key, *rnd.sample(keys, rnd.randrange(1, 4)))
            else:
                compat.check("PFCOUNT", *rnd.sample(keys, rnd.randrange(2, 4)))
            same_bytes(compat, key)
        compat.check("FLUSHALL")


N_CORRUPT = 500


def test_random_corrupt_sparse(compat):
    compat.check("PFADD", "ok", "a", "b")
    rnd = random.Random(33)
    header = b"HYLL\x01\x00\x00\x00" + b"\x00" * 8
    for i in range(N_CORRUPT):
        body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 12)))
        if rnd.random() < 0.5:
            # Mostly well-formed: an XZERO covering most registers, then noise.
            body = bytes([0x40 | (rnd.randrange(0x3c, 0x40)), rnd.randrange(256)]) + body
        key = f"c{i}"
        compat.check("SET", key, header + body)
        compat.check(rnd.choice(["PFCOUNT", "PFADD"]), key, *[str(j) for j in range(3)])
        compat.check("GET", key)
        compat.check("PFMERGE", key, "ok")
        compat.check("PFADD", key, *[str(j) for j in range(50)])
        compat.check("GET", key)
