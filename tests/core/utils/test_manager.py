"""ManagerMeta: ManagerMixin's metaclass, which requires a `name` parameter as MMEngine's."""

from __future__ import annotations

import abc

import pytest

from runner_core.utils import ManagerMeta, ManagerMixin


def test_manager_mixin_is_made_by_manager_meta() -> None:
    assert type(ManagerMixin) is ManagerMeta


def test_a_class_without_a_name_parameter_is_refused_when_defined() -> None:
    with pytest.raises(AssertionError, match="must have the `name` argument"):

        class _NoName(metaclass=ManagerMeta):
            def __init__(self, *args: object) -> None:
                pass

    with pytest.raises(AssertionError, match="must have the `name` argument"):

        class _NoNameMixin(ManagerMixin):
            def __init__(self, value: int = 0) -> None:
                super().__init__("x")


def test_each_class_gets_its_own_instances() -> None:
    class _Own(metaclass=ManagerMeta):
        def __init__(self, name: str = "") -> None:
            self.name = name

    class _Base(ManagerMixin):
        def __init__(self, name: str = "") -> None:
            super().__init__(name)

    class _Child(_Base):
        pass

    assert _Own._instance_dict == {}
    _Base.get_instance("qa-meta")
    assert _Base.check_instance_created("qa-meta")
    assert not _Child.check_instance_created("qa-meta")


def test_abstract_base_classes_mix_in_without_a_metaclass_conflict() -> None:
    # MMEngine's ManagerMeta is a plain `type`: this would be a metaclass conflict there
    class _Abstract(ManagerMixin, abc.ABC):
        @abc.abstractmethod
        def run(self) -> int: ...

    class _Concrete(_Abstract):
        def run(self) -> int:
            return 1

    with pytest.raises(TypeError, match="abstract"):
        _Abstract("x")  # type: ignore[abstract]
    assert _Concrete.get_instance("qa-abc").run() == 1
