"""Which words of a `conduct` command line name files, found by parsing it with the command's own
parameters (a `pathlib.Path` value): the CLI, as the officers' API's client, sends the files it
reads and receives the files a command writes; the API refuses a path that did not come that way,
so nobody can make it read or write a file on the server by naming one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

# A Path parameter by these names is where a command writes: a folder (`evidence --to DIR`) or a
# file (`group-reports ... --output FILE`). Every other Path parameter is a file the command reads.
OUTPUT_FOLDERS = frozenset({"to"})
OUTPUT_FILES = frozenset({"output", "out"})


class FileWord(BaseModel):
    index: int  # in the normalised command line
    output: bool = False
    folder: bool = False


class CommandLine(BaseModel):
    names: list[str]  # the command and its groups, e.g. ["roster", "import"]
    argv: list[str]  # `--opt=value` split in two where it names a file
    files: list[FileWord]


def _leaf(argv: list[str]) -> tuple[list[str], Any, Any]:
    from starter.api.runner import conduct_command

    group: Any = conduct_command()
    ctx = group.make_context("conduct", list(argv), resilient_parsing=True)
    rest = [*ctx._protected_args, *ctx.args]
    command, names = group, []
    while hasattr(command, "resolve_command") and rest:
        name, command, rest = command.resolve_command(ctx, rest)
        names.append(name)
        if hasattr(command, "resolve_command"):
            ctx = command.make_context(name, rest, parent=ctx, resilient_parsing=True)
            rest = [*ctx._protected_args, *ctx.args]
    if not names or hasattr(command, "resolve_command"):
        return names, None, None
    return names, command, command.make_context(names[-1], rest, parent=ctx, resilient_parsing=True)


def parse(argv: list[str]) -> CommandLine:
    """The command named and the words that are files; a line that does not parse names no files
    (the command itself then says what is wrong with it)."""
    try:
        names, command, ctx = _leaf(argv)
    except Exception:  # noqa: BLE001 - usage errors are the command's to report
        return CommandLine(names=[], argv=list(argv), files=[])
    words = list(argv)
    files: list[FileWord] = []
    if command is None:
        return CommandLine(names=names, argv=words, files=files)
    start = _after_names(words, names)
    for param in command.params:
        value = ctx.params.get(param.name)
        values = value if isinstance(value, list | tuple) else [value]
        if not any(isinstance(v, Path) for v in values):
            continue
        output, folder = param.name in OUTPUT_FOLDERS | OUTPUT_FILES, param.name in OUTPUT_FOLDERS
        for index in _positions(words, start, param, [v for v in values if isinstance(v, Path)]):
            files.append(FileWord(index=index, output=output, folder=folder))
    return CommandLine(names=names, argv=words, files=sorted(files, key=lambda f: f.index))


def _after_names(words: list[str], names: list[str]) -> int:
    at = 0
    for name in names:
        while at < len(words) and words[at] != name:
            at += 1
        at += 1
    return min(at, len(words))


def _positions(words: list[str], start: int, param: Any, values: list[Path]) -> list[int]:
    """Where `param`'s values are in `words` (an option's `--opt=value` is split in two, in place)."""
    opts = [o for o in param.opts + list(getattr(param, "secondary_opts", [])) if o.startswith("-")]
    found: list[int] = []
    if opts:
        at = start
        while at < len(words):
            word = words[at]
            glued = next((o for o in opts if word.startswith(o + "=")), None)
            if glued is not None:
                words[at : at + 1] = [glued, word[len(glued) + 1 :]]
                word = glued
            if word == "--":
                break
            if word in opts and at + 1 < len(words):
                found.append(at + 1)
                at += 2
                continue
            at += 1
        return found
    wanted = list(values)
    for at in range(start, len(words)):
        if wanted and not words[at].startswith("-") and Path(words[at]) == wanted[0]:
            found.append(at)
            wanted.pop(0)
    return found
