"""GNU-parallel-style placeholders, on bytes (docs/tasks.md, "Placeholders").

{} input, {#} task id, {.} input without extension, {/} basename, {//} dirname,
{/.} basename without extension. Any other {...} is left as written.
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


_TOKENS = [
    (b"{}", lambda data, task_id: data),
    (b"{#}", lambda data, task_id: str(task_id).encode()),
    (b"{.}", lambda data, task_id: remove_extension(data)),
    (b"{/}", lambda data, task_id: basename(data)),
    (b"{//}", lambda data, task_id: dirname(data)),
    (b"{/.}", lambda data, task_id: remove_extension(basename(data))),
]


def _expand(text, data, task_id, quote):
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
        for token, value in _TOKENS:
            if text.startswith(token, brace):
                found = True
                v = value(data, task_id)
                out.append(shell_quote_if_needed(v) if quote else v)
                pos = brace + len(token)
                break
        else:
            out.append(b"{")
            pos = brace + 1
    return b"".join(out), found


def expand_shell(command, data, task_id):
    expanded, found = _expand(command, data, task_id, quote=True)
    if not found:
        expanded += b" " + shell_quote_if_needed(data)
    return expanded


def expand_argv(argv, data, task_id):
    words = []
    found = False
    for word in argv:
        expanded, seen = _expand(word, data, task_id, quote=False)
        words.append(expanded)
        found = found or seen
    if not found:
        words.append(data)
    return words
