"""Build a ``torch.utils.data.DataLoader`` from a config, with reproducible workers.

Reproducibility rules, because a resumed run must replay the same data:

* the DataLoader gets its own ``torch.Generator`` seeded from the run's seed, so
  creating an iterator (which draws the workers' base seed) never draws from the
  global torch RNG: building the data iterator after restoring RNG states does
  not move the global random stream;
* each worker seeds python ``random``, numpy and torch from
  ``(seed, epoch, rank, worker_id)`` (``epoch`` read from the sampler when the
  iterator starts its workers), never from the global RNG. With
  ``persistent_workers=True`` the workers live across epochs and are seeded
  once, when they start;
* each batch is loaded under its own seed (``SeededBatchSampler``): in a
  worker, which then keeps that stream; without workers, in this process,
  whose python and torch streams are saved before and restored after
  (``InProcessSeeding``), so loading never moves the model's random draws
  (dropout) either.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, IterableDataset, Sampler

from ..distributed.utils import broadcast_object, get_dist_info, sync_random_seed
from ..errors import (
    BuildError,
    ConfigError,
    ConfigKeyError,
    ConfigTypeError,
    RegistryError,
    RegistryTypeError,
    did_you_mean,
)
from ..registry.registry import accepts_argument
from . import worker_signals
from .sampler import SeededBatches, SeededBatchSampler, epoch_of

_MISSING = object()

# Keys build_dataloader handles itself; everything else goes to DataLoader.
_OWN_KEYS = {
    "dataset",
    "sampler",
    "batch_sampler",
    "batch_size",
    "shuffle",
    "collate_fn",
    "worker_init_fn",
    "num_batch_per_epoch",
    "disable_subprocess_warning",
}


class LoaderListError(ConfigTypeError, AttributeError):
    """A list of dataloader configs where one belongs: an AttributeError too, which MMEngine
    raises calling the list's ``.copy``/``.pop``."""


class WorkerSeeder:
    """``worker_init_fn`` seeding ``random``, numpy and torch from ``(seed, epoch, rank, worker_id)``.

    ``epoch`` is read from the sampler (``sampler.epoch``, set by ``set_epoch``)
    when the workers start. Under ``fork`` the workers see the sampler as it was
    then; under ``spawn`` the epoch is captured when this object is pickled,
    which also happens when the workers start. A user ``worker_init_fn`` runs
    after the seeding. ``quiet`` silences Python warnings in every worker but
    the first (``disable_subprocess_warning``), so a warning is shown once, not
    once per worker. Workers started during training first ignore the
    preemption signals until training ends (:mod:`.worker_signals`), so a
    SIGTERM sent to the whole process group stops the run cleanly instead of
    killing the workers. A spawned worker (``spawn`` / ``forkserver``) also
    enters the main process's registry default scope, which a forked one
    inherits, and imports the modules the config's ``custom_imports`` imported
    in the main process, so a dataset building from the registries there finds
    the same classes.
    """

    def __init__(
        self,
        seed: int,
        rank: int,
        sampler: Any = None,
        user_fn: Callable[[int], Any] | None = None,
        quiet: bool = False,
    ) -> None:
        self.seed = int(seed)
        self.rank = int(rank)
        self.sampler = sampler
        self.user_fn = user_fn
        self.quiet = bool(quiet)
        self._epoch: int | None = None
        self._signals: worker_signals.Watch | None = None  # set when pickled (spawn)
        self._scope: tuple[str, str] | None = None  # (instance, scope) set when pickled
        self._imports: list[str] = []  # custom_imports' modules, set when pickled

    @property
    def epoch(self) -> int:
        if self._epoch is not None:
            return self._epoch
        return epoch_of(self.sampler) or 0

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_epoch"] = self.epoch
        state["sampler"] = None  # workers need the epoch, not the whole sampler
        state["_signals"] = worker_signals.current()  # a spawned worker's module is fresh
        state["_scope"] = _current_scope()  # so is its registry's default scope
        from ..config import custom_imports

        state["_imports"] = list(custom_imports.imported_names)  # and its registrations
        return state

    def worker_seeds(self, worker_id: int) -> tuple[int, list[int], int]:
        """The seeds ``(random, numpy, torch)`` that worker ``worker_id`` gets."""
        import numpy as np

        mask = (1 << 64) - 1
        sequence = np.random.SeedSequence(
            [self.seed & mask, self.epoch & mask, self.rank, int(worker_id)]
        )
        words = [int(w) for w in sequence.generate_state(6, dtype=np.uint32)]
        py_seed = words[0] << 32 | words[1]
        torch_seed = words[4] << 32 | words[5]
        return py_seed, words[2:4], torch_seed

    def __call__(self, worker_id: int) -> None:
        import random

        import numpy as np

        signals = self._signals or worker_signals.current()
        if signals is not None:
            signals.install()
        for name in self._imports:  # a spawned worker: what custom_imports registered in
            try:  # the main process, before any registry lookup
                importlib.import_module(name)
            except ImportError:  # made at run time there: the worker did without it before
                pass
        if self._scope is not None:
            _enter_scope(*self._scope)
        py_seed, np_seed, torch_seed = self.worker_seeds(worker_id)
        random.seed(py_seed)
        np.random.seed(np_seed)
        torch.manual_seed(torch_seed)
        _seed_each_batch(torch.utils.data.get_worker_info())
        if self.quiet and worker_id != 0:
            import warnings

            warnings.simplefilter("ignore")
        if self.user_fn is not None:
            self.user_fn(worker_id)


def _current_scope() -> tuple[str, str] | None:
    """This process's default scope (instance name, scope), for a spawned worker to enter."""
    from ..registry.default_scope import DefaultScope

    current = DefaultScope.get_current_instance()
    return None if current is None else (current.instance_name, current.scope_name)


def _enter_scope(name: str, scope: str) -> None:
    """In a spawned worker, make the main process's default scope current, as a forked
    worker inherits it: a dataset that builds from the registries there (a pipeline built
    on first use) finds the same classes. A worker that already has one keeps it."""
    from ..registry.default_scope import DefaultScope

    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance(name, scope_name=scope)


def seed_all(seed: int) -> None:
    """Seed python, numpy and torch of this (worker) process from one integer.

    Cheap enough to run before every batch (~7 µs; ~20 µs in a data worker, whose
    caches are cold after the previous batch): torch's CPU generator is
    seeded directly (``torch.manual_seed`` also seeds every accelerator
    backend, ~100x slower, and data workers draw from the CPU generator), and
    numpy's global generator from 32 bits (seeding from an array of words
    costs ~30x more). Each of the three streams is a fixed function of ``seed``.
    """
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed((seed ^ (seed >> 32)) & 0xFFFFFFFF)
    torch.default_generator.manual_seed(seed)


class IteratorWrapper:
    """An iterator over a loader's iterator that passes ``len`` and attributes through."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __iter__(self) -> IteratorWrapper:
        return self

    def __len__(self) -> int:
        return len(self._inner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __next__(self) -> Any:
        return next(self._inner)


class InProcessSeeding(IteratorWrapper):
    """Without workers, load each batch under its seed, then restore this process's streams.

    The seed is the one a worker would use (``SeededBatchSampler.batch_seed``),
    so ``num_workers=0`` augments exactly as any number of workers. The
    python and torch (CPU) streams are saved before each batch and put back
    after it: the model's own random draws (dropout, say) go on as if no data
    had been loaded, as they do when workers load it. numpy's global stream is
    left where the batch's loading left it: saving and restoring it would cost
    ~70 µs per batch (numpy copies its whole state through Python), and
    models draw from torch; main-process code that draws from ``np.random``
    gets other numbers than with workers (still the same on every run and
    after a resume). Used only with samplers that can start mid-epoch (ours,
    which draw from their own generator): one that drew from the global
    streams would draw under the first batch's seed. Costs ~20 µs per batch.
    """

    def __init__(self, inner: Any, batch_sampler: SeededBatchSampler) -> None:
        super().__init__(inner)
        self._sampler = batch_sampler
        self._epoch = batch_sampler.current_epoch()
        self._next = batch_sampler.first_batch()

    def __next__(self) -> Any:
        import random

        states = random.getstate(), torch.default_generator.get_state()
        seed_all(self._sampler.batch_seed(self._epoch, self._next))
        try:
            batch = next(self._inner)
        finally:
            random.setstate(states[0])
            torch.default_generator.set_state(states[1])
        self._next += 1
        return batch


def _seed_each_batch(info: Any) -> None:
    """In a worker, reseed before each ``SeededBatch`` is loaded.

    torch's fetcher loads a batch through ``dataset.__getitems__`` when the
    dataset has one; the worker's own copy of the dataset gets an instance
    attribute that seeds, then loads as before. The main process's dataset is
    untouched.
    """
    dataset = getattr(info, "dataset", None)
    if dataset is None or isinstance(dataset, IterableDataset):
        return
    original = getattr(dataset, "__getitems__", None)

    def getitems(indices: Any) -> Any:
        seed = getattr(indices, "seed", None)
        if seed is not None:
            seed_all(seed)
        if original is not None:
            return original(list(indices))
        return [dataset[i] for i in indices]

    try:
        dataset.__getitems__ = getitems
    except (AttributeError, TypeError):  # a dataset with __slots__: keep per-worker seeding
        pass


def build_dataloader(
    cfg: Mapping[str, Any] | DataLoader,
    *,
    seed: int | None = None,
    rank: int | None = None,
    world_size: int | None = None,
    diff_rank_seed: bool = False,
    key_path: str = "dataloader",
) -> DataLoader:
    """Build a DataLoader from ``dict(dataset=..., sampler=..., batch_size=..., ...)``.

    Keys: ``dataset`` (a config built from DATASETS, ``type`` a name or a class,
    or a dataset object); ``sampler`` (config built from DATA_SAMPLERS with
    ``dataset`` and ``seed`` filled in, or a sampler object; default
    ``DefaultSampler`` with the top-level ``shuffle``, default False);
    ``batch_sampler`` (config built with ``sampler`` and ``batch_size`` filled
    in); ``collate_fn`` (a FUNCTIONS name, ``dict(type=name, **kwargs)`` or a
    callable; default ``default_collate``); ``worker_init_fn`` (runs after the
    worker seeding); ``num_batch_per_epoch`` (a debugging aid, as in MMEngine:
    use only the first ``num_batch_per_epoch * batch_size * world_size``
    samples of the dataset, so an epoch has that many batches per rank);
    ``disable_subprocess_warning`` (silence warnings in all data workers but
    the first); other keys (``num_workers``, ``pin_memory``,
    ``drop_last``, ``persistent_workers``, ``prefetch_factor``, ...) go to
    ``DataLoader``. A DataLoader object is returned as it is.

    Args:
        cfg: the dataloader config (or a DataLoader).
        seed: the run's seed; None draws one (shared by all ranks) once.
        rank, world_size: default to the process group's values.
        diff_rank_seed: ``seed`` differs per rank (``randomness.diff_rank_seed``);
            samplers then use rank 0's seed so the ranks' shares stay disjoint.
        key_path: the config key, e.g. ``'train_dataloader'``, named in errors.
    """
    if isinstance(cfg, DataLoader):
        return cfg
    if not isinstance(cfg, Mapping):
        raise ConfigError(
            f"{key_path} must be a dict (dataset=..., batch_size=..., ...) or a DataLoader, "
            f"got {type(cfg).__name__}: {cfg!r}."
        )
    cfg = dict(cfg)
    dist_rank, dist_world = get_dist_info()
    rank = dist_rank if rank is None else int(rank)
    world_size = dist_world if world_size is None else int(world_size)
    if seed is None:
        seed = sync_random_seed()
    sampler_seed = broadcast_object(seed, src=0) if diff_rank_seed else seed

    check_loader_numbers(cfg, key_path)
    quiet_workers = cfg.pop("disable_subprocess_warning", False)
    if not isinstance(quiet_workers, bool):
        raise ConfigError(
            f"{key_path}.disable_subprocess_warning must be True or False, got {quiet_workers!r}."
        )
    num_batch_per_epoch = cfg.pop("num_batch_per_epoch", None)
    dataset = _build_dataset(cfg.pop("dataset", _MISSING), key_path)
    if num_batch_per_epoch is not None:
        dataset = _sliced(
            dataset, int(num_batch_per_epoch) * _batch_size(cfg) * world_size, key_path
        )
    batch_size = int(cfg.pop("batch_size", 1))
    shuffle = cfg.pop("shuffle", None)
    sampler_cfg = cfg.pop("sampler", None)
    batch_sampler_cfg = cfg.pop("batch_sampler", None)
    collate_fn = _resolve_function(
        cfg.pop("collate_fn", "default_collate"), f"{key_path}.collate_fn"
    )
    from .collate import collate_fn_map, default_collate

    if collate_fn is default_collate:
        collate_fn_map()  # its imports now, not at the first batch
    user_init = cfg.pop("worker_init_fn", None)
    if user_init is not None:
        user_init = _resolve_function(user_init, f"{key_path}.worker_init_fn")
    loader_kwargs = _check_loader_kwargs(cfg, key_path)
    num_workers = int(loader_kwargs.get("num_workers", 0) or 0)
    if "num_workers" in loader_kwargs:
        loader_kwargs["num_workers"] = num_workers
    if loader_kwargs.get("prefetch_factor") is not None and num_workers > 0:
        loader_kwargs["prefetch_factor"] = int(loader_kwargs["prefetch_factor"])

    sampler: Any = None
    batch_sampler: Any = None
    if isinstance(dataset, IterableDataset):
        for name, value in (
            ("sampler", sampler_cfg),
            ("batch_sampler", batch_sampler_cfg),
            ("shuffle", shuffle),
        ):
            if value:
                raise ConfigError(
                    f"{key_path}.{name} is set, but the dataset {type(dataset).__name__} is an "
                    f"IterableDataset, which decides its own order; remove {key_path}.{name}."
                )
        loader_kwargs["batch_size"] = batch_size
    else:
        if shuffle and sampler_cfg is not None:
            raise ConfigError(
                f"{key_path} sets both shuffle=True and a sampler; shuffling is the sampler's job. "
                f"Remove {key_path}.shuffle and write sampler=dict(type='DefaultSampler', shuffle=True)."
            )
        if sampler_cfg is None:
            sampler_cfg = {"type": "DefaultSampler", "shuffle": bool(shuffle)}
        placement = {"rank": rank, "world_size": world_size}
        sampler = _build_sampler(
            sampler_cfg, dataset, sampler_seed, placement, f"{key_path}.sampler"
        )
        if batch_sampler_cfg is not None:
            if loader_kwargs.pop("drop_last", False):  # False is torch's default: harmless
                raise ConfigError(
                    f"{key_path} sets both drop_last and a batch_sampler; drop_last is the batch "
                    f"sampler's job. Move it into {key_path}.batch_sampler."
                )
            batch_sampler = _build_batch_sampler(
                batch_sampler_cfg, sampler, batch_size, f"{key_path}.batch_sampler"
            )
            if num_workers > 0 and not hasattr(batch_sampler, "set_start"):
                # each batch loaded under its own seed, as SeededBatchSampler's (one that
                # starts mid-epoch numbers its batches its own way: seeded per worker)
                batch_sampler = SeededBatches(batch_sampler, seed, rank)
            sampler = None
        elif num_workers > 0 or hasattr(sampler, "set_start"):
            # each batch is loaded under its own seed, so augmentation resumes exactly and
            # does not depend on num_workers. Without workers only for samplers that resume
            # (ours: they draw from their own generator); one drawing from torch's global
            # stream at its first batch would draw under that batch's seed every epoch
            batch_sampler = SeededBatchSampler(
                sampler,
                batch_size,
                bool(loader_kwargs.pop("drop_last", False)),
                seed,
                rank,
                carry_seed=num_workers > 0,
            )
            sampler = None
        else:
            loader_kwargs["batch_size"] = batch_size

    num_workers = int(loader_kwargs.get("num_workers", 0))
    if num_workers == 0:  # torch refuses these without workers; they mean nothing then
        loader_kwargs.pop("persistent_workers", None)
        loader_kwargs.pop("prefetch_factor", None)
        loader_kwargs.pop("multiprocessing_context", None)
    else:
        _check_start_method(loader_kwargs.get("multiprocessing_context"), key_path)

    generator = loader_kwargs.pop("generator", None)
    if generator is None:
        generator = torch.Generator()
        generator.manual_seed(int(seed) & ((1 << 63) - 1))
    seeder = WorkerSeeder(
        seed, rank, sampler if sampler is not None else batch_sampler, user_init, quiet_workers
    )
    from .error_context import ContextDataLoader  # data errors name dataset, sample and batch

    loader = ContextDataLoader(
        dataset,
        sampler=sampler,
        batch_sampler=batch_sampler,
        collate_fn=collate_fn,
        worker_init_fn=seeder,
        generator=generator,
        **loader_kwargs,
    )
    loader.key_path = key_path
    if isinstance(batch_sampler, SeededBatchSampler):
        loader.show_batching(batch_sampler.sampler, batch_size, batch_sampler.drop_last)
    if key_path == "train_dataloader":
        _hint_persistent_workers(loader_kwargs)
    return loader


def batch_seeding(loader: Any) -> dict[str, Any]:
    """How ``loader`` seeds the random draws of loading: ``num_workers``, and
    ``per_batch``: whether each batch is loaded under its own seed.

    A checkpoint records it, because a sampler without ``set_start`` gets seeded
    batches only with workers (see :func:`build_dataloader`): a run resumed with
    workers after one without them, or the reverse, keeps the sample order but
    draws other augmentations, and only the record lets the resume say so.
    """
    seeded = isinstance(getattr(loader, "batch_sampler", None), (SeededBatchSampler, SeededBatches))
    return {"num_workers": int(getattr(loader, "num_workers", 0) or 0), "per_batch": seeded}


def seeding_changed(saved: Mapping[str, Any], loader: Any, key_path: str) -> str | None:
    """Why ``loader`` does not load as the run that recorded ``saved`` (its
    :func:`batch_seeding`) did, with the fix; None when both seed alike.

    Only a sampler (or batch sampler) without ``set_start`` seeds per batch with
    workers and not without them: switching between 0 and some workers keeps
    its sample order but changes the augmentations drawn while loading.
    """
    now, before = batch_seeding(loader), int(saved.get("num_workers", 0) or 0)
    if bool(saved.get("per_batch")) == now["per_batch"] or before == now["num_workers"]:
        return None  # the same workers seed alike (another sampler: another order anyway)
    batch_sampler = getattr(loader, "batch_sampler", None)
    if isinstance(batch_sampler, SeededBatches):
        batch_sampler = batch_sampler.wrapped
    if batch_sampler is not None and type(batch_sampler) not in (BatchSampler, SeededBatchSampler):
        what, other = f"batch sampler ({type(batch_sampler).__name__})", ""
    else:
        sampler = getattr(batch_sampler, "sampler", None) or getattr(loader, "sampler", None)
        what = f"sampler ({type(sampler).__name__})"
        other = (
            "; a new run with a sampler that has set_start (DefaultSampler, InfiniteSampler) "
            "seeds every batch with any num_workers"
        )
    seeded, unseeded = "loaded each batch under its own seed", "did not seed its batches"
    return (
        f"{key_path} {seeded if saved.get('per_batch') else unseeded} in the run that saved "
        f"it (num_workers={before}) and {'does' if now['per_batch'] else 'does not'} in this "
        f"one (num_workers={now['num_workers']}): a {what} without set_start gets its "
        "batches seeded one by one only with data workers. The order of the samples "
        "resumes, but random draws while loading (augmentations in the dataset's "
        f"__getitem__) differ from the uninterrupted run's. To resume exactly, resume with "
        f"num_workers={before}{other}."
    )


def _hint_persistent_workers(kwargs: Mapping[str, Any]) -> None:
    """Spawned training workers start again every epoch unless they persist, each one
    importing torch and the main script (seconds per epoch on macOS): said once."""
    import multiprocessing

    workers = kwargs.get("num_workers") or 0
    if not workers or kwargs.get("persistent_workers"):
        return
    context = kwargs.get("multiprocessing_context")
    if context is None:  # the process's method, else the system's default (listed first)
        method = multiprocessing.get_start_method(allow_none=True)
        method = method or multiprocessing.get_all_start_methods()[0]
    else:
        method = context if isinstance(context, str) else context.get_start_method()
    if method not in ("spawn", "forkserver"):
        return
    from ..logging import print_log

    print_log(
        f"train_dataloader: its {workers} worker(s) start with {method!r}, again at every "
        "epoch, each importing torch and the main script; persistent_workers=True starts "
        "them once for the run.",
        logger="current",
    )


def refuse_config_like(loader: Any, key_path: str) -> None:
    """Refuse what is neither a config dict nor an iterable of batches but looks meant as one.

    Any other object is used as the loader, as in MMEngine: a string would give
    its letters as batches, a list of loader configs its dicts, and the first
    training step fails far from the key that is wrong.
    """
    if isinstance(loader, (str, bytes)):
        raise ConfigTypeError(
            f"{key_path} is the string {loader!r}, not a dataloader: give a dict such as "
            f"{key_path}=dict(dataset=dict(type='MyDataset'), batch_size=32), or a DataLoader."
        )
    if isinstance(loader, (list, tuple)) and loader and all(map(_is_loader_config, loader)):
        if isinstance(loader, tuple) and len(loader) == 1:
            raise ConfigTypeError(
                f"{key_path} is a tuple holding one dataloader config, not the config: a "
                f"trailing comma (`{key_path.rsplit('.', 1)[-1]} = dict(...),`) makes a tuple. "
                "Remove the comma after the closing parenthesis."
            )
        mode = key_path.partition("_dataloader")[0]
        own_loop = (
            f" A {mode} loop of your own that evaluates each dataset apart (MMagic's "
            f"MultiValLoop) gets the list: name it in {mode}_cfg=dict(type=...)."
            if mode in ("val", "test")
            else ""
        )
        raise LoaderListError(
            f"{key_path} is a list of {len(loader)} dataloader config(s), but it takes one: "
            f"write {key_path}=dict(dataset=..., batch_size=...) (to join datasets, use "
            f"dataset=dict(type='ConcatDataset', datasets=[...])).{own_loop}"
        )


def _is_loader_config(item: Any) -> bool:
    """A dataloader config, not a batch that happens to have a ``'dataset'`` key: its
    dataset is a config or a Dataset, or it sets ``batch_size`` or ``sampler``."""
    if not isinstance(item, Mapping) or "dataset" not in item:
        return False
    return (
        isinstance(item["dataset"], (Mapping, Dataset)) or "batch_size" in item or "sampler" in item
    )


def _check_start_method(context: Any, key_path: str) -> None:
    """A ``multiprocessing_context`` given by name must be a start method of this platform."""
    if not isinstance(context, str):
        return  # None, or a context object torch checks itself
    from ..distributed.launch import check_start_method

    check_start_method(
        context,
        f"{key_path}.multiprocessing_context",
        ", or leave it out to use the process-wide one (env_cfg.mp_cfg.mp_start_method)",
    )


def _registries() -> Any:
    from .. import registry

    return registry


def _build_dataset(dataset_cfg: Any, key_path: str) -> Any:
    if dataset_cfg is _MISSING or dataset_cfg is None:
        raise ConfigKeyError(
            f"{key_path} has no 'dataset'. Add dataset=dict(type='<registered dataset>', ...) "
            f"or pass a dataset object."
        )
    if isinstance(dataset_cfg, str):
        raise ConfigTypeError(
            f"{key_path}.dataset is the string {dataset_cfg!r}, not a dataset. To build a "
            f"registered dataset, write {key_path}.dataset=dict(type={dataset_cfg!r}, ...)."
        )
    _refuse_configs_in_a_sequence(
        dataset_cfg, f"{key_path}.dataset", "a dataset", _registries().DATASETS
    )
    if isinstance(dataset_cfg, Mapping):
        dataset = _registries().DATASETS.build(dataset_cfg, _key_path=f"{key_path}.dataset")
        full_init = getattr(dataset, "full_init", None)
        if callable(full_init):  # as MMEngine: a lazily built dataset loads before the loader
            full_init()
    else:
        from ..value_checks import refuse_class

        refuse_class(dataset_cfg, f"{key_path}.dataset", "a dataset")
        dataset = dataset_cfg
    if not isinstance(dataset, IterableDataset):
        if not hasattr(dataset, "__getitem__"):
            raise ConfigTypeError(
                f"{key_path}.dataset is a {type(dataset).__name__}, which has no __getitem__; "
                f"a dataset must be a map-style dataset (ds[i], and len(ds) for the standard "
                f"samplers) or a torch IterableDataset."
            )
        # no __len__: the sampler says whether it needs one (a custom sampler may not)
        if hasattr(dataset, "__len__") and len(dataset) == 0:
            raise ConfigError(
                f"{key_path}.dataset ({type(dataset).__name__}) is empty: it has 0 samples. "
                f"Check its data path / annotation file and its filters."
            )
    return dataset


class SlicedDataset(Dataset):
    """The first ``length`` samples of a map-style dataset (``num_batch_per_epoch``).

    Samplers see only ``len(self)``, so shuffling, rank splitting and resuming
    work on the shortened index range exactly as on a whole dataset. Other
    attributes (``metainfo``, ``get_data_info``, ...) are the wrapped
    dataset's.
    """

    def __init__(self, dataset: Any, length: int) -> None:
        self.dataset = dataset
        self.length = int(length)

    def __getattr__(self, name: str) -> Any:
        dataset = self.__dict__.get("dataset")  # absent while unpickling in a worker
        if dataset is None:
            raise AttributeError(name)
        return getattr(dataset, name)

    @property
    def _dataset(self) -> Any:
        """MMEngine's name for the wrapped dataset (``_SlicedDataset._dataset``), which
        samplers of its users unwrap."""
        return self.dataset

    def __getitem__(self, idx: int) -> Any:
        return self.dataset[idx]

    def __len__(self) -> int:
        return self.length

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dataset!r}, length={self.length})"


def _batch_size(cfg: Mapping[str, Any]) -> int:
    """The loader's batch size: ``batch_size``, else the batch sampler config's, else 1."""
    if "batch_size" in cfg:
        return int(cfg["batch_size"])
    batch_sampler = cfg.get("batch_sampler")
    if isinstance(batch_sampler, Mapping) and "batch_size" in batch_sampler:
        return int(batch_sampler["batch_size"])
    return 1


def _sliced(dataset: Any, length: int, key_path: str) -> Any:
    if isinstance(dataset, IterableDataset):
        raise ConfigError(
            f"{key_path}.num_batch_per_epoch is set, but the dataset {type(dataset).__name__} is "
            f"an IterableDataset, which has no length to cut; remove {key_path}.num_batch_per_epoch."
        )
    if not hasattr(dataset, "__len__"):
        raise ConfigTypeError(
            f"{key_path}.num_batch_per_epoch is set, but the dataset {type(dataset).__name__} has "
            f"no __len__ to cut; give it a __len__ or remove {key_path}.num_batch_per_epoch."
        )
    # never longer than the dataset: a sampler would otherwise hand out missing indices
    return SlicedDataset(dataset, min(length, len(dataset)))


def check_loader_numbers(cfg: Mapping[str, Any], key_path: str) -> None:
    """Refuse a dataloader config's bad numbers (``batch_size``, ``num_workers``,
    ``prefetch_factor``, ``num_batch_per_epoch``) with a ConfigError naming the
    key: ``build_dataloader`` and ``runner-cli config check`` apply the same rules."""
    from ..value_checks import check_number

    value = cfg.get("batch_size", 1)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(
            f"{key_path}.batch_size must be a positive integer, got {value!r}. "
            f"Set it to the number of samples per batch on each process, e.g. batch_size=32."
        )
    num_workers = check_number(
        cfg.get("num_workers", 0) or 0,
        f"{key_path}.num_workers",
        minimum=0,
        integer=True,
        example="num_workers=4 (0 loads in the main process)",
    )
    if cfg.get("prefetch_factor") is not None and num_workers > 0:
        check_number(cfg["prefetch_factor"], f"{key_path}.prefetch_factor", minimum=1, integer=True)
    if "timeout" in cfg:  # torch refuses it only when the loader is made, as its own words
        check_number(cfg["timeout"], f"{key_path}.timeout", minimum=0, example="timeout=60")
    if cfg.get("num_batch_per_epoch") is not None:
        check_number(
            cfg["num_batch_per_epoch"],
            f"{key_path}.num_batch_per_epoch",
            minimum=1,
            integer=True,
            example="num_batch_per_epoch=5 (train and validate on 5 batches per epoch)",
        )


def _check_loader_kwargs(cfg: dict[str, Any], key_path: str) -> dict[str, Any]:
    allowed = set(inspect.signature(DataLoader).parameters) - {"self", "dataset"}
    allowed -= {"sampler", "batch_sampler", "batch_size", "shuffle", "collate_fn", "worker_init_fn"}
    unknown = [key for key in cfg if key not in allowed]
    if unknown:
        names = sorted(allowed | _OWN_KEYS)
        hints = "".join(
            f" {key_path}.{key} is not a dataloader option.{did_you_mean(key, names)}"
            for key in unknown
        )
        # a TypeError too: MMEngine passes these keys to DataLoader as keyword arguments
        raise ConfigTypeError(f"{hints.strip()} Known options: {', '.join(names)}.")
    return dict(cfg)


def _has_parameter(obj: Any, name: str) -> bool:
    try:
        return name in inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return False


def _resolve_type(
    cfg: Mapping[str, Any], registry: Any, key_path: str
) -> tuple[Any, dict[str, Any]]:
    args = dict(cfg)
    if "type" not in args:
        raise ConfigError(
            f"{key_path} has no 'type'. Add type='<name>', e.g. type='DefaultSampler'."
        )
    obj_type = args.pop("type")
    if isinstance(obj_type, str):
        try:
            obj_type = registry.lookup(obj_type)
        except KeyError as exc:
            exc.args = (
                f"{exc.args[0] if exc.args else obj_type} (at config key {key_path + '.type'!r})",
            )
            raise
    return obj_type, args


def _refuse_name(spec: Any, key_path: str) -> None:
    """A bare name where a sampler config belongs: torch would iterate its letters."""
    if isinstance(spec, (str, bytes)):
        raise ConfigTypeError(
            f"{key_path} is the string {spec!r}, not a sampler. Write "
            f"{key_path.rsplit('.', 1)[-1]}=dict(type={spec!r}, ...) to build a registered one."
        )
    _refuse_configs_in_a_sequence(spec, key_path, "a sampler", _registries().DATA_SAMPLERS)


def _refuse_configs_in_a_sequence(spec: Any, key_path: str, what: str, registry: Any) -> None:
    """Config dicts in a list or tuple where one object belongs: a trailing comma
    (``train_ds = dict(...),``) makes a tuple, which would be used as the object itself.
    Configs: dicts whose ``type`` is a class or a name ``registry`` knows (a list of
    samples is a dataset, even samples with a ``type`` key)."""

    def config(item: Any) -> bool:
        kind = item.get("type") if isinstance(item, Mapping) else None
        return isinstance(kind, type) or (isinstance(kind, str) and registry.get(kind) is not None)

    if isinstance(spec, (list, tuple)) and spec and all(config(s) for s in spec):
        comma = (
            " A trailing comma after the dict (`x = dict(...),`) makes such a tuple: remove it."
            if isinstance(spec, tuple) and len(spec) == 1
            else ""
        )
        several = (
            " For several datasets in one, use dict(type='ConcatDataset', datasets=[...])."
            if what == "a dataset" and len(spec) > 1
            else ""
        )
        raise ConfigTypeError(
            f"{key_path} is a {type(spec).__name__} of {len(spec)} config dict(s), not {what} "
            f"or its config dict.{comma}{several}"
        )


def _check_sampler_seed(args: Mapping[str, Any], key_path: str) -> None:
    if args.get("seed") is not None:  # int('x') deep in the sampler otherwise
        from ..value_checks import check_number

        check_number(args["seed"], f"{key_path}.seed", integer=True, example="seed=0")


def check_loader_parts(cfg: Mapping[str, Any], key_path: str) -> None:
    """Refuse what :func:`build_dataloader` refuses before it needs the dataset: a name
    where a sampler config belongs, a sampler's ``seed``, ``collate_fn`` and
    ``worker_init_fn`` (unknown, or given arguments they do not take). Imports
    what they name and builds nothing (``runner-cli config check`` calls it)."""
    for name in ("sampler", "batch_sampler"):
        _refuse_name(cfg.get(name), f"{key_path}.{name}")
    if isinstance(cfg.get("sampler"), Mapping):
        _check_sampler_seed(cfg["sampler"], f"{key_path}.sampler")
    _resolve_function(cfg.get("collate_fn", "default_collate"), f"{key_path}.collate_fn")
    if cfg.get("worker_init_fn") is not None:
        _resolve_function(cfg["worker_init_fn"], f"{key_path}.worker_init_fn")


def _build_sampler(
    sampler_cfg: Any, dataset: Any, seed: int, placement: dict[str, int], key_path: str
) -> Sampler:
    _refuse_name(sampler_cfg, key_path)
    if not isinstance(sampler_cfg, Mapping):
        return sampler_cfg  # a sampler object
    registries = _registries()
    sampler_type, args = _resolve_type(sampler_cfg, registries.DATA_SAMPLERS, key_path)
    _check_sampler_seed(args, key_path)
    defaults: dict[str, Any] = {"dataset": dataset}
    if accepts_argument(sampler_type, "seed"):
        defaults["seed"] = seed
    for name, value in placement.items():  # rank / world_size, for samplers that take them
        if _has_parameter(sampler_type, name):
            defaults[name] = value
    return registries.DATA_SAMPLERS.build(
        {"type": sampler_type, **args}, defaults, _key_path=key_path
    )


def _build_batch_sampler(cfg: Any, sampler: Any, batch_size: int, key_path: str) -> Any:
    _refuse_name(cfg, key_path)
    if not isinstance(cfg, Mapping):
        return cfg
    registries = _registries()
    batch_type, args = _resolve_type(cfg, registries.DATA_SAMPLERS, key_path)
    defaults: dict[str, Any] = {"sampler": sampler}
    if accepts_argument(batch_type, "batch_size"):
        defaults["batch_size"] = batch_size
    return registries.DATA_SAMPLERS.build(
        {"type": batch_type, **args}, defaults, _key_path=key_path
    )


def _check_bound(fn: Callable[..., Any], args: dict[str, Any], key_path: str) -> None:
    """Refuse keyword arguments ``fn`` does not take now, not at the first batch."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # a builtin without a signature: torch will say
    try:
        signature.bind_partial(**args)
    except TypeError as exc:
        name = getattr(fn, "__name__", repr(fn))
        known = [p for p in signature.parameters if p not in ("self", "cls")]
        hints = "".join(did_you_mean(key, known) for key in args if key not in known)
        raise BuildError(
            f"{key_path} gives {name} arguments it does not take ({exc}).{hints} "
            f"Its arguments are: {', '.join(known) or '(none)'}; fix config key {key_path!r}."
        ) from None


def _resolve_function(spec: Any, key_path: str) -> Callable[..., Any]:
    """A FUNCTIONS name, ``dict(type=name_or_callable, **kwargs)`` or a callable."""
    if isinstance(spec, Mapping):
        args = dict(spec)
        if "type" not in args:
            raise ConfigError(
                f"{key_path} has no 'type'. Write e.g. {key_path.rsplit('.', 1)[-1]}=dict(type='pseudo_collate')."
            )
        fn = _resolve_function(args.pop("type"), f"{key_path}.type")
        if not args:
            return fn
        _check_bound(fn, args, key_path)
        return functools.partial(fn, **args)
    if isinstance(spec, str):
        try:
            return _registries().FUNCTIONS.lookup(spec)
        except KeyError as exc:
            message = f"{exc.args[0] if exc.args else spec} (at config key {key_path!r})"
            if type(exc) is RegistryError:  # unknown: MMEngine calls the None it got, a TypeError
                raise RegistryTypeError(message) from None
            exc.args = (message,)
            raise
    if callable(spec):
        return spec
    raise ConfigError(
        f"{key_path} must be a function name, a dict(type=...) or a callable, got {spec!r}."
    )


__all__ = [
    "SlicedDataset",
    "WorkerSeeder",
    "build_dataloader",
    "check_loader_numbers",
    "check_loader_parts",
    "refuse_config_like",
]
