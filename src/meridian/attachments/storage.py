"""Where attachment bytes live. Local disk today; an S3-compatible store implements
the same three methods."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Protocol

from meridian.config import get_settings
from meridian.core.ids import new_id


class Storage(Protocol):
    async def put(self, data: bytes, *, workspace_id: str) -> str: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key escapes the storage root")
        return path

    async def put(self, data: bytes, *, workspace_id: str) -> str:
        key = f"{workspace_id}/{new_id()}"
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)

        await asyncio.to_thread(write)
        return key

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)


def get_storage() -> Storage:
    return LocalStorage(get_settings().data_dir / "attachments")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
