"""New file contents that replace the old ones only when complete, and several files only together.

    with StagedFiles() as staged:
        write(staged.temporary(path_a))
        write(staged.temporary(path_b))
    # both renamed into place here; on any error neither target changed and no temporary is left

Or call publish() / discard() yourself, to publish later (after a database commit, say).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType


class StagedFiles:
    def __init__(self) -> None:
        self._renames: list[tuple[Path, Path]] = []  # (temporary, target), in staging order

    def temporary(self, target: Path) -> Path:
        """Where to write target's new content: beside it (same file system), as <name>.tmp."""
        tmp = target.with_name(target.name + ".tmp")
        self._renames.append((tmp, target))
        return tmp

    def publish(self) -> None:
        """Rename every staged file onto its target, in staging order; then remove any left over."""
        try:
            for tmp, target in self._renames:
                tmp.replace(target)
        finally:
            self.discard()

    def discard(self) -> None:
        """Delete the temporary files; the targets stay as they were."""
        for tmp, _ in self._renames:
            tmp.unlink(missing_ok=True)

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.publish()
        else:
            self.discard()
