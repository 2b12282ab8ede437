"""The zpipe wire protocol, version 1 (docs/protocol.md): encoding and decoding of messages.

A message is two ZeroMQ frames: a 2-byte header [version, type] and a body. All integers
are little-endian; `bytes` fields are a u32 length and that many raw bytes.
Decoding never trusts a length: a malformed body raises WireError, which the caller counts
and drops.
"""

import struct

VERSION = 1

HELLO, CREDIT, HEARTBEAT, ACK, HAVE, BYE = 1, 2, 3, 4, 5, 6
WELCOME, REFUSE, TASKS, DONE, TOTAL, HALT, ARG_TASKS = 16, 17, 18, 19, 20, 21, 22
RESULTS, ARG_RESULTS = 32, 33

ROLE_WORKER, ROLE_SINK = 1, 2
STATUS_OK, STATUS_FAILED, STATUS_TIMEOUT = 0, 1, 2
FLAG_EXIT_CODE, FLAG_TRUNCATED = 1, 2

NAMES = {HELLO: "hello", CREDIT: "credit", HEARTBEAT: "heartbeat", ACK: "ack", HAVE: "have",
         BYE: "bye", WELCOME: "welcome", REFUSE: "refuse", TASKS: "tasks", DONE: "done",
         TOTAL: "total", HALT: "halt", RESULTS: "results", ARG_TASKS: "arg_tasks",
         ARG_RESULTS: "arg_results"}


class WireError(ValueError):
    """A message this peer must drop (and count)."""


def header(msg_type):
    return bytes((VERSION, msg_type))


def _u8(v):
    return struct.pack("<B", v)


def _u32(v):
    return struct.pack("<I", v)


def _u64(v):
    return struct.pack("<Q", v)


def _bytes(b):
    return _u32(len(b)) + b


# --- encoders: each returns (header, body) -------------------------------------------

def hello(fingerprint, credit, name, role=ROLE_WORKER):
    return header(HELLO), _u8(role) + _u64(fingerprint) + _u32(credit) + _bytes(name)


def credit(n):
    return header(CREDIT), _u32(n)


def heartbeat():
    return header(HEARTBEAT), b""


def bye(final, ids):
    return header(BYE), _u8(1 if final else 0) + _u32(len(ids)) + b"".join(_u64(i) for i in ids)


def _ranges(ranges):
    return _u32(len(ranges)) + b"".join(_u64(first) + _u32(count) for first, count in ranges)


def ack(failed_total, ranges):
    return header(ACK), _u64(failed_total) + _ranges(ranges)


def have(final, failed_total, ranges):
    return header(HAVE), _u8(1 if final else 0) + _u64(failed_total) + _ranges(ranges)


def welcome(heartbeat_ms, liveness):
    return header(WELCOME), _u32(heartbeat_ms) + _u32(liveness)


def refuse(reason):
    return header(REFUSE), _bytes(reason)


def tasks(items):
    """items: (id, attempt, input bytes, args) tuples; args None (a `tasks` message) or, for
    every item, a list of bytes (an `arg_tasks` message)."""
    arg_lists = any(args is not None for _, _, _, args in items)
    body = [_u32(len(items))]
    for task_id, attempt, data, args in items:
        body.append(_u64(task_id) + _u32(attempt) + (_args(args) if arg_lists else _bytes(data)))
    return header(ARG_TASKS if arg_lists else TASKS), b"".join(body)


def done():
    return header(DONE), b""


def total(n):
    return header(TOTAL), _u64(n)


def halt(reason):
    return header(HALT), _bytes(reason)


def _args(args):
    """An argument list (arg_tasks, arg_results): a count, then each argument."""
    return _u32(len(args)) + b"".join(_bytes(a) for a in args)


def result_item(r):
    """r: a Result (zpipe_tasks.Result) or anything with the same attributes. An
    argument-list task's result (r.args not None) goes in an arg_results message."""
    flags = (FLAG_EXIT_CODE if r.exit_code is not None else 0) | (FLAG_TRUNCATED if r.truncated else 0)
    return (_u64(r.id) + _u32(r.attempts) + _u8(r.status) + _u8(flags) +
            struct.pack("<i", r.exit_code if r.exit_code is not None else 0) + _u64(r.duration_us) +
            (_bytes(r.input) if r.args is None else _args(r.args)) + _bytes(r.output) + _bytes(r.error))


def results(worker, encoded_items, arg_lists=False):
    """encoded_items: bodies made by result_item(), all of one kind (arg_lists or not)."""
    return (header(ARG_RESULTS if arg_lists else RESULTS),
            _bytes(worker) + _u32(len(encoded_items)) + b"".join(encoded_items))


# --- decoding --------------------------------------------------------------------------

class _Reader:
    def __init__(self, body):
        self.body = body
        self.at = 0

    def take(self, n):
        if self.at + n > len(self.body):
            raise WireError("truncated body")
        chunk = self.body[self.at:self.at + n]
        self.at += n
        return chunk

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def bytes(self):
        return self.take(self.u32())

    def flag(self):
        v = self.u8()
        if v > 1:
            raise WireError("bad flag byte")
        return v == 1

    def count(self, min_item_bytes):
        n = self.u32()
        if n > (len(self.body) - self.at) // min_item_bytes:
            raise WireError("count exceeds body")
        return n

    def end(self):
        if self.at != len(self.body):
            raise WireError("trailing bytes in body")


def _ranges_of(r):
    out = []
    for _ in range(r.count(12)):
        first, count = r.u64(), r.u32()
        if first == 0 or first + count > 2 ** 64 - 1:
            raise WireError("bad id range")
        out.append((first, count))
    return out


def decode(frames):
    """Decodes [header, body] into (type, fields dict). Raises WireError."""
    if len(frames) != 2:
        raise WireError("missing frames" if len(frames) < 2 else "extra frames")
    head, body = frames
    if len(head) != 2:
        raise WireError("bad header size")
    if head[0] != VERSION:
        raise WireError("unsupported protocol version")
    t = head[1]
    r = _Reader(body)
    if t == HELLO:
        role = r.u8()
        if role not in (ROLE_WORKER, ROLE_SINK):
            raise WireError("unknown role in hello")
        m = {"role": role, "fingerprint": r.u64(), "credit": r.u32(), "name": r.bytes()}
    elif t == CREDIT:
        m = {"n": r.u32()}
    elif t in (HEARTBEAT, DONE):
        m = {}
    elif t == ACK:
        m = {"failed_total": r.u64(), "ranges": _ranges_of(r)}
    elif t == HAVE:
        m = {"final": r.flag(), "failed_total": r.u64()}
        m["ranges"] = _ranges_of(r)
    elif t == BYE:
        m = {"final": r.flag()}
        m["ids"] = [r.u64() for _ in range(r.count(8))]
    elif t == WELCOME:
        m = {"heartbeat_ms": r.u32(), "liveness": r.u32()}
    elif t in (REFUSE, HALT):
        m = {"reason": r.bytes()}
    elif t in (TASKS, ARG_TASKS):
        m = {"items": _tasks_of(r, t == ARG_TASKS)}
    elif t == TOTAL:
        m = {"total": r.u64()}
    elif t in (RESULTS, ARG_RESULTS):
        m = {"worker": r.bytes()}
        m["items"] = _results_of(r, t == ARG_RESULTS)
    else:
        raise WireError("unknown message type")
    r.end()
    return t, m


def _args_of(r):
    """An argument list; returns (input, args): the input is the arguments joined by spaces."""
    n = r.count(4)  # each argument takes 4 bytes at least
    if n == 0:
        raise WireError("empty argument list")
    args = [r.bytes() for _ in range(n)]
    return b" ".join(args), args


def _input_of(r, arg_lists):
    return _args_of(r) if arg_lists else (r.bytes(), None)


def _tasks_of(r, arg_lists):
    """(id, attempt, input, args) tuples; args is None in a `tasks` message."""
    items = []
    for _ in range(r.count(16)):
        task_id, attempt = r.u64(), r.u32()
        data, args = _input_of(r, arg_lists)
        if task_id == 0:
            raise WireError("task id 0")
        items.append((task_id, attempt, data, args))
    return items


def _results_of(r, arg_lists):
    items = []
    for _ in range(r.count(38)):
        item = {"id": r.u64(), "attempts": r.u32(), "status": r.u8()}
        flags = r.u8()
        exit_code = struct.unpack("<i", r.take(4))[0]
        item["duration_us"] = r.u64()
        item["input"], item["args"] = _input_of(r, arg_lists)
        item.update(output=r.bytes(), error=r.bytes())
        if item["id"] == 0:
            raise WireError("task id 0")
        if item["status"] > STATUS_TIMEOUT:
            raise WireError("unknown task status")
        if flags & ~(FLAG_EXIT_CODE | FLAG_TRUNCATED):
            raise WireError("unknown result flags")
        if not flags & FLAG_EXIT_CODE and exit_code != 0:
            raise WireError("exit code without its flag")
        item["exit_code"] = exit_code if flags & FLAG_EXIT_CODE else None
        item["truncated"] = bool(flags & FLAG_TRUNCATED)
        items.append(item)
    return items
