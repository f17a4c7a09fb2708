"""Crash safety of the AOF: the server is SIGKILLed at random moments (also
during BGREWRITEAOF and BGSAVE) while clients write; after each restart every
acknowledged write must be there (appendfsync always), or all but about the
last second of them (everysec)."""

import random
import threading
import time

import pytest
import redis

from tests.servers import start_basalt

WRITERS = 4


def aof_args(datadir, fsync):
    return ["--dir", str(datadir), "--appendonly", "yes", "--appendfsync", fsync,
            "--save", "", "--io-threads", "2"]


def kill9(srv):
    srv.proc.kill()
    srv.proc.wait()
    srv.stopped = True


class Writer(threading.Thread):
    """SETs prefix:i = i one at a time; records each acknowledged i and when."""

    def __init__(self, port, prefix):
        super().__init__(daemon=True)
        self.port, self.prefix = port, prefix
        self.acked = []  # (i, monotonic time of the reply)

    def run(self):
        try:
            c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
            i = 0
            while True:
                c.set(f"{self.prefix}:{i}", i)
                self.acked.append((i, time.monotonic()))
                i += 1
        except Exception:  # noqa: BLE001 - the kill ends the writer
            return


def present(c, keys):
    out = set()
    for j in range(0, len(keys), 1000):
        chunk = keys[j:j + 1000]
        for k, v in zip(chunk, c.mget(chunk)):
            if v is not None:
                out.add(k)
    return out


def crash_cycle(tmp_path, fsync, cycle, rng, preload=False):
    srv = start_basalt(aof_args(tmp_path, fsync), timeout=30)
    try:
        c = srv.client()
        if preload:
            pipe = c.pipeline(transaction=False)
            for i in range(60000):
                pipe.set(f"pre:{i}", "x" * 60)
            pipe.execute()
        writers = [Writer(srv.port, f"c{cycle}w{w}") for w in range(WRITERS)]
        for w in writers:
            w.start()
        action = cycle % 3  # 0: plain, 1: during BGREWRITEAOF, 2: during BGSAVE
        time.sleep(rng.uniform(0.05, 0.25))
        if action == 1:
            c.bgrewriteaof()
        elif action == 2:
            try:
                c.bgsave()
            except redis.ResponseError:
                pass  # a rewrite's snapshot may still run
        time.sleep(rng.uniform(0.0, 0.15))
        kill_time = time.monotonic()
        kill9(srv)
        for w in writers:
            w.join(10)
        return writers, kill_time
    finally:
        if not srv.stopped:
            srv.stop()


def check_cycle(tmp_path, fsync, writers, kill_time, max_loss_s):
    srv = start_basalt(aof_args(tmp_path, fsync), timeout=30)
    try:
        c = srv.client()
        for w in writers:
            keys = [f"{w.prefix}:{i}" for i, _ in w.acked]
            got = present(c, keys)
            missing = [(i, t) for i, t in w.acked if f"{w.prefix}:{i}" not in got]
            if max_loss_s == 0:
                assert not missing, f"{len(missing)} acknowledged writes lost: {missing[:5]}"
            else:
                late = [(i, t) for i, t in missing if kill_time - t > max_loss_s]
                assert not late, f"writes acknowledged >{max_loss_s}s before the kill lost: " \
                                 f"{late[:5]}"
        return srv.client().dbsize()
    finally:
        assert srv.stop() == []


@pytest.mark.concurrency
def test_fsync_always_loses_no_acknowledged_write(tmp_path):
    rng = random.Random(20261122)
    total_acked = 0
    cycles = 30
    started = time.monotonic()
    for cycle in range(cycles):
        writers, kill_time = crash_cycle(tmp_path, "always", cycle, rng, preload=cycle == 0)
        total_acked += sum(len(w.acked) for w in writers)
        check_cycle(tmp_path, "always", writers, kill_time, max_loss_s=0)
    assert total_acked > cycles * WRITERS  # the writers really wrote
    assert time.monotonic() - started < 90


@pytest.mark.concurrency
def test_everysec_loses_at_most_about_a_second(tmp_path):
    rng = random.Random(7)
    for cycle in range(4):
        writers, kill_time = crash_cycle(tmp_path, "everysec", cycle, rng)
        check_cycle(tmp_path, "everysec", writers, kill_time, max_loss_s=1.5)


@pytest.mark.concurrency
def test_earlier_cycles_survive_later_crashes(tmp_path):
    """Data of earlier cycles stays through rewrites and crashes."""
    rng = random.Random(3)
    history = []
    for cycle in range(6):
        writers, kill_time = crash_cycle(tmp_path, "always", cycle, rng)
        history += writers
    srv = start_basalt(aof_args(tmp_path, "always"), timeout=30)
    try:
        c = srv.client()
        for w in history:
            keys = [f"{w.prefix}:{i}" for i, _ in w.acked]
            assert len(present(c, keys)) == len(keys)
    finally:
        assert srv.stop() == []
