"""``ManagerMixin``: instances kept by name, for objects code far away must reach.

MMEngine's ``MessageHub``, ``MMLogger`` and ``Visualizer`` are
``ManagerMixin`` subclasses; runner's keep their instances themselves (weakly,
so a finished run's go away) and offer the same four names, so
``isinstance(MessageHub.get_current_instance(), ManagerMixin)`` holds as in
MMEngine. A project's own class subclasses this one to get
``get_instance(name)`` / ``get_current_instance()``. ``ManagerMeta`` is its
metaclass, for code that builds its own (``class Meta(ManagerMeta, ...)``).
"""

from __future__ import annotations

import inspect
import threading
import warnings
from abc import ABCMeta
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, ClassVar, TypeVar

from ..errors import RunnerError

__all__ = ["ManagerError", "ManagerMeta", "ManagerMixin", "warn_arguments_ignored"]

T = TypeVar("T", bound="ManagerMixin")
_MANAGER_API = ("get_instance", "get_current_instance", "check_instance_created")
_lock = threading.RLock()


def warn_arguments_ignored(
    cls_name: str, name: str, arguments: Iterable[str], stacklevel: int = 3
) -> None:
    """Warn that ``get_instance(name, ...)`` found ``name`` and ignored ``arguments``.

    MMEngine's ``ManagerMixin.get_instance`` warns so (a ``UserWarning``): a
    second call that meant to set up the instance (another ``log_file``, other
    backends) would otherwise pass silently.
    """
    warnings.warn(
        f"{cls_name} instance {name!r} already exists: get_instance({name!r}, ...) returns it "
        f"as it is and ignores the arguments {sorted(arguments)}. Pick another name for a new "
        "instance, or change the existing one directly.",
        stacklevel=stacklevel,
    )


class ManagerError(RunnerError, AssertionError):
    """A ManagerMixin instance was named wrongly (MMEngine asserts: AssertionError)."""


class ManagerMeta(ABCMeta):
    """Gives each class its own ``_instance_dict`` and checks its ``__init__`` takes ``name``.

    ``get_instance(name)`` builds instances as ``cls(name=name, ...)``, so a
    class without a ``name`` parameter is refused when it is defined, as by
    MMEngine's ``ManagerMeta`` (an AssertionError). An ``ABCMeta`` (MMEngine's
    is a plain ``type``), so abstract base classes mix in without a metaclass
    conflict.
    """

    def __init__(cls, *args: Any, **kwargs: Any) -> None:
        params = inspect.getfullargspec(cls).args
        if "name" not in params:
            raise ManagerError(
                f"{cls} must have the `name` argument: get_instance(name) creates instances "
                f"as {cls.__name__}(name=...); add `name: str = ''` to its __init__ and pass "
                "it on to ManagerMixin.__init__."
            )
        cls._instance_dict: OrderedDict[str, Any] = OrderedDict()
        super().__init__(*args, **kwargs)


class ManagerMixin(metaclass=ManagerMeta):  # noqa: B024 - ABCMeta for __subclasshook__ only
    """Keeps every instance made by ``get_instance(name)``; the latest is the current one.

    Each subclass has its own instances. Creating an instance directly
    (``Cls(name='x')``) does not register it, as in MMEngine.
    """

    _instance_dict: ClassVar[OrderedDict[str, Any]]

    def __init__(self, name: str = "", **kwargs: Any) -> None:
        if not isinstance(name, str) or not name:
            raise ManagerError(
                f"{type(self).__name__}(name={name!r}): the name must be a non-empty string; "
                "it is the key get_instance(name) finds the instance by."
            )
        self._instance_name = name

    @classmethod
    def __subclasshook__(cls, other: type) -> Any:
        # a class offering the interface (runner's MessageHub, RunLogger) counts
        if cls is ManagerMixin and all(callable(getattr(other, n, None)) for n in _MANAGER_API):
            return True
        return NotImplemented

    @classmethod
    def get_instance(cls: type[T], name: str, **kwargs: Any) -> T:
        """The instance called ``name``, created (and made current) from ``kwargs`` if missing."""
        if not isinstance(name, str):
            raise ManagerError(
                f"{cls.__name__}.get_instance: the name must be a str, got {type(name).__name__}."
            )
        with _lock:
            instances = cls._instance_dict
            if name not in instances:
                instances[name] = cls(name=name, **kwargs)
            elif kwargs:
                warn_arguments_ignored(cls.__name__, name, kwargs, stacklevel=3)
            return instances[name]

    @classmethod
    def get_current_instance(cls: type[T]) -> T:
        """The instance ``get_instance`` created last."""
        with _lock:
            if not cls._instance_dict:
                raise RuntimeError(
                    f"Before calling {cls.__name__}.get_current_instance(), you should call "
                    f"get_instance(name=xxx) at least once: {cls.__name__} has no instance yet."
                )
            return next(reversed(cls._instance_dict.values()))

    @classmethod
    def check_instance_created(cls, name: str) -> bool:
        """Whether ``get_instance(name)`` has made an instance of that name."""
        return name in cls._instance_dict

    @property
    def instance_name(self) -> str:
        """The name the instance was created with."""
        return self._instance_name
