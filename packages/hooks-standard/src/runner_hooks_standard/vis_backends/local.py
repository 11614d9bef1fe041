"""``LocalVisBackend``: scalars as JSON lines, images as PNG and the config, in the run folder."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from runner_core.errors import RunnerError
from runner_core.visualization.vis_backend import BaseVisBackend

#: Records are flushed at most this often (and at every close/flush), so logging
#: does not pay a write per record; a killed process loses at most this long.
FLUSH_SECONDS = 1.0


class ScalarFileError(RunnerError, AssertionError, ValueError):
    """An ``add_scalars`` ``file_path`` MMEngine's ``LocalVisBackend`` refuses (it asserts)."""


def to_plain(value: Any) -> Any:
    """A JSON-ready copy of ``value``: tensors and numpy numbers become Python numbers."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    tolist = getattr(value, "tolist", None)  # tensors and numpy values
    if tolist is not None:
        return tolist()
    return str(value)


class LocalVisBackend(BaseVisBackend):
    """Write scalars to ``<save_dir>/<scalar_save_file>``, one JSON object per line.

    Each ``add_scalars`` call appends one record (the scalars plus ``step``);
    records are flushed with the first record a second or more after the last
    flush, before every checkpoint save, and at ``close``/``flush`` (the Runner
    closes the visualizer when a run ends, also on an error), so a plotting
    script can read the file while training runs, and a killed process loses
    only records newer than its last checkpoint, which the resumed run logs
    again. Folders and files are
    created at the first write, so ranks that never write leave nothing.

    Args:
        save_dir: the folder (the Runner passes ``<run folder>/vis_data``).
        img_save_dir: sub-folder of ``save_dir`` for ``add_image``'s PNG files.
        scalar_save_file: file name of the scalar records.
        config_save_file: file name the config is written to (once).
    """

    def __init__(
        self,
        save_dir: str | os.PathLike[str] | None,
        img_save_dir: str = "vis_image",
        config_save_file: str = "config.py",
        scalar_save_file: str = "scalars.json",
    ) -> None:
        for name, value, suffix, holds in (
            ("config_save_file", config_save_file, ".py", "the config, dumped as Python"),
            ("scalar_save_file", scalar_save_file, ".json", "JSON lines"),
        ):  # MMEngine asserts both when built; refused before anything runs, not at a write
            if not str(value).endswith(suffix):
                from runner_core.errors import ConfigAssertionError

                raise ConfigAssertionError(
                    f"LocalVisBackend({name}={value!r}): the file holds {holds}, so its name "
                    f"must end with {suffix!r}, e.g. {name}='{Path(str(value)).stem}{suffix}'."
                )
        super().__init__(save_dir)  # sets save_dir through _save_dir
        self.img_save_dir = img_save_dir
        self.scalar_save_file = scalar_save_file
        self.config_save_file = config_save_file
        # open files by the add_scalars file_path they serve (None: scalar_save_file), so a
        # record costs no path arithmetic
        self._files: dict[str | None, IO[str]] = {}
        self._flushed_at = float("-inf")

    # MMEngine's private names, which OpenMMLab inferencers set to redirect the images
    @property
    def _save_dir(self) -> str:
        return str(self.save_dir)

    @_save_dir.setter
    def _save_dir(self, save_dir: str | os.PathLike[str] | None) -> None:
        if save_dir is None:
            from runner_core.errors import BuildError

            raise BuildError(
                "LocalVisBackend needs save_dir: build it through the Runner's visualizer "
                "(which passes <run folder>/vis_data) or give save_dir='...'."
            )
        self.save_dir = Path(save_dir)
        if getattr(self, "_files", None):  # scalar files reopen under the new folder
            self.close()

    @property
    def _img_save_dir(self) -> str:
        return self.img_save_dir

    @_img_save_dir.setter
    def _img_save_dir(self, img_save_dir: str) -> None:
        self.img_save_dir = img_save_dir

    @property
    def _scalar_save_file(self) -> str:
        """MMEngine's attribute: the scalar file's full path."""
        return str(self.scalar_path)

    @property
    def _config_save_file(self) -> str:
        """MMEngine's attribute: the config file's full path."""
        return str(self.save_dir / self.config_save_file)

    @property
    def scalar_path(self) -> Path:
        return self.save_dir / self.scalar_save_file

    @property
    def experiment(self) -> LocalVisBackend:
        """The backend itself (MMEngine's ``LocalVisBackend.experiment``)."""
        return self

    def add_image(self, name: str, image: Any, step: int = 0, **kwargs: Any) -> None:
        """Write ``image`` (see ``Visualizer.add_image``) to ``<img_save_dir>/<name>_<step>.png``."""
        from runner_core.visualization.png import encode_png

        path = self.save_dir / self.img_save_dir / f"{name}_{int(step)}.png"
        # a name with '/' ('val/img', TensorBoard's grouping) writes into a subfolder
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode_png(image))

    def _file(self, file_path: str | None) -> IO[str]:
        fh = self._files.get(file_path)
        if fh is None:  # the first record for this name: check it, share a file's handle
            path = os.path.abspath(self.scalar_path)
            if file_path is not None:
                path = self._extra_path(file_path, path)
            fh = next((f for f in self._files.values() if f.name == path), None)
            if fh is None:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                fh = open(path, "a", encoding="utf-8")
            self._files[file_path] = fh
        return fh

    def _extra_path(self, file_path: str, scalar_path: str) -> str:
        """MMEngine's rules: a ``.json`` file, relative to ``save_dir``, not the scalar file."""
        path = os.path.abspath(os.path.join(self.save_dir, file_path))
        if not str(file_path).endswith(".json"):
            raise ScalarFileError(
                f"LocalVisBackend.add_scalars(file_path={file_path!r}): the records are JSON "
                "lines, so file_path must name a .json file (e.g. the LoggerHook's "
                "json_log_path, '<timestamp>.json')."
            )
        if path == scalar_path:
            raise ScalarFileError(
                f"LocalVisBackend.add_scalars(file_path={file_path!r}) names the scalar file "
                f"itself ({self.scalar_save_file!r}), which gets every record anyway: pass "
                "another name (e.g. the LoggerHook's json_log_path) or file_path=None."
            )
        return path

    def add_scalars(
        self,
        scalar_dict: Mapping[str, Any],
        step: int = 0,
        file_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Append ``{**scalar_dict, 'step': step}`` to the scalar file, and to ``file_path``.

        ``file_path`` (a ``.json`` file, relative to ``save_dir``) gets the same
        record too, as in MMEngine: the LoggerHook names ``<timestamp>.json``
        (its ``json_log_path``), the file OpenMMLab's log analysis tools read.
        """
        record = {str(k): to_plain(v) for k, v in scalar_dict.items()}
        record.setdefault("step", int(step))  # MMEngine keeps a "step" the dict gives
        line = json.dumps(record) + "\n"
        if file_path is not None:  # checked first: a refused name writes nothing
            _write(self._file(file_path), line)
        _write(self._file(None), line)
        now = time.monotonic()
        if now - self._flushed_at >= FLUSH_SECONDS:  # at most a second's records pending
            self.flush()
            self._flushed_at = now

    def add_scalar(self, name: str, value: Any, step: int = 0, **kwargs: Any) -> None:
        self.add_scalars({name: value}, step=step)

    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Write the config to ``<save_dir>/<config_save_file>``; a later call replaces it
        with the newer config, as in MMEngine."""
        path = self.save_dir / self.config_save_file
        path.parent.mkdir(parents=True, exist_ok=True)
        if hasattr(config, "dump"):
            import warnings

            with warnings.catch_warnings():  # what cannot load back: the Runner's own dump
                warnings.simplefilter("ignore")  # of the same config (config.py) says it
                config.dump(path)
        else:
            text = getattr(config, "pretty_text", None)
            path.write_text(text if isinstance(text, str) else repr(config), encoding="utf-8")

    def flush(self) -> None:
        for fh in self._files.values():
            with _naming(fh.name):
                fh.flush()

    def close(self) -> None:
        files = list(self._files.values())
        self._files.clear()
        failed: OSError | None = None
        for fh in files:  # every file, even after one failed (a full disk)
            try:
                with _naming(fh.name):
                    fh.close()
            except OSError as exc:
                failed = failed or exc
        if failed is not None:
            raise failed

    def __repr__(self) -> str:
        return f"LocalVisBackend(save_dir={str(self.save_dir)!r})"


def _write(fh: IO[str], line: str) -> None:
    """Write ``line``; a write that flushes a full buffer onto a full disk names the file."""
    with _naming(fh.name):
        fh.write(line)


@contextlib.contextmanager
def _naming(path: str) -> Iterator[None]:
    """An OSError writing ``path`` (a full disk) names it, as ``open`` does; a flush's
    own error says only ``[Errno 28] No space left on device``."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None or exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror, path) from exc
