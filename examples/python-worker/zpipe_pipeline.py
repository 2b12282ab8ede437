"""What a worker needs from a zpipe pipeline file (docs/fingerprint.md): the task, the
endpoints, the heartbeat, the workers section; and the task fingerprint.

YAML scalars count as written: the file is composed into nodes (yaml.BaseLoader resolves
no types), so `1.50` stays the text "1.50". A plain `~`, `null`, `Null`, `NULL` or an empty
value is a null, which zpipe refuses where it wants a string.
"""

import re
import struct

import yaml


class PipelineError(ValueError):
    pass


SHELL, ARGV, BUILTIN = 0, 1, 2
BUILTINS = ["noop", "echo", "sleep", "spin", "sha256"]  # numbered 0..4 in this order

DAY_MS = 24 * 3600 * 1000
U32_MAX = 2 ** 32 - 1
NULLS = ("", "~", "null", "Null", "NULL")


class TaskSpec:
    def __init__(self):
        self.kind = SHELL
        self.shell = b""
        self.argv = []
        self.builtin = 0
        self.ms = None
        self.us = None
        self.rounds = 1
        self.timeout_ms = 0
        self.retries = 0
        self.max_output = 1 << 20

    @property
    def builtin_name(self):
        return BUILTINS[self.builtin]


class Pipeline:
    def __init__(self):
        self.task = TaskSpec()
        self.ventilator = "tcp://127.0.0.1:5557"
        self.sink = "tcp://127.0.0.1:5558"
        self.heartbeat_ms = 1000
        self.liveness = 5
        self.slots = 1
        self.prefetch = 0
        self.name = ""
        self.grace_ms = 30000


# --- YAML nodes as Python values --------------------------------------------------------

def _value(node):
    """Scalar -> str (None for a plain null), sequence -> list, mapping -> list of pairs."""
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and node.value in NULLS:
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_value(n) for n in node.value]
    return [(_value(k), _value(v)) for k, v in node.value]


def _map(value, path, allowed):
    if value is None:
        return {}
    if not isinstance(value, list) or any(not isinstance(p, tuple) for p in value):
        raise PipelineError(f"{path or 'the top level'}: expected a map")
    out = {}
    for key, val in value:
        where = f"{path}.{key}" if path else str(key)
        if not isinstance(key, str):
            raise PipelineError(f"{path}: expected a key name")
        if key in out:
            raise PipelineError(f"duplicate key '{where}'")
        if key not in allowed:
            raise PipelineError(f"unknown key '{where}'")
        out[key] = val
    return out


def _string(value, path, allow_empty=False):
    if not isinstance(value, str):
        raise PipelineError(f"{path}: expected a string")
    if not allow_empty and value == "":
        raise PipelineError(f"{path}: must not be empty")
    return value


def parse_uint(value, path, lo=0, hi=2 ** 64 - 1):
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]+", value):
        raise PipelineError(f"{path}: expected a non-negative integer, got {value!r}")
    n = int(value)
    if n > hi:
        raise PipelineError(f"{path}: {value} is too large (at most {hi})")
    if n < lo:
        raise PipelineError(f"{path}: must be at least {lo}, got {value}")
    return n


def _number_and_unit(text):
    m = re.fullmatch(r"[ \t]*([0-9]+)[ \t]*(.*?)[ \t]*", text, re.S)
    return (int(m.group(1)), m.group(2)) if m else (None, None)


def parse_duration_ms(value, path):
    """500ms, 30s, 5m, 1h; a bare number is seconds; at most 8760h."""
    if not isinstance(value, str):
        raise PipelineError(f"{path}: expected a duration")
    number, unit = _number_and_unit(value)
    scale = {"ms": 1, "s": 1000, "": 1000, "m": 60000, "h": 3600000}.get(unit)
    if number is None or scale is None:
        raise PipelineError(f"{path}: '{value}' is not a duration")
    if number > 365 * 24 * 3600000 // scale:
        raise PipelineError(f"{path}: '{value}' is too large (at most 8760h)")
    return number * scale


def parse_size(value, path, hi):
    """Bytes, or a number with B, KB, KiB, MB, MiB, GB, GiB (case-insensitive)."""
    if not isinstance(value, str):
        raise PipelineError(f"{path}: expected a size")
    number, unit = _number_and_unit(value)
    scales = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000 ** 2, "mib": 1024 ** 2,
              "gb": 1000 ** 3, "gib": 1024 ** 3}
    scale = scales.get(unit.lower()) if unit is not None else None
    if number is None or scale is None:
        raise PipelineError(f"{path}: '{value}' is not a size")
    if number * scale > hi:
        raise PipelineError(f"{path}: '{value}' is too large")
    return number * scale


# --- the sections -------------------------------------------------------------------------

def _task(value):
    keys = ["shell", "argv", "builtin", "use_shell", "ms", "us", "rounds", "timeout", "retries", "max_output"]
    m = _map(value, "task", keys)
    kinds = [k for k in ("shell", "argv", "builtin") if k in m]
    if len(kinds) != 1:
        raise PipelineError("task: give exactly one of shell, argv, builtin")
    t = TaskSpec()
    if "shell" in m:
        t.kind, t.shell = SHELL, _string(m["shell"], "task.shell").encode()
    elif "argv" in m:
        words = m["argv"]
        if not isinstance(words, list) or not words or any(isinstance(w, tuple) for w in words):
            raise PipelineError("task.argv: expected a non-empty list of strings")
        t.kind = ARGV
        t.argv = [_string(w, f"task.argv[{i}]", allow_empty=i > 0).encode() for i, w in enumerate(words)]
    else:
        name = _string(m["builtin"], "task.builtin")
        if name not in BUILTINS:
            raise PipelineError(f"task.builtin: unknown builtin '{name}'")
        t.kind, t.builtin = BUILTIN, BUILTINS.index(name)
    # use_shell: auto lets a worker skip /bin/sh when the record is the same; this worker
    # always runs /bin/sh, which is right for both values. Not part of the fingerprint.
    if "use_shell" in m:
        if t.kind != SHELL:
            raise PipelineError("task.use_shell: only valid with 'shell'")
        if _string(m["use_shell"], "task.use_shell") not in ("auto", "always"):
            raise PipelineError("task.use_shell: expected 'auto' or 'always'")
    for key, owner in (("ms", "sleep"), ("us", "spin"), ("rounds", "sha256")):
        if key in m and (t.kind != BUILTIN or t.builtin_name != owner):
            raise PipelineError(f"task.{key}: only valid with 'builtin: {owner}'")
    if "ms" in m:
        t.ms = parse_uint(m["ms"], "task.ms", 0, DAY_MS)
    if "us" in m:
        t.us = parse_uint(m["us"], "task.us", 0, DAY_MS * 1000)
    if "rounds" in m:
        t.rounds = parse_uint(m["rounds"], "task.rounds", 1, U32_MAX)
    if "timeout" in m:
        t.timeout_ms = parse_duration_ms(m["timeout"], "task.timeout")
    if "retries" in m:
        t.retries = parse_uint(m["retries"], "task.retries", 0, U32_MAX)
    if "max_output" in m:
        t.max_output = parse_size(m["max_output"], "task.max_output", 1 << 30)
    return t


def load(path):
    """Loads the parts of a pipeline file a worker uses. Raises PipelineError."""
    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError as e:
        raise PipelineError(f"{path}: cannot read: {e.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as e:
        raise PipelineError(f"{path}: YAML syntax error: {e}") from None
    if node is None:
        raise PipelineError(f"{path}: empty pipeline file")
    top = _map(_value(node), "", ["version", "name", "source", "task", "ventilator", "sink",
                                   "workers", "halt", "resume"])
    version = top.get("version")
    if not isinstance(version, str) or not re.fullmatch(r"-?[0-9]+", version) or int(version) != 1:
        raise PipelineError(f"{path}: version: unsupported version {version} (this worker reads version 1)")
    for key in ("name", "source", "task"):
        if key not in top:
            raise PipelineError(f"{path}: missing required key '{key}'")
    p = Pipeline()
    p.task = _task(top["task"])
    vent = _map(top.get("ventilator"), "ventilator", ["endpoint", "bind", "window", "heartbeat", "liveness"])
    p.ventilator = _string(vent.get("endpoint", p.ventilator), "ventilator.endpoint")
    if "heartbeat" in vent:
        p.heartbeat_ms = parse_duration_ms(vent["heartbeat"], "ventilator.heartbeat")
        if not 0 < p.heartbeat_ms <= 3600000:
            raise PipelineError("ventilator.heartbeat: must be greater than 0 and at most 1h")
    if "liveness" in vent:
        p.liveness = parse_uint(vent["liveness"], "ventilator.liveness", 1, 1000)
    sink = _map(top.get("sink"), "sink", ["endpoint", "bind", "output", "summary", "ordered", "fsync"])
    p.sink = _string(sink.get("endpoint", p.sink), "sink.endpoint")
    workers = _map(top.get("workers"), "workers", ["count", "slots", "prefetch", "name", "grace"])
    if "slots" in workers:
        p.slots = parse_uint(workers["slots"], "workers.slots", 1, U32_MAX)
    if "prefetch" in workers:
        p.prefetch = parse_uint(workers["prefetch"], "workers.prefetch", 0, U32_MAX)
    if "name" in workers:
        p.name = _string(workers["name"], "workers.name", allow_empty=True)
    if "grace" in workers:
        p.grace_ms = parse_duration_ms(workers["grace"], "workers.grace")
    return p


# --- the task fingerprint ---------------------------------------------------------------------

def canonical_bytes(t):
    """The bytes the fingerprint hashes (docs/fingerprint.md)."""
    def string(b):
        return struct.pack("<Q", len(b)) + b

    def optional(v):
        return struct.pack("<BQ", 0 if v is None else 1, v or 0)

    out = string(b"zpipe-task/1") + struct.pack("<B", t.kind)
    if t.kind == SHELL:
        out += string(t.shell)
    elif t.kind == ARGV:
        out += struct.pack("<Q", len(t.argv)) + b"".join(string(w) for w in t.argv)
    else:
        out += struct.pack("<B", t.builtin) + optional(t.ms) + optional(t.us) + struct.pack("<I", t.rounds)
    return out + struct.pack("<QIQ", t.timeout_ms, t.retries, t.max_output)


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def fingerprint(t):
    return fnv1a64(canonical_bytes(t))
