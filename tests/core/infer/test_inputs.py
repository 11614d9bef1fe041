"""From what a user passes to the list of inputs, and from inputs to batches."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner_core.infer import InferencerError
from runner_core.infer.inputs import chunked, inputs_to_list


def test_chunks_keep_order_and_the_last_one_holds_the_rest() -> None:
    assert list(chunked(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(chunked(range(4), 2)) == [[0, 1], [2, 3]]
    assert list(chunked([], 3)) == []


def test_a_chunk_size_below_1_is_refused() -> None:
    with pytest.raises(InferencerError, match="batch_size=0"):
        next(chunked(range(3), 0))


def test_strings_that_are_not_folders_stay_one_input(tmp_path: Path) -> None:
    assert inputs_to_list("https://example.com/cat.jpg") == ["https://example.com/cat.jpg"]
    assert inputs_to_list("a prompt") == ["a prompt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert inputs_to_list(str(empty)) == []


def test_a_folder_lists_files_only(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.txt", "a.txt"):
        (tmp_path / name).write_text("x")
    assert inputs_to_list(str(tmp_path)) == [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
