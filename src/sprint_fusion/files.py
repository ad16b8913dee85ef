"""Output files that never destroy a user's file: every output is checked before anything is
touched (an existing one is refused unless replacing was asked for), written under a temporary
name beside it and moved into place only when complete."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


class OutputExistsError(ValueError):
    """An output exists and replacing it was not asked for."""


def claim(paths, force: bool = False) -> None:
    """Refuse, before anything is written, an output that exists (unless force)."""
    for path in paths:
        if path is not None and Path(path).exists() and not force:
            raise OutputExistsError(f"{path} exists: choose another output, or --force to replace it")


@contextlib.contextmanager
def staged(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; moved onto `path` (replacing it) when the block
    ends without an error, removed when it fails."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    _remove(tmp)
    try:
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    if path.is_dir() and not path.is_symlink():  # a folder cannot be replaced in one step
        old = path.with_name(f".{path.name}.old")
        _remove(old)
        path.rename(old)
        tmp.rename(path)
        shutil.rmtree(old)
    else:
        os.replace(tmp, path)


def write_text(path: str | Path, text: str) -> None:
    with staged(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: str | Path, data: bytes) -> None:
    with staged(path) as tmp:
        tmp.write_bytes(data)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
