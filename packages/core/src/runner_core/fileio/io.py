"""``load`` / ``dump``: MMEngine's one call for json, yaml and pickle files and strings."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .errors import FileFormatError, MissingFormatError
from .formats import FORMATS, Format
from .local import check_local, get, get_text, put, put_text

__all__ = ["dump", "load"]


def _format(file: Any, file_format: str | None) -> Format:
    """The format named by ``file_format``, else by the file's extension."""
    if file_format is None and isinstance(file, str):
        file_format = file.split(".")[-1]
    found = FORMATS.get(file_format) if isinstance(file_format, str) else None
    if found is None:
        where = f" (for {file!r})" if isinstance(file, str) else ""
        raise FileFormatError(
            f"Unsupported format: {file_format}{where}. load and dump know "
            f"{', '.join(FORMATS)}: name the file with one of these extensions or pass "
            "file_format='json' (or 'yaml', 'pkl')."
        )
    return found


def load(
    file: str | Path | Any,
    file_format: str | None = None,
    file_client_args: dict[str, Any] | None = None,
    backend_args: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """The data in a json/yaml/pickle file: a local path (``str``/``Path``) or an open file.

    The format is the extension's unless ``file_format`` says; ``kwargs`` go to
    ``json.load`` / ``yaml.load`` / ``pickle.load``.
    """
    if isinstance(file, Path):
        file = str(file)
    handler = _format(file, file_format)
    if isinstance(file, str):
        check_local(file, backend_args, file_client_args)
        if handler.text:
            with io.StringIO(get_text(file)) as f:
                return handler.load(f, **kwargs)
        with io.BytesIO(get(file)) as f:
            return handler.load(f, **kwargs)
    if hasattr(file, "read"):
        check_local("<file object>", backend_args, file_client_args)
        return handler.load(file, **kwargs)
    raise FileFormatError(
        f'"file" must be a filepath str or a file-object, got {type(file).__name__} {file!r:.80}.'
    )


def dump(
    obj: Any,
    file: str | Path | Any | None = None,
    file_format: str | None = None,
    file_client_args: dict[str, Any] | None = None,
    backend_args: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Write ``obj`` as json/yaml/pickle to a local path or an open file; no file: return it.

    With ``file=None`` the result is returned (``str``; ``bytes`` for pickle)
    and ``file_format`` is required; otherwise the format is the extension's
    unless ``file_format`` says, the folder is created, and None is returned.
    ``kwargs`` go to ``json.dump`` / ``yaml.dump`` / ``pickle.dump``.
    """
    if isinstance(file, Path):
        file = str(file)
    if file is None and file_format is None:
        raise MissingFormatError(
            "file_format must be specified since file is None: dump(obj, file_format='json') "
            "returns the text, dump(obj, 'out.json') writes the file."
        )
    handler = _format(file, file_format)
    if file is None:
        check_local("<string>", backend_args, file_client_args)
        return handler.dumps(obj, **kwargs)
    if isinstance(file, str):
        check_local(file, backend_args, file_client_args)
        if handler.text:
            with io.StringIO() as f:
                handler.dump(obj, f, **kwargs)
                put_text(f.getvalue(), file)
        else:
            with io.BytesIO() as b:
                handler.dump(obj, b, **kwargs)
                put(b.getvalue(), file)
        return None
    if hasattr(file, "write"):
        check_local("<file object>", backend_args, file_client_args)
        handler.dump(obj, file, **kwargs)
        return None
    raise FileFormatError(
        f'"file" must be a filename str or a file-object, got {type(file).__name__} {file!r:.80}.'
    )
