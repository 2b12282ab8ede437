#!/usr/bin/python3
"""A zpipe worker in Python, written from docs/protocol.md, docs/fingerprint.md and
docs/tasks.md. Usage, like `zpipe worker`:

    zpipe_worker.py -c PIPELINE.yaml [--ventilator EP] [--sink EP] [--name N] [--slots N]
                    [--keep-alive] [--print-fingerprint]

Exit codes: 0 batch done, 2 refused by the ventilator (or a bad file), 3 runtime error,
128 + signal when interrupted (SIGINT/SIGTERM: drain; the second one stops at once).
"""

import argparse
import logging
import os
import signal
import socket
import sys
import time

import zmq

sys.dont_write_bytecode = True  # no __pycache__ beside the sources (the tests run it in place)

import zpipe_pipeline as pl  # noqa: E402
import zpipe_wire as wire  # noqa: E402
from zpipe_slots import SlotPool  # noqa: E402
from zpipe_tasks import RUNNING  # noqa: E402

log = logging.getLogger("zpipe-worker")

MAX_RESULT_BATCH_BYTES = 8 << 20
MAX_MESSAGE_BYTES = 256 << 20


class Worker:
    def __init__(self, pipeline, ventilator, sink, name, keep_alive):
        self.p = pipeline
        self.name = name.encode()
        self.keep_alive = keep_alive
        self.fingerprint = pl.fingerprint(pipeline.task)
        self.capacity = pipeline.slots + pipeline.prefetch
        # Until the first welcome: the file's heartbeat and liveness.
        self.heartbeat_s = pipeline.heartbeat_ms / 1000
        self.liveness = pipeline.liveness
        self.ctx = zmq.Context()
        self.dealer = self.ctx.socket(zmq.DEALER)
        self.push = self.ctx.socket(zmq.PUSH)
        for sock, linger in ((self.dealer, 500), (self.push, 500)):
            sock.setsockopt(zmq.LINGER, linger)  # bounded: exit never hangs on a dead peer
            sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.dealer.connect(ventilator)
        self.push.connect(sink)
        self.pool = SlotPool(pipeline.task, pipeline.slots)
        self.held = 0               # tasks received and not finished
        self.credit_to_return = 0   # finished and pushed, not yet said
        self.pending = []           # encoded results not yet handed to the push socket
        self.pending_bytes = 0
        self.batch_done = False
        self.leaving_until = None   # draining: the end of the grace period
        self.last_heard = time.monotonic()
        self.next_heartbeat = self.last_heard + self.heartbeat_s
        self.signal = 0             # the first SIGINT/SIGTERM
        self.stop_now = False
        self.faults = {}            # kind -> [count, last log time]
        self.ran = 0

    # --- sending --------------------------------------------------------------------------
    def say(self, frames):
        """Never blocks: a lost message is repaired by the hello after a silence."""
        try:
            self.dealer.send_multipart(frames, flags=zmq.NOBLOCK)
        except zmq.Again:
            log.debug("ventilator queue full")

    def hello(self):
        self.say(wire.hello(self.fingerprint, max(0, self.capacity - self.held), self.name))
        self.credit_to_return = 0  # hello's credit covers it

    def flush_results(self):
        # pending: (encoded result, whether it is an argument-list task's); a message holds
        # one kind (results or arg_results).
        while self.pending:
            batch, size, arg_lists = [], 0, self.pending[0][1]
            while self.pending and self.pending[0][1] == arg_lists and (
                    not batch or size + len(self.pending[0][0]) <= MAX_RESULT_BATCH_BYTES):
                size += len(self.pending[0][0])
                batch.append(self.pending.pop(0))
            try:
                self.push.send_multipart(wire.results(self.name, [item for item, _ in batch], arg_lists),
                                         flags=zmq.NOBLOCK)
            except zmq.Again:
                self.pending[:0] = batch
                return
            self.credit_to_return += len(batch)

    # --- receiving ------------------------------------------------------------------------
    def count_fault(self, kind):
        entry = self.faults.setdefault(kind, [0, 0.0])
        entry[0] += 1
        now = time.monotonic()
        if entry[0] == 1 or now - entry[1] >= 10:
            log.warning("dropped malformed message (%s); %d of this kind so far", kind, entry[0])
            entry[1] = now

    def receive_all(self):
        """Handles every waiting message; returns an exit code when the worker must stop."""
        while True:
            try:
                frames = self.dealer.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return None
            try:
                msg_type, m = wire.decode(frames)
            except wire.WireError as e:
                self.count_fault(str(e))
                continue
            self.last_heard = time.monotonic()
            code = self.handle(msg_type, m)
            if code is not None:
                return code

    def handle(self, msg_type, m):
        if msg_type in (wire.TASKS, wire.ARG_TASKS):
            if self.leaving_until is not None:
                # Leaving: not started, handed back at once.
                self.say(wire.bye(False, [item[0] for item in m["items"]]))
            else:
                self.held += len(m["items"])
                self.pool.submit(m["items"])
        elif msg_type == wire.WELCOME:
            self.heartbeat_s = min(max(m["heartbeat_ms"], 1), 3600000) / 1000
            self.liveness = min(max(m["liveness"], 1), 1000)
            # The new pace applies at once, not after the file's (maybe longer) interval.
            self.next_heartbeat = min(self.next_heartbeat, time.monotonic() + self.heartbeat_s)
        elif msg_type == wire.DONE:
            self.batch_done = True
        elif msg_type == wire.HALT:
            return self.halt_now(m["reason"])
        elif msg_type == wire.REFUSE:
            reason = m["reason"]
            if reason.startswith(b"hello first"):
                log.info("ventilator does not know us (%s): hello again", reason.decode(errors="replace"))
                self.hello()
                return None
            log.error("refused by the ventilator: %s", reason.decode(errors="replace"))
            return 2
        elif msg_type != wire.HEARTBEAT:
            self.count_fault("unexpected message type")
        return None

    def collect_results(self):
        finished = self.pool.take_results()
        self.held -= min(self.held, len(finished))
        self.ran += len(finished)
        for r in finished:
            self.pending.append((wire.result_item(r), r.args is not None))

    def leave(self):
        returned = [item[0] for item in self.pool.take_queued()]
        self.held -= min(self.held, len(returned))
        self.say(wire.bye(False, returned))
        self.leaving_until = time.monotonic() + self.p.grace_ms / 1000
        log.info("leaving; handed back %d tasks, finishing %d", len(returned), self.held)

    # --- the loop ---------------------------------------------------------------------------
    def run(self):
        self.hello()
        self.next_heartbeat = time.monotonic() + self.heartbeat_s
        poller = zmq.Poller()
        poller.register(self.dealer, zmq.POLLIN)
        poller.register(self.pool.wake_r, zmq.POLLIN)
        while True:
            if self.stop_now:
                return self.stop()
            if self.pending:
                poller.register(self.push, zmq.POLLOUT)  # registering again only modifies
            elif self.push in dict(poller.sockets):
                poller.unregister(self.push)
            wait_ms = max(0, min(100, int((self.next_heartbeat - time.monotonic()) * 1000)))
            poller.poll(wait_ms)
            code = self.receive_all()
            if code is not None:
                return code
            self.collect_results()
            if self.stop_now:
                return self.stop()
            self.flush_results()
            if self.leaving_until is not None:
                self.credit_to_return = 0  # a leaving worker asks for nothing more
            if self.credit_to_return:
                self.say(wire.credit(self.credit_to_return))
                self.credit_to_return = 0

            now = time.monotonic()
            if now >= self.next_heartbeat:
                if now - self.last_heard > self.heartbeat_s * self.liveness:
                    log.debug("ventilator silent, saying hello again")
                    self.hello()
                    self.last_heard = now
                else:
                    self.say(wire.heartbeat())
                self.next_heartbeat = now + self.heartbeat_s
            if self.signal and self.leaving_until is None:
                self.leave()
            if self.leaving_until is not None and (
                    (self.held == 0 and not self.pending) or now >= self.leaving_until):
                if self.held:
                    log.warning("grace period over; killing %d running tasks", self.held)
                    self.pool.stop()
                    RUNNING.kill_all()
                self.say(wire.bye(True, []))
                return 128 + self.signal
            if self.batch_done and self.held == 0 and not self.pending:
                # bye{final=1}: the ventilator waits for it before it exits.
                self.say(wire.bye(True, []))
                if not self.keep_alive:
                    return 0
                self.batch_done = False  # wait for the next batch's ventilator

    def halt_now(self, reason):
        """The ventilator halts the batch now (halt policy `now`): the results of finished
        tasks go out, what runs is killed and never reported, bye{final=1}, exit 0."""
        log.info("%s; killing %d running tasks", reason.decode(errors="replace"), self.held)
        self.collect_results()
        self.flush_results()
        self.pool.stop()
        RUNNING.kill_all()
        self.say(wire.bye(True, []))
        return 0

    def stop(self):
        """Stop at once: what runs is killed and never reported."""
        self.pool.stop()
        RUNNING.kill_all()
        return 128 + self.signal

    def close(self):
        self.dealer.close()
        self.push.close()
        self.ctx.term()


def main(argv):
    ap = argparse.ArgumentParser(description="A zpipe worker in Python")
    ap.add_argument("-c", "--config", required=True, help="pipeline file (YAML)")
    ap.add_argument("--ventilator", help="ventilator endpoint, overriding the file")
    ap.add_argument("--sink", help="sink endpoint, overriding the file")
    ap.add_argument("--name", help="worker name in records (default: workers.name or host:pid)")
    ap.add_argument("--slots", type=int, help="tasks at once (default: workers.slots)")
    ap.add_argument("--keep-alive", action="store_true", help="stay up for the next batch")
    ap.add_argument("--print-fingerprint", action="store_true",
                    help="print the task fingerprint and its canonical bytes (hex), then exit")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s zpipe-worker: %(levelname)s %(message)s")
    try:
        p = pl.load(args.config)
    except pl.PipelineError as e:
        print(f"zpipe_worker: {e}", file=sys.stderr)
        return 2
    if args.print_fingerprint:
        print(f"0x{pl.fingerprint(p.task):016x}")
        print(pl.canonical_bytes(p.task).hex())
        return 0
    if args.slots is not None:
        if args.slots < 1:
            print("zpipe_worker: --slots must be at least 1", file=sys.stderr)
            return 2
        p.slots = args.slots
    name = args.name or p.name or f"{socket.gethostname() or 'localhost'}:{os.getpid()}"
    try:
        w = Worker(p, args.ventilator or p.ventilator, args.sink or p.sink, name, args.keep_alive)
    except zmq.ZMQError as e:
        print(f"zpipe_worker: cannot connect: {e}", file=sys.stderr)
        return 2

    def on_signal(sig, _frame):
        if not w.signal:
            w.signal = sig
            log.warning("%s received: finishing what is in flight (send it again to stop at once)",
                        signal.strsignal(sig))
        else:
            log.warning("%s received again: stopping now", signal.strsignal(sig))
            w.stop_now = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    log.info("connecting to ventilator %s and sink %s as '%s'", args.ventilator or p.ventilator,
             args.sink or p.sink, name)
    try:
        code = w.run()
    except zmq.ZMQError as e:
        print(f"zpipe_worker: network error: {e}", file=sys.stderr)
        code = 3
    log.info("%s, ran %d tasks", "refused" if code == 2 else "left" if code else "batch done", w.ran)
    w.close()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
