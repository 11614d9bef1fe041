"""Runner methods that MMEngine code also calls on the class, as static methods.

MMEngine declares ``Runner.build_dataloader`` a ``@staticmethod`` and user
code calls ``Runner.build_dataloader(cfg, seed=0)`` without a runner (to
check a dataset config, in tests). Our Runner's own calls go through the
instance, which knows the run's seed; this descriptor serves both: the class
attribute is the static function, the instance attribute the bound method.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class static_on_class:  # noqa: N801 - used as a decorator, like staticmethod
    """Decorate a method so that ``Class.name`` is ``static`` and ``obj.name`` the method."""

    def __init__(self, static: Callable[..., Any]) -> None:
        self.static = static
        self.method: Callable[..., Any] | None = None

    def __call__(self, method: Callable[..., Any]) -> static_on_class:
        self.method = method
        self.__doc__ = method.__doc__
        self.__name__ = method.__name__
        return self

    def __set_name__(self, owner: type, name: str) -> None:
        self.__name__ = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Callable[..., Any]:
        if obj is None or self.method is None:
            return self.static
        return self.method.__get__(obj, objtype)


def build_dataloader(dataloader: Any, seed: int | None = None, diff_rank_seed: bool = False) -> Any:
    """MMEngine's ``Runner.build_dataloader(dataloader, seed=None, diff_rank_seed=False)``.

    A config dict gives a DataLoader (seeded with ``seed``; None draws one);
    anything else, a DataLoader included, is returned as it is.
    """
    from ..data.dataloader import build_dataloader as build

    if not isinstance(dataloader, Mapping):
        return dataloader
    return build(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)
