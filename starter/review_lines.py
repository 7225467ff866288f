"""`conduct review`'s lines for clocks given more time and clocks that lapsed before they started
afresh: an extension is shown as such, with its reason, and a lapse stays counted (issue 14)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starter import output
from starter.output import esc

if TYPE_CHECKING:
    from conduct.reports import ClockLine


def print_lapses_and_extensions(lines: list[ClockLine]) -> None:
    console = output.out()
    lapsed = [line for line in lines if line.lapsed_before]
    if lapsed:
        console.print(f"Lapsed before the clock started afresh or was extended ({len(lapsed)}):")
        for line in lapsed:
            dues = ", ".join(d.isoformat() for d in line.lapsed_before)
            console.print(f"  {esc(line.reference)} {line.clock.value} lapsed when due {dues}", soft_wrap=True)
    extended = [line for line in lines if line.extensions]
    if extended:
        console.print(f"Extended by the Monitoring Officer ({len(extended)}):")
        for line in extended:
            for extension in line.extensions:
                console.print(f"  {esc(line.reference)} {line.clock.value} extended {esc(extension)}", soft_wrap=True)
