"""GNU-parallel-style placeholders, on bytes (docs/tasks.md, "Placeholders").

{} input (every argument, each quoted, joined by spaces), {#} task id, {%} slot,
{.} input without extension, {/} basename, {//} dirname, {/.} basename without extension,
and the positional {N} {-N} {N.} {N/} {N//} {N/.}. Any other {...} is left as written.
"""

import re

_SAFE = re.compile(rb"[A-Za-z0-9_@%+=:,./-]+")


def shell_quote_if_needed(value):
    """Single-quotes `value` unless it is non-empty and every byte is shell-safe."""
    if _SAFE.fullmatch(value):
        return value
    return b"'" + value.replace(b"'", b"'\\''") + b"'"


def remove_extension(path):
    dot = path.rfind(b".")
    if dot < 0 or b"/" in path[dot:]:
        return path
    return path[:dot]


def basename(path):
    return path[path.rfind(b"/") + 1:]


def dirname(path):
    """POSIX dirname: trailing slashes ignored; 'c' -> '.', '/c' -> '/', 'a/b/c' -> 'a/b'."""
    def strip(p):
        while len(p) > 1 and p.endswith(b"/"):
            p = p[:-1]
        return p

    p = strip(path)
    if p == b"":
        return b"."
    if p == b"/":
        return b"/"
    slash = p.rfind(b"/")
    if slash < 0:
        return b"."
    return strip(p[:slash + 1])


def _identity(data):
    return data


# Suffixes after a position (or none), checked in this order: "//" before "/", "/." before "/".
_MODIFIERS = [
    (b"", _identity),
    (b".", remove_extension),
    (b"//", dirname),
    (b"/.", lambda data: remove_extension(basename(data))),
    (b"/", basename),
]
_POSITIONAL = re.compile(rb"\{(-?)([0-9]{1,9})")


def _token_at(text, at):
    """The placeholder at text[at] == '{': (kind, position, transform, length) or None."""
    if text.startswith(b"{#}", at):
        return "id", 0, None, 3
    if text.startswith(b"{%}", at):
        return "slot", 0, None, 3
    m = _POSITIONAL.match(text, at)
    if m:
        position = int(m.group(2))
        if position == 0:
            return None
        kind, position, after = "one", -position if m.group(1) else position, m.end()
    elif text.startswith(b"{-", at):
        return None
    else:
        kind, position, after = "all", 0, at + 1
    for suffix, transform in _MODIFIERS:
        if text.startswith(suffix + b"}", after):
            return kind, position, transform, after + len(suffix) + 1 - at
    return None


def _all(args, transform, quote):
    return b" ".join(shell_quote_if_needed(transform(a)) if quote else transform(a) for a in args)


def _value(token, task, quote):
    kind, position, transform, _ = token
    if kind == "all":
        return _all(task.args, transform, quote)
    if kind == "id":
        return str(task.id).encode()
    if kind == "slot":
        return str(task.slot).encode()
    index = position - 1 if position > 0 else len(task.args) + position
    value = transform(task.args[index]) if 0 <= index < len(task.args) else b""
    return shell_quote_if_needed(value) if quote else value


class TaskArgs:
    """What placeholders stand for: {1} {2} ... (a one-input task has one: its input),
    {#} the task id, {%} the slot (1-based)."""

    def __init__(self, args, task_id, slot=1):
        self.args, self.id, self.slot = args, task_id, slot


def _expand(text, task, quote):
    """Returns (expanded text, whether a placeholder was seen)."""
    out = []
    found = False
    pos = 0
    while pos < len(text):
        brace = text.find(b"{", pos)
        if brace < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:brace])
        token = _token_at(text, brace)
        if token is None:
            out.append(b"{")
            pos = brace + 1
            continue
        found = True
        out.append(_value(token, task, quote))
        pos = brace + token[3]
    return b"".join(out), found


def expand_shell(command, task):
    expanded, found = _expand(command, task, quote=True)
    if not found:
        expanded += b" " + _all(task.args, _identity, True)
    return expanded


def expand_argv(argv, task):
    words = []
    found = False
    for word in argv:
        expanded, seen = _expand(word, task, quote=False)
        words.append(expanded)
        found = found or seen
    if not found:
        words.extend(task.args)
    return words
