"""Progress bars for the long steps of the trusted setup (rich, on stderr).

Library calls are silent unless given ``progress=True`` (the CLI passes it); a bar is a
context manager whose ``advance(n)`` moves it.
"""

from __future__ import annotations

import contextlib
import sys


class _Silent:
    def advance(self, n: int = 1) -> None:
        pass


@contextlib.contextmanager
def bar(description: str, total: int, enabled: bool):
    """A progress bar on stderr (no-op when ``enabled`` is false or stderr is not a terminal)."""
    if not enabled:
        yield _Silent()
        return
    try:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    except ImportError:  # rich is optional at run time
        yield _Silent()
        return
    console = Console(stderr=True, file=sys.stderr)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=False, disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=max(total, 1))

        class _Bar:
            def advance(self, n: int = 1) -> None:
                progress.advance(task, n)

        yield _Bar()
        progress.update(task, completed=max(total, 1))
