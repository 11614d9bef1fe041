"""``--seed S``: each trial is sampled with its own seed, derived from ``S`` and its number.

A sampler seeded once per process would make every process draw the same
values: a second worker started beside the first, or the same command run
again to continue the study, would repeat the trials already in it. Here the
sampler is rebuilt for each trial with the seed :func:`trial_seed` ``(S, n)``,
``n`` being the trial's number in the study. Trial numbers are unique within
a study, so no two trials share a seed, while one process running the
sweep from the start draws the same values every time (given the same
scores, which the model-based samplers learn from).

Imports Optuna: import this module only where Optuna is needed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import optuna


def trial_seed(seed: int, number: int) -> int:
    """The sampler seed for trial ``number`` of a sweep run with ``--seed seed`` (32 bits)."""
    digest = hashlib.sha256(f"runner-sweep:{seed}:{number}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


class PerTrialSeedSampler(optuna.samplers.BaseSampler):
    """A sampler made afresh for every trial by ``make(trial_seed(seed, trial.number))``.

    Fits samplers whose only state between trials is their random generator
    (TPE and random sample from the study's trials, which the storage holds).
    Not the grid sampler: its seed fixes the order of the grid, which every
    worker must share.
    """

    def __init__(self, make: Callable[[int], Any], seed: int) -> None:
        self._make = make
        self._seed = seed
        self._sampler = make(trial_seed(seed, -1))  # until the first trial

    def __str__(self) -> str:
        return f"{type(self).__name__}({self._sampler}, seed={self._seed})"

    @property
    def sampler(self) -> Any:
        """The sampler of the current trial."""
        return self._sampler

    def before_trial(self, study: Any, trial: Any) -> None:
        self._sampler = self._make(trial_seed(self._seed, trial.number))
        self._sampler.before_trial(study, trial)

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        space: dict[str, Any] = self._sampler.infer_relative_search_space(study, trial)
        return space

    def sample_relative(
        self, study: Any, trial: Any, search_space: dict[str, Any]
    ) -> dict[str, Any]:
        values: dict[str, Any] = self._sampler.sample_relative(study, trial, search_space)
        return values

    def sample_independent(
        self, study: Any, trial: Any, param_name: str, param_distribution: Any
    ) -> Any:
        return self._sampler.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self, study: Any, trial: Any, state: Any, values: Sequence[float] | None
    ) -> None:
        self._sampler.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._sampler.reseed_rng()
