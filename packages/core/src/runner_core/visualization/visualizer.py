"""``Visualizer``: one object hooks write scalars to, many backends behind it.

The Runner builds it from ``visualizer=dict(vis_backends=[...])``; each
backend is built through ``VISBACKENDS`` (entry-point group
``runner.visbackends``), so a third-party package can add an MLflow or W&B
backend without touching this module. Backends receive ``<save_dir>/vis_data``
(the Runner's ``save_dir`` is the run folder) unless their config sets a
folder of their own, as in MMEngine.

It fans scalars, images (``add_image``, written as PNG without OpenCV) and
the config out to the backends, and draws as MMEngine's does (``set_image``,
``draw_bboxes`` and the other ``draw_*`` methods, ``get_image``: see
``drawing``) with matplotlib, an optional dependency imported only when
drawing starts (``pip install "runner-core[draw]"``).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import warnings
import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..errors import BuildError, ConfigTypeError, RegistryError, RunnerError, name_config_key
from ..registry.registry import accepts_argument
from .drawing import DrawingMixin


def _writes_here() -> bool:
    """Whether this process records: rank 0 only, as MMEngine's ``@master_only`` methods (a
    hook calling ``add_scalars`` on every rank must not have two processes in one file)."""
    from ..distributed.utils import is_main_process

    return is_main_process()


def _requires_save_dir(cls: Any) -> bool:
    """Whether ``cls(...)`` has a ``save_dir`` argument without a default."""
    import inspect

    try:
        param = inspect.signature(cls).parameters.get("save_dir")
    except (TypeError, ValueError):
        return False
    return param is not None and param.default is inspect.Parameter.empty


def refuse_backend_name(spec: Any, index: int) -> None:
    """A bare name where a backend config belongs: used as a backend, it failed at the first
    scalar (``runner-cli config check`` calls this too)."""
    if isinstance(spec, (str, bytes)):
        raise ConfigTypeError(
            f"visualizer.vis_backends[{index}] is the string {spec!r}, not a backend: write "
            f"dict(type={spec!r}) (or give a built backend)."
        )


# what the visualizer calls on its backends: a built backend has at least one of them
_BACKEND_METHODS = ("add_scalars", "add_scalar", "add_image", "add_config", "add_datasample")
# Every built visualizer, oldest first, held weakly: a Runner's own goes away with its Runner
# (40 Runners in one process do not pile up their visualizers). The newest live one is the
# current one; a subclass's get_current_instance() finds its own newest after a visualizer of
# another class was built (MMEngine's per-class _instance_dict). Those made by get_instance
# are also held strongly by name (_kept), as MMEngine's ManagerMixin holds them: a caller
# configures one and finds it again later with get_current_instance() without keeping a
# reference.
_built: list[weakref.ReferenceType[Visualizer]] = []
# A run call's claim, per thread: (its Runner's visualizer, the newest one when it began)
_claims = threading.local()


_build_count = itertools.count()


def _built_here_since(then: int, cls: type) -> Any:
    """The newest visualizer of ``cls`` this thread built after the count ``then`` and
    still alive, or None."""
    here = threading.get_ident()
    for ref in reversed(_built):
        found = ref()
        if found is None:
            continue
        if getattr(found, "_built_order", -1) <= then:
            return None  # older ones follow
        if found._built_in == here and isinstance(found, cls):
            return found
    return None


class _KeptVisualizers(dict[str, "Visualizer"]):
    """The visualizers ``get_instance`` made, by name; ``clear()`` forgets every visualizer
    (the current one too), as clearing MMEngine's ``_instance_dict`` does."""

    def clear(self) -> None:
        _built.clear()
        _by_name.clear()
        super().clear()


_kept = _KeptVisualizers()
# Every built visualizer by name, held weakly (the newest of a name wins): get_instance finds
# a Runner's own visualizer by its name after another visualizer was built since.
_by_name: weakref.WeakValueDictionary[str, Visualizer] = weakref.WeakValueDictionary()


def _refuse_same_folder(first: Any, second: Any, index: int) -> None:
    """Two unnamed backends of one class writing to one folder would record everything
    twice (two ``scalars.json`` writers, two TensorBoard event files of the same run):
    MMEngine refuses any two of a kind; here only these."""
    folders = [getattr(backend, "_save_dir", None) for backend in (first, second)]
    if folders[0] is None or folders[0] != folders[1]:
        return
    kind = type(second).__name__
    raise BuildError(
        f"visualizer.vis_backends[{index}] is a second {kind} writing to {folders[1]}, as "
        f"an earlier one does, so every record would be written twice. Remove it, or give "
        f"it a save_dir of its own (and a name= to tell them apart in get_backend)."
    )


class Visualizer(DrawingMixin):
    """Send scalars, images and the config to every configured backend; draw on images.

    MMEngine's arguments, in its order.

    Args:
        name: the visualizer's name (``instance_name``; ``get_instance(name)``
            finds it while it is the current one, or when ``get_instance`` made it).
        image: MMEngine's image to draw on; kept as ``image`` and given to
            ``set_image``.
        vis_backends: backend configs (``dict(type='LocalVisBackend')``,
            ``name='tb'`` to key it for ``get_backend``) or built backends; one
            config or a list. None means no backend. A backend that needs a
            ``save_dir`` is left out, with a warning, when there is none (MMEngine's rule).
        save_dir: its ``vis_data`` sub-folder is given to each backend that
            takes ``save_dir`` and whose config does not set one (MMEngine's
            layout: ``save_dir='out'`` writes ``out/vis_data/scalars.json``).
        fig_save_cfg, fig_show_cfg: ``matplotlib.figure.Figure`` options of
            the figure drawn on and of the ``show`` window (MMEngine's; both
            ``dict(frameon=False)`` by default).
    """

    _instance_dict: ClassVar[dict[str, Visualizer]]  # set below the class

    def __init__(
        self,
        name: str = "visualizer",
        image: Any = None,
        vis_backends: Any = None,
        save_dir: str | Path | None = None,
        fig_save_cfg: Mapping[str, Any] | None = None,
        fig_show_cfg: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(vis_backends, (str, bytes)):
            raise ConfigTypeError(
                f"Visualizer(vis_backends={vis_backends!r}): give backend configs such as "
                "[dict(type='LocalVisBackend')] or built backends, not a string. (The first "
                "argument is the visualizer's name, as in MMEngine: Visualizer('vis', "
                "vis_backends=[...]).)"
            )
        self.name = name
        self.image = image
        if image is not None:
            self.set_image(image)
        # MMEngine's defaults: frameless figures
        self.fig_save_cfg = dict(frameon=False) if fig_save_cfg is None else dict(fig_save_cfg)
        self.fig_show_cfg = dict(frameon=False) if fig_show_cfg is None else dict(fig_show_cfg)
        #: where the backends write: ``<save_dir>/vis_data``
        self.save_dir = None if save_dir is None else str(Path(save_dir) / "vis_data")
        #: the dataset's ``metainfo`` (class names, palette), set by the val/test loops
        self._dataset_meta: dict | None = None
        self._backends: dict[str, Any] = {}
        self._takes_file_path: dict[str, bool] = {}  # backend key -> add_scalars(file_path=)?
        if isinstance(vis_backends, Mapping) or not isinstance(vis_backends, Sequence):
            vis_backends = [] if vis_backends is None else [vis_backends]
        for i, spec in enumerate(vis_backends):
            named = spec.get("name") if isinstance(spec, Mapping) else None
            backend = self._build_backend(spec, i)
            if backend is None:  # needs a save_dir nobody gave: skipped, with a warning
                continue
            if named is not None:  # MMEngine's dict(type=..., name='tb'): get_backend('tb')
                key = str(named)
                if key in self._backends:
                    raise BuildError(
                        f"visualizer.vis_backends[{i}]: the backend name {key!r} is taken by "
                        "an earlier backend; give each backend its own name=."
                    )
            else:
                key = type(backend).__name__
                if key in self._backends:  # two of a kind: keep both, number the second
                    for earlier in self._backends.values():
                        if type(earlier) is type(backend):
                            _refuse_same_folder(earlier, backend, i)
                    key = f"{key}_{i}"
            self._backends[key] = backend
        _built[:] = [ref for ref in _built if ref() is not None]
        _built.append(weakref.ref(self))
        # a run call's claim yields only to one built in its thread after it began
        self._built_in, self._built_order = threading.get_ident(), next(_build_count)
        _by_name[str(name)] = self

    def _build_backend(self, spec: Any, index: int) -> Any:
        """The backend ``spec`` describes, or None for one that needs a ``save_dir`` and has none."""
        refuse_backend_name(spec, index)
        if not isinstance(spec, Mapping):
            if not any(hasattr(spec, method) for method in _BACKEND_METHODS):
                raise ConfigTypeError(
                    f"visualizer.vis_backends[{index}] = {spec!r} is neither a backend config "
                    "(dict(type='LocalVisBackend', ...)) nor a backend (an object with "
                    "add_scalars, add_image or add_config)."
                )
            return spec
        from ..registry import VISBACKENDS

        where = f"visualizer.vis_backends[{index}]"
        cfg = dict(spec)
        cfg.pop("name", None)  # the Visualizer's key for it, not a backend argument
        kind = cfg.get("type")
        if kind is None:
            raise BuildError(
                f"{where} = {dict(spec)!r} has no 'type'; add e.g. type='LocalVisBackend' or "
                "type='TensorBoardVisBackend'."
            )
        try:
            cls = VISBACKENDS.lookup(kind) if isinstance(kind, str) else kind
        except RegistryError as exc:  # the entry at fault, not the visualizer's key
            name_config_key(exc, f"{where}.type")
            raise
        defaults = {}
        if cfg.get("save_dir") is None and accepts_argument(cls, "save_dir"):
            if self.save_dir is not None and "save_dir" not in cfg:
                defaults["save_dir"] = self.save_dir
            elif _requires_save_dir(cls):
                # MMEngine's rule: a file-writing backend without a folder is left out, so a
                # config made for training (a LocalVisBackend) still builds a visualizer to
                # draw with in a notebook or an inference script.
                warnings.warn(
                    f"{where} ({kind if isinstance(kind, str) else cls.__name__}) is left out: "
                    "it writes files and neither it nor the Visualizer has a save_dir. Pass "
                    "Visualizer(save_dir='...') or give the backend save_dir='...'.",
                    UserWarning,
                    stacklevel=3,
                )
                return None
        return VISBACKENDS.build(cfg, default_args=defaults, _key_path=where)

    @property
    def dataset_meta(self) -> dict | None:
        """The dataset's ``metainfo``; stored in ``_dataset_meta``, MMEngine's attribute, which
        OpenMMLab inferencers set directly."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict | None) -> None:
        self._dataset_meta = dataset_meta

    # -- MMEngine-style access ---------------------------------------------------------
    @property
    def instance_name(self) -> str:
        """The visualizer's name (MMEngine's ``ManagerMixin.instance_name``)."""
        return self.name

    @contextlib.contextmanager
    def claimed_current(self) -> Iterator[None]:
        """This visualizer is current in the calling thread for the ``with`` block (a
        Runner's run call claims its own), unless another is built during it: with two
        Runners in a notebook, the first one's ``train()`` draws through its own."""
        stack = _claims.__dict__.setdefault("stack", [])
        then = next(_build_count)  # what is built from now on is newer
        stack.append((weakref.ref(self), then))
        try:
            yield
        finally:
            stack.pop()

    @classmethod
    def _latest(cls) -> Visualizer | None:
        """The most recently built visualizer of this class still alive, else the last
        ``get_instance`` made; during a run call, the Runner's own (see
        :meth:`claimed_current`)."""
        found = Visualizer._newest(cls)
        stack = getattr(_claims, "stack", None)
        if stack:
            ref, then = stack[-1]
            claimed = ref()
            if isinstance(claimed, cls):
                # ``is None``: a visualizer without backends is falsy (its __len__)
                mine = _built_here_since(then, cls)
                return claimed if mine is None else mine
        return found

    @staticmethod
    def _newest(cls: type[Visualizer]) -> Visualizer | None:
        for ref in reversed(_built):
            found = ref()
            if isinstance(found, cls):
                return found
        return next((v for v in reversed(_kept.values()) if isinstance(v, cls)), None)

    @classmethod
    def get_current_instance(cls) -> Visualizer:
        """The most recently built visualizer (so a model can log without the runner).

        Raises ``RuntimeError`` (a ``RunnerError``) when there is none, as
        MMEngine's ``ManagerMixin`` does.
        """
        found = cls._latest()
        if found is None:
            raise RunnerError(
                f"{cls.__name__}.get_current_instance(): no {cls.__name__} is alive (one built "
                f"with {cls.__name__}(...) is held only by its references, and goes when they "
                f"do). Build one first with {cls.__name__}.get_instance('vis', "
                "vis_backends=[...]), which keeps it by name, or a Runner with "
                "visualizer=dict(...)."
            )
        return found

    @classmethod
    def get_instance(cls, name: str, **kwargs: Any) -> Visualizer:
        """The current visualizer if it is called ``name``, else the newest live one of that
        name (a Runner's), else the one ``get_instance`` made under that name, else a new one
        built from ``kwargs`` (kept until the process ends)."""
        found = cls._latest()
        if found is None or found.name != name:
            alive = _by_name.get(name)  # a Runner's, named so, though another was built since
            found = alive if isinstance(alive, cls) else _kept.get(name)
        if not isinstance(found, cls):
            made = _kept[name] = cls(name=name, **kwargs)
            return made
        if kwargs:
            from ..utils.manager import warn_arguments_ignored

            warn_arguments_ignored(cls.__name__, name, kwargs)
        return found

    @classmethod
    def check_instance_created(cls, name: str) -> bool:
        """Whether ``get_instance(name)`` has made a visualizer of that name (MMEngine's)."""
        return isinstance(_kept.get(name), cls)

    @property
    def _vis_backends(self) -> dict[str, Any]:
        """MMEngine's attribute, which OpenMMLab hooks read (``.values()``) and reset (``= {}``)."""
        return self._backends

    @_vis_backends.setter
    def _vis_backends(self, backends: dict[str, Any]) -> None:
        self._backends = dict(backends)
        self._takes_file_path = {}

    @property
    def backends(self) -> dict[str, Any]:
        """Backends by class name (``'LocalVisBackend'``)."""
        return dict(self._backends)

    def get_backend(self, name: str) -> Any:
        """The backend of that class name, or None (``'TensorboardVisBackend'``, MMEngine's
        spelling, finds ``TensorBoardVisBackend``: names compare without case)."""
        found = self._backends.get(name)
        if found is None:
            folded = name.lower()
            found = next((b for k, b in self._backends.items() if k.lower() == folded), None)
        return found

    def __iter__(self) -> Iterator[Any]:
        return iter(self._backends.values())

    def __len__(self) -> int:
        return len(self._backends)

    def __bool__(self) -> bool:
        """Always true, as MMEngine's (which has no ``__len__``): ``if visualizer:`` and
        ``visualizer or other`` must not drop a draw-only visualizer without backends."""
        return True

    # -- writing -------------------------------------------------------------------------
    def add_scalars(
        self,
        scalar_dict: Mapping[str, Any],
        step: int = 0,
        file_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Record several scalars at ``step`` in every backend.

        ``file_path`` (a file name for backends that write files) is passed
        only when given and only to backends whose ``add_scalars`` takes it,
        so backends that do not know it still work. Other keyword arguments go to
        every backend, as in MMEngine. Ranks other than 0 record nothing.
        """
        if not _writes_here():
            return
        if not isinstance(scalar_dict, Mapping):  # MMEngine's backends assert it
            from .drawing_errors import DrawingAssertionTypeError

            raise DrawingAssertionTypeError(
                f"Visualizer.add_scalars takes a dict of names to numbers, got "
                f"{type(scalar_dict).__name__} {scalar_dict!r:.60}; for one value use "
                "add_scalar(name, value, step)."
            )
        if file_path is None:
            for backend in self._backends.values():
                backend.add_scalars(scalar_dict, step, **kwargs)
            return
        takes = self._takes_file_path
        for key, backend in self._backends.items():
            if takes.get(key) is None:  # looked up once per backend
                takes[key] = accepts_argument(backend.add_scalars, "file_path")
            if takes[key]:
                backend.add_scalars(scalar_dict, step, file_path=file_path, **kwargs)
            else:
                backend.add_scalars(scalar_dict, step, **kwargs)

    def add_scalar(self, name: str, value: Any, step: int = 0, **kwargs: Any) -> None:
        """Record one scalar at ``step`` in every backend (``file_path=`` as in ``add_scalars``)."""
        if not _writes_here():
            return
        file_path = kwargs.pop("file_path", None)
        if file_path is not None:
            self.add_scalars({name: value}, step=step, file_path=file_path, **kwargs)
            return
        for backend in self._backends.values():
            if hasattr(backend, "add_scalar"):
                backend.add_scalar(name, value, step, **kwargs)
            else:
                backend.add_scalars({name: value}, step, **kwargs)

    def add_image(self, name: str, image: Any, step: int = 0) -> None:
        """Record an RGB image (H, W, 3), RGBA or grey array or tensor in every backend.

        ``LocalVisBackend`` writes ``<save_dir>/vis_image/<name>_<step>.png``;
        TensorBoard shows it under ``name``. Backends without images skip it.
        """
        if not _writes_here():
            return
        from .png import as_image_array

        array = as_image_array(image, f"Visualizer.add_image({name!r})")
        for backend in self._backends.values():
            if hasattr(backend, "add_image"):
                backend.add_image(name, array, step)

    def add_graph(self, model: Any, data_batch: Any, **kwargs: Any) -> None:
        """Give the model (and a batch to trace it with) to every backend that records graphs."""
        if not _writes_here():
            return
        for backend in self._backends.values():
            if hasattr(backend, "add_graph"):
                backend.add_graph(model, data_batch, **kwargs)

    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Give the run's config to every backend that records configs (MMEngine's ``config=``)."""
        if not _writes_here():
            return
        for backend in self._backends.values():
            if hasattr(backend, "add_config"):
                backend.add_config(config, **kwargs)

    def flush(self) -> None:
        for backend in self._backends.values():
            if hasattr(backend, "flush"):
                backend.flush()

    def close(self) -> None:
        """Flush and close every backend (backends reopen if written to again)."""
        for backend in self._backends.values():
            if hasattr(backend, "close"):
                backend.close()

    def __enter__(self) -> Visualizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Visualizer(backends=[{', '.join(self._backends)}], save_dir={self.save_dir!r})"


#: MMEngine's ``ManagerMixin`` table (the visualizers ``get_instance`` made), which ported
#: tests clear between tests
Visualizer._instance_dict = _kept
