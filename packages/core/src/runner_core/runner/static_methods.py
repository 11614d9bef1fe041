"""Runner methods that MMEngine code also calls on the class, as static methods.

MMEngine declares ``Runner.build_dataloader`` a ``@staticmethod`` and user
code calls ``Runner.build_dataloader(cfg, seed=0)`` without a runner (to
check a dataset config, in tests). Our Runner's own calls go through the
instance, which knows the run's seed; this descriptor serves both: the class
attribute is the static function, the instance attribute the bound method.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

S = TypeVar("S", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")


class static_on_class(Generic[S]):  # noqa: N801 - used as a decorator, like staticmethod
    """Decorate a method so that ``Class.name`` is ``static`` and ``obj.name`` the method."""

    def __init__(self, static: S) -> None:
        self.static = static

    def __call__(self, method: Callable[Concatenate[Any, P], R]) -> StaticOnClass[S, P, R]:
        return StaticOnClass(self.static, method)


class StaticOnClass(Generic[S, P, R]):
    """The descriptor :class:`static_on_class` makes. ``Class.name`` is typed as the static
    function; ``obj.name`` loosely, so that a subclass may override it with MMEngine's
    ``@staticmethod`` (whose arguments differ)."""

    def __init__(self, static: S, method: Callable[Concatenate[Any, P], R]) -> None:
        self.static = static
        self.method = method
        self.__doc__ = method.__doc__
        self.__name__ = getattr(method, "__name__", "method")

    def __set_name__(self, owner: type, name: str) -> None:
        self.__name__ = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> S: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> Callable[..., Any]: ...
    def __get__(self, obj: object, objtype: type | None = None) -> Callable[..., Any]:
        if obj is None:
            return self.static
        bound: Callable[..., Any] = self.method.__get__(obj, objtype)
        return bound

    if TYPE_CHECKING:
        # Pyright matches a protocol's method against the class attribute itself, not what
        # __get__ gives an instance: with this, a Runner is a RunnerAPI to pyright too.
        def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...


def build_dataloader(dataloader: Any, seed: int | None = None, diff_rank_seed: bool = False) -> Any:
    """MMEngine's ``Runner.build_dataloader(dataloader, seed=None, diff_rank_seed=False)``.

    A config dict gives a DataLoader (seeded with ``seed``; None draws one);
    anything else, a DataLoader included, is returned as it is.
    """
    from ..data.dataloader import build_dataloader as build
    from ..data.dataloader import refuse_config_like

    if not isinstance(dataloader, Mapping):
        refuse_config_like(dataloader, "dataloader")
        return dataloader
    return build(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)
