"""``load`` / ``dump``: MMEngine's one call for json, yaml, pickle and registered formats.

The format's handler comes from :data:`.handlers.file_handlers` (so
``@register_handler('txt')`` adds one); a path is read and written through
its storage backend, as ``fileio.get``/``put`` do.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .errors import FileFormatError, MissingFormatError
from .handlers import BaseFileHandler, file_handlers
from .local import backend_for, check_backend_args

__all__ = ["dump", "load"]


def _handler(file: Any, file_format: str | None) -> BaseFileHandler:
    """The handler named by ``file_format``, else by the file's extension."""
    if file_format is None and isinstance(file, str):
        file_format = file.split(".")[-1]
    found = file_handlers.get(file_format) if isinstance(file_format, str) else None
    if found is None:
        where = f" (for {file!r})" if isinstance(file, str) else ""
        raise FileFormatError(
            f"Unsupported format: {file_format}{where}. load and dump know "
            f"{', '.join(file_handlers)}: name the file with one of these extensions, pass "
            "file_format='json' (or 'yaml', 'pkl'), or register a handler for the format with "
            "@register_handler."
        )
    return found


def load(
    file: str | Path | Any,
    file_format: str | None = None,
    file_client_args: dict[str, Any] | None = None,
    backend_args: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """The data in a json/yaml/pickle (or registered format) file: a path or an open file.

    The format is the extension's unless ``file_format`` says; ``kwargs`` go to
    the handler's ``load_from_fileobj`` (``json.load``, ``yaml.load``, ...).
    """
    if isinstance(file, Path):
        file = str(file)
    handler = _handler(file, file_format)
    if isinstance(file, str):
        backend = backend_for(file, backend_args, file_client_args)
        if handler.str_like:
            with io.StringIO(backend.get_text(file)) as f:
                return handler.load_from_fileobj(f, **kwargs)
        with io.BytesIO(backend.get(file)) as f:
            return handler.load_from_fileobj(f, **kwargs)
    check_backend_args("<file object>", backend_args, file_client_args)
    if hasattr(file, "read"):
        return handler.load_from_fileobj(file, **kwargs)
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
    """Write ``obj`` as json/yaml/pickle (or a registered format) to a path or an open file.

    With ``file=None`` the result is returned (``str``; ``bytes`` for pickle)
    and ``file_format`` is required; otherwise the format is the extension's
    unless ``file_format`` says, a local folder is created, and None is
    returned. ``kwargs`` go to the handler (``json.dump``, ``yaml.dump``, ...).
    """
    if isinstance(file, Path):
        file = str(file)
    if file is None and file_format is None:
        raise MissingFormatError(
            "file_format must be specified since file is None: dump(obj, file_format='json') "
            "returns the text, dump(obj, 'out.json') writes the file."
        )
    handler = _handler(file, file_format)
    if isinstance(file, str):
        backend = backend_for(file, backend_args, file_client_args)
        if handler.str_like:
            with io.StringIO() as f:
                handler.dump_to_fileobj(obj, f, **kwargs)
                backend.put_text(f.getvalue(), file)
        else:
            with io.BytesIO() as b:
                handler.dump_to_fileobj(obj, b, **kwargs)
                backend.put(b.getvalue(), file)
        return None
    check_backend_args(
        "<string>" if file is None else "<file object>", backend_args, file_client_args
    )
    if file is None:
        return handler.dump_to_str(obj, **kwargs)
    if hasattr(file, "write"):
        handler.dump_to_fileobj(obj, file, **kwargs)
        return None
    raise FileFormatError(
        f'"file" must be a filename str or a file-object, got {type(file).__name__} {file!r:.80}.'
    )
