"""Officer and complaint text printed by `conduct` cannot drive the officer's terminal (issue 13):
control and escape characters are stripped before any terminal output, and JSON output keeps the
data whole but writes those characters as escapes."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from starter.output import Exit, done, emit_json, esc, fail, handled, out, printable

# clear the screen, retitle the window, a one-byte CSI, a carriage return hiding what came before,
# a backspace, DEL, and a right-to-left override
HOSTILE = "Ms Shah\x1b[2J\x1b]0;pwned\x07 said\r\x9b31m ok\x08\x7f \u202egnp.exe"
CONTROLS = ["\x1b", "\x07", "\r", "\x9b", "\x08", "\x7f", "\u202e"]


def test_printable_strips_control_and_escape_characters() -> None:
    cleaned = printable(HOSTILE)
    assert not any(c in cleaned for c in CONTROLS)
    assert cleaned == "Ms Shah[2J]0;pwned said31m ok gnp.exe"
    assert (
        printable("two\nlines\tand a tab, emoji 👍🏽 and a ‍joiner") == "two\nlines\tand a tab, emoji 👍🏽 and a ‍joiner"
    )
    assert printable(None) == ""


def _run(command: typer.models.CommandFunctionType) -> str:  # type: ignore[name-defined]
    app = typer.Typer()
    app.command()(command)
    app.command("other")(lambda: None)  # two commands: the first is called by name
    result = CliRunner().invoke(app, ["main"])
    return result.output


@pytest.mark.parametrize("how", ["done", "print", "error", "json"])
def test_officer_text_reaches_the_terminal_without_control_characters(how: str) -> None:
    @handled
    def main() -> None:
        if how == "done":
            done(f"withdrawal recorded: {HOSTILE}", warnings=[HOSTILE])
        elif how == "print":
            out().print(f"Reasons: {esc(HOSTILE)}", soft_wrap=True)
        elif how == "error":
            fail(Exit.REFUSED, f"refused: {HOSTILE}")
        else:
            emit_json({"note": HOSTILE})

    output = _run(main)
    assert "Ms Shah" in output and "gnp.exe" in output
    assert not any(c in output for c in CONTROLS), repr(output)
    if how == "json":
        assert json.loads(output) == {"note": HOSTILE}  # the data is whole, only written as escapes
