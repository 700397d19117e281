"""A role's local state folder (``--home DIR``): keys, salts, receipts, as plain files.

Each party of a study (data holder, key holder) keeps what must never leave its machine in
its own home folder.  The folder is created with permission 0700, secrets are written 0600,
every write goes to a temporary file that replaces the target atomically (a crash leaves the
old file or the new one, never half of one), and a missing or damaged file raises
:class:`RoleHomeError` naming the file and what to do.

``role.json`` marks the folder with its role (``holder`` or ``keyholder``) and format
version, so that a key holder's folder is never mistaken for a hospital's.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from zkgate import safejson
from zkgate.errors import FormatError, ZkgateError
from zkgate.fileio import PUBLIC_FILE_MODE, SECRET_FILE_MODE, atomic_write

HOME_VERSION = 1
MARKER = "role.json"
SECRET_MODE = SECRET_FILE_MODE
PUBLIC_MODE = PUBLIC_FILE_MODE
FOLDER_MODE = 0o700


class RoleHomeError(ZkgateError):
    """A home folder is missing, belongs to another role, or holds a file that cannot be read."""


class CorruptStateError(RoleHomeError, FormatError):
    """A file in a home folder exists but does not decode (damaged, truncated or edited)."""


def write_file(path: Path, data: bytes, *, secret: bool) -> None:
    """Write ``data`` atomically (zkgate.fileio.atomic_write) with 0600 for secrets, 0644 otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    atomic_write(path, data, mode=SECRET_MODE if secret else PUBLIC_MODE)


def write_json(path: Path, obj, *, secret: bool = False) -> None:
    write_file(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode(), secret=secret)


@dataclass(frozen=True)
class RoleHome:
    """An opened home folder of one role."""

    path: Path
    role: str
    info: dict

    # -- creation and opening ---------------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike, role: str, info: dict) -> RoleHome:
        """A new home: refuses a folder that already holds one (keys are never overwritten)."""
        folder = Path(path)
        if (folder / MARKER).exists():
            raise RoleHomeError(f"{folder} already holds a zkgate home ({folder / MARKER}); "
                                "use another --home, or delete the folder to start over (its keys are lost)")
        if folder.exists() and not folder.is_dir():
            raise RoleHomeError(f"{folder} exists and is not a folder")
        folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        os.chmod(folder, FOLDER_MODE)
        marker = {"role": role, "version": HOME_VERSION, **info}
        write_json(folder / MARKER, marker)
        return cls(folder, role, marker)

    @classmethod
    def open(cls, path: str | os.PathLike, role: str, init_hint: str) -> RoleHome:
        """Open an existing home of ``role``; ``init_hint`` is the command that creates one."""
        folder = Path(path)
        marker_path = folder / MARKER
        if not marker_path.exists():
            what = "does not exist" if not folder.exists() else f"holds no {MARKER}"
            raise RoleHomeError(f"{folder} {what}: it is not a {role} home; create one with `{init_hint}`")
        try:
            marker = safejson.loads(marker_path.read_bytes(), str(marker_path))
        except (OSError, FormatError) as exc:
            raise CorruptStateError(f"{marker_path}: cannot read the home's marker ({exc})") from exc
        if not isinstance(marker, dict) or marker.get("role") != role:
            found = marker.get("role") if isinstance(marker, dict) else None
            raise RoleHomeError(f"{folder} is a {found or 'unknown'} home, not a {role} home (field 'role' of {marker_path})")
        if marker.get("version") != HOME_VERSION:
            raise CorruptStateError(
                f"{marker_path}: field 'version' is {marker.get('version')!r}; this zkgate reads version {HOME_VERSION}"
            )
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & 0o077:
            raise RoleHomeError(f"{folder} is readable by other users (mode {mode:o}); its secrets need "
                                f"`chmod 700 {folder}`")
        return cls(folder, role, marker)

    # -- files -------------------------------------------------------------------------------
    def file(self, *parts: str) -> Path:
        return self.path.joinpath(*parts)

    def write_secret(self, relative: str, data: bytes) -> Path:
        path = self.file(relative)
        write_file(path, data, secret=True)
        return path

    def write_public(self, relative: str, data: bytes) -> Path:
        path = self.file(relative)
        write_file(path, data, secret=False)
        return path

    def read(self, relative: str, what: str, *, secret: bool = False, missing_hint: str = "") -> bytes:
        """The bytes of a file of this home; a secret readable by others is refused."""
        path = self.file(relative)
        try:
            if secret:
                mode = stat.S_IMODE(path.stat().st_mode)
                if mode & 0o077:
                    raise RoleHomeError(f"{path} ({what}) is readable by other users (mode {mode:o}): "
                                        f"`chmod 600 {path}`, and consider the secret exposed")
            return path.read_bytes()
        except FileNotFoundError:
            hint = f"; {missing_hint}" if missing_hint else ""
            raise RoleHomeError(f"{path} ({what}) is missing{hint}") from None
        except OSError as exc:
            raise RoleHomeError(f"{path} ({what}): {exc.strerror}") from exc

    def read_json(self, relative: str, what: str, missing_hint: str = "") -> dict:
        path = self.file(relative)
        data = self.read(relative, what, missing_hint=missing_hint)
        try:
            obj = safejson.loads(data, f"{path} ({what})")  # bounded depth and number sizes
        except FormatError as exc:
            raise CorruptStateError(f"{path} ({what}): not valid JSON ({exc})") from exc
        if not isinstance(obj, dict):
            raise CorruptStateError(f"{path} ({what}): expected a JSON object")
        return obj

    def decode(self, relative: str, what: str, decoder, *, secret: bool = False, missing_hint: str = ""):
        """Read a file and decode it with ``decoder(bytes)``; a decoding error names the file."""
        data = self.read(relative, what, secret=secret, missing_hint=missing_hint)
        try:
            return decoder(data)
        except ZkgateError as exc:
            raise CorruptStateError(f"{self.file(relative)} ({what}) is damaged: {exc}") from exc
        except (ValueError, TypeError) as exc:
            raise CorruptStateError(f"{self.file(relative)} ({what}) is damaged: {exc}") from exc


def field_of(obj: dict, name: str, kind: type, path: Path):
    """``obj[name]`` checked to be of ``kind``; the error names the file and the field."""
    value = obj.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise CorruptStateError(f"{path}: field {name!r} is missing or not a {kind.__name__}")
    return value


__all__ = ["CorruptStateError", "RoleHome", "RoleHomeError", "field_of", "write_file", "write_json"]
