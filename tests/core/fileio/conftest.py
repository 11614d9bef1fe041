"""Every fileio test leaves the backend and handler registries as it found them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from runner_core.fileio import FileClient, handlers, registry


@pytest.fixture(autouse=True)
def _restore_registries() -> Iterator[None]:
    saved: list[tuple[dict[Any, Any], dict[Any, Any]]] = [
        (registry.backends, dict(registry.backends)),
        (registry.prefix_to_backends, dict(registry.prefix_to_backends)),
        (handlers.file_handlers, dict(handlers.file_handlers)),
        (FileClient._backends, dict(FileClient._backends)),
        (FileClient._prefix_to_backends, dict(FileClient._prefix_to_backends)),
        (FileClient._instances, dict(FileClient._instances)),
    ]
    yield
    for table, content in saved:
        table.clear()
        table.update(content)
    registry._instances.clear()
