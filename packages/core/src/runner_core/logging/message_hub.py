"""MessageHub: where the runner, loops, hooks and models share runtime values.

Scalars (losses, lr, times) are kept as short histories so a logger can smooth
them; anything else (epoch, iter, the config text, best scores) is "info".
Values may be tensors. A history reads them only when it is read itself,
all those recorded since its last read together (scalars on a GPU with one
device wait), and keeps their floats: a training step never waits on a
device sync just to be logged, and never pays for a read nobody needs yet.
(In a small job one ``tensor.item()`` per iteration, between the model's
kernels, costs about 1 % of the step; fifty of them in a row, when a log
line is written, cost a few microseconds.)
``update_scalar`` still reads a one-element CPU tensor at once, as MMEngine
does, so a caller's graph is never kept alive; ``RuntimeInfoHook`` records
each step's detached outputs through ``history(key).append`` instead.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from itertools import count, islice, repeat, starmap, takewhile
from operator import is_, is_not, methodcaller
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import RunnerError
from .thread_current import CurrentPerThread

if TYPE_CHECKING:
    import numpy as np

# The read path below runs its loops in C (map, takewhile, starmap): a log line reads
# every history, fifty values at W1's interval, and each Python-level step of a loop
# costs ~40 ns there, between the model's kernels (docs/benchmarks.md).
_item = methodcaller("item")
_not_a_float_type = partial(is_not, float)
_PLAIN_NUMBERS = frozenset((float, int))
_Method = TypeVar("_Method", bound=Callable[..., Any])  # register_statistics keeps its type


def _as_float(value: Any) -> float:
    if isinstance(value, float):
        return value
    item = getattr(value, "item", None)
    return float(item() if item is not None else value)


def _numpy_float(value: float) -> np.float64:
    """``value`` as the numpy float MMEngine's statistics return (its history is a float64
    array): ``.item()``, ``.round(2)`` and ``.dtype`` work, and it is still a ``float``."""
    import numpy as np

    return np.float64(value)


def _read_floats(values: list[Any]) -> list[float]:
    """``values`` as floats; scalars on one device are read together, with one device wait.

    Reading a GPU scalar waits for the device and copies it back: fifty of
    them one by one cost fifty waits and copies, stacked they cost one.
    CPU tensors are read one by one (cheaper than stacking them).
    """
    if len(values) > 1 and getattr(values[0], "is_cpu", True) is False:
        together = _read_together(values)
        if together is not None:
            return together
    try:  # tensors and numpy scalars: their item(), read in one C loop
        return list(map(float, map(_item, values)))
    except Exception:  # e.g. an int (no item()): one by one, raising what a read raises
        return [_as_float(v) for v in values]


def _read_together(values: list[Any]) -> list[float] | None:
    """Zero-dimensional tensors on one device as floats, stacked; None when they are not."""
    import torch  # the values are tensors: torch is imported already

    head = values[0]
    if not isinstance(head, torch.Tensor):
        return None
    device = head.device
    if not all(isinstance(v, torch.Tensor) and v.dim() == 0 and v.device == device for v in values):
        return None
    try:
        with torch.no_grad():
            read = torch.stack(values).tolist()
    except RuntimeError:  # e.g. meta tensors (no data): one by one, which raises as before
        return None
    return [float(x) for x in read]


def cpu_scalar_as_float(value: Any) -> Any:
    """``value`` as a float when it is a one-element CPU tensor, else ``value`` itself."""
    if getattr(value, "is_cpu", False) and value.numel() == 1:
        return value.item()
    return value


class ScalarError(RunnerError, AssertionError, TypeError):
    """A value recorded as a scalar is not one number (MMEngine asserts the same)."""


class HistoryData(tuple):
    """MMEngine's ``(values, counts)`` numpy arrays, and callable for the list of floats."""

    def __new__(cls, floats: list[float], counts: Sequence[int] | None = None) -> HistoryData:
        import numpy as np

        values = np.asarray(floats, dtype=np.float64)
        if counts is None:
            counts_array = np.ones(len(floats), dtype=np.int64)
        else:
            counts_array = np.asarray(counts, dtype=np.int64)
        return super().__new__(cls, (values, counts_array))

    def __call__(self) -> list[float]:
        return self[0].tolist()  # float64 holds each float exactly


class HistoryBuffer:
    """The last ``max_length`` values of one scalar, and how many samples each one stands for.

    MMEngine's signature and ``update(value, count=1)``: a value recorded with
    ``count=n`` is a sum over ``n`` samples, so ``mean`` is the sum of the
    values over the sum of their counts. ``append`` is a bound
    ``deque.append`` for values of count 1: recording a value per iteration
    costs one call (the standard hooks use it). Tensors are read when the
    history is (``_settle``). Keeps 1,000 values by default (MMEngine a
    million): memory stays flat however long a run is.
    """

    __slots__ = ("_values", "_counts", "append")

    #: statistics added with ``register_statistics``, by name (shared by every buffer)
    _statistics_methods: dict[str, Callable[..., Any]] = {}

    def __init__(
        self,
        log_history: Sequence[Any] = (),
        count_history: Sequence[int] = (),
        max_length: int = 1000,
    ) -> None:
        if len(count_history) and len(count_history) != len(log_history):  # arrays too
            raise ScalarError(
                f"HistoryBuffer got {len(log_history)} values but {len(count_history)} counts."
            )
        self._values: deque[Any] = deque(log_history, maxlen=max_length)
        # counts of the values, only once one is not 1 (aligned with _values from the right)
        self._counts: deque[int] | None = None
        if any(count != 1 for count in count_history):
            self._counts = deque(count_history, maxlen=max_length)
        self.append = self._values.append

    def update(self, log_val: Any, count: int | float = 1) -> None:
        """Record ``log_val``, a sum over ``count`` samples (MMEngine's ``HistoryBuffer.update``)."""
        if type(log_val) is not float and not _recordable(log_val):  # MMEngine: TypeError
            # refused here, so the buffer stays readable (a bad value kept would fail every read)
            raise ScalarError(
                f"HistoryBuffer.update got {type(log_val).__name__} {log_val!r:.80}; a value is "
                "one number or a one-element tensor or array."
            )
        self._add(log_val, count)

    def _add(self, log_val: Any, count: int | float) -> None:
        """``update`` of a value already checked (``MessageHub.update_scalar`` checks its own)."""
        if count == 1 and self._counts is None:
            self._values.append(log_val)
            return
        if isinstance(count, float) and count.is_integer():  # MMEngine takes float counts
            count = int(count)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ScalarError(f"HistoryBuffer.update: count must be an int >= 1, got {count!r}.")
        counts = self._counts
        if counts is None:
            counts = self._counts = deque(repeat(1, len(self._values)), maxlen=self._values.maxlen)
        elif len(counts) < len(self._values):  # values appended with count 1 since
            counts.extend(repeat(1, len(self._values) - len(counts)))
        self._values.append(log_val)
        counts.append(count)

    @property
    def max_length(self) -> int | None:
        return self._values.maxlen

    def _lengthen(self, max_length: int) -> None:
        """Keep up to ``max_length`` values from now on (``MessageHub.history``)."""
        self._values = deque(self._values, maxlen=max_length)
        if self._counts is not None:
            self._counts = deque(self._counts, maxlen=max_length)
        self.append = self._values.append

    def _settle(self) -> None:
        """Replace the values recorded since the last read with their floats.

        They are the newest entries, after the last float: found from the
        right end and read in one pass. (A tensor recorded before a float is
        left as it is and read on every read, as before.)
        """
        values = self._values
        if not values or type(values[-1]) is float:
            return
        k = len(list(takewhile(_not_a_float_type, map(type, reversed(values)))))
        unread = list(islice(reversed(values), k))
        unread.reverse()
        floats = _read_floats(unread)
        deque(starmap(values.pop, repeat((), k)), maxlen=0)  # k pops, in C
        values.extend(floats)

    def mark(self) -> tuple[int, Any]:
        """Where the history ends now, for :meth:`count_since` (a validation pass's
        start, say: how many values a hook recorded during the pass)."""
        self._settle()
        values = self._values
        return len(values), (values[-1] if values else None)

    def count_since(self, mark: tuple[int, Any]) -> int:
        """How many of the kept values were recorded since ``mark`` was taken."""
        length, last = mark
        self._settle()
        values = self._values
        if values.maxlen is None or len(values) < values.maxlen:  # none dropped: exact
            return max(len(values) - length, 0)
        # full: the marked value, found from the newest end, unless it was dropped
        for since, value in enumerate(reversed(values)):
            if value is last:
                return since
        return len(values)

    def current(self) -> np.float64:
        """The latest value (a numpy float, as MMEngine's: ``.item()`` works)."""
        if not self._values:
            raise ValueError("the history is empty")
        self._settle()
        return _numpy_float(_as_float(self._values[-1]))

    def read_newest(self, values: list[Any]) -> list[float] | None:
        """The floats of ``values`` if they are this history's newest entries, else None.

        For a hook that keeps the very objects this history records (the NaN
        guard keeps each step's loss tensor): it reads them here, so each is
        read once for both (on a GPU, one device wait instead of two), and
        the next log line finds them read. None, with nothing read, when the
        newest entries are not ``values`` (compared by identity): already
        read, or recorded by another writer; the caller then reads its own.
        """
        k = len(values)
        kept = self._values
        if not k or k > len(kept):
            return None
        newest = list(islice(reversed(kept), k))
        newest.reverse()
        if not all(map(is_, newest, values)):
            return None
        self._settle()
        floats = list(islice(reversed(kept), k))
        floats.reverse()
        return floats

    def _window(self, window: int | None) -> list[Any]:
        self._settle()
        if window is not None and window < 0:
            # MMEngine slices [-window:]: all but the oldest |window| (BenchmarkHook's
            # mean(len(loader) - 50)); none left is a NaN mean there, not an error
            return list(self._values)[-window:]
        if window and window < len(self._values):  # the newest values, without copying all
            values = list(islice(reversed(self._values), window))
        else:
            values = list(self._values)
        if not values:
            raise ValueError("the history is empty")
        return values

    def _numbers(self, window: int | None) -> list[Any]:
        """The window's values as plain numbers (usually they already are: no copy)."""
        values = self._window(window)
        if _PLAIN_NUMBERS.issuperset(map(type, values)):
            return values
        return [_as_float(v) for v in values]  # e.g. a tensor recorded before a float

    def mean(self, window_size: int | None = None) -> np.float64:
        """Mean of the last ``window_size`` values (all kept when None), weighted by counts."""
        values = self._numbers(window_size)
        if not values:  # a negative window past the history: MMEngine's 0 / 0
            return _numpy_float(float("nan"))
        if self._counts is None:
            return _numpy_float(float(sum(values)) / len(values))
        return _numpy_float(float(sum(values)) / sum(self._count_window(len(values))))

    def _count_window(self, n: int) -> list[int]:
        """The counts of the newest ``n`` values (values appended without one count 1)."""
        counts = list(self._counts or ())
        counts += [1] * (len(self._values) - len(counts))
        return counts[len(counts) - n :]

    @classmethod
    def register_statistics(cls, method: _Method) -> _Method:
        """Make ``method(buffer, *args)`` callable as ``buffer.statistics(method.__name__, *args)``.

        MMEngine's decorator, for log processors with their own statistics
        (``custom_cfg`` entries naming them). ``_log_history`` and
        ``_count_history`` read the values as MMEngine's numpy arrays.
        """
        name = getattr(method, "__name__", None)
        if not isinstance(name, str) or not callable(method):
            raise ScalarError(
                f"HistoryBuffer.register_statistics takes a function, got {method!r}."
            )
        if name in _BUILTIN_STATISTICS or name in cls._statistics_methods:
            raise ScalarError(
                f"HistoryBuffer.register_statistics: a statistic {name!r} exists already; "
                "give the function another name (a method cannot be registered twice)."
            )
        cls._statistics_methods[name] = method
        return method

    def statistics(self, method_name: str, *args: Any, **kwargs: Any) -> Any:
        """MMEngine's ``statistics('mean', 10)``: mean, max, min, current or a registered one."""
        if method_name in _BUILTIN_STATISTICS:
            method: Any = getattr(self, method_name)
            return float(method(*args, **kwargs))
        custom = self._statistics_methods.get(method_name)
        if custom is None:
            from ..errors import did_you_mean

            known = [*_BUILTIN_STATISTICS, *self._statistics_methods]
            raise KeyError(
                f"HistoryBuffer has no statistic {method_name!r}; use one of {known}, or add "
                "one with @HistoryBuffer.register_statistics." + did_you_mean(method_name, known)
            )
        return custom(self, *args, **kwargs)

    def max(self, window_size: int | None = None) -> np.float64:
        """Largest of the last ``window_size`` values (all kept when None)."""
        return _numpy_float(float(max(self._numbers(window_size))))

    def min(self, window_size: int | None = None) -> np.float64:
        """Smallest of the last ``window_size`` values (all kept when None)."""
        return _numpy_float(float(min(self._numbers(window_size))))

    @property
    def _log_history(self) -> Any:
        """The values as MMEngine's numpy array (what its registered statistics read)."""
        return self.data[0]

    @property
    def _count_history(self) -> Any:
        """The counts as MMEngine's numpy array (what its registered statistics read)."""
        return self.data[1]

    def __len__(self) -> int:
        return len(self._values)

    @property
    def data(self) -> HistoryData:
        """The kept values: ``data()`` as a list of floats, or MMEngine's ``(values, counts)``.

        MMEngine's ``HistoryBuffer.data`` is a property holding two numpy
        arrays (``buf.data[0]``); ours was a method returning the floats
        (``buf.data()``). Both spellings work.
        """
        floats = self._floats()
        return HistoryData(
            floats, None if self._counts is None else self._count_window(len(floats))
        )

    def _floats(self) -> list[float]:
        self._settle()
        values = self._values
        if not any(map(_not_a_float_type, map(type, values))):  # the usual case, in C
            return list(values)
        return [_as_float(v) for v in values]

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"values": self._floats(), "max_length": self._values.maxlen}
        if self._counts is not None:
            state["counts"] = self._count_window(len(self._values))
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Replace the values in place (hooks may hold this buffer)."""
        self._values.clear()
        self._values.extend(state["values"])
        counts = state.get("counts")
        self._counts = None if counts is None else deque(counts, maxlen=self._values.maxlen)

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> HistoryBuffer:
        buf = cls(max_length=state.get("max_length") or 1000)
        buf.load_state_dict(state)
        return buf


_CREATED = count()  # MessageHub._created


class _HubTable(weakref.WeakValueDictionary[str, "MessageHub"]):
    """The hubs by name. Cleared (a tear-down written for MMEngine clears
    ``MessageHub._instance_dict``), it forgets the hubs newer ones replaced too."""

    def clear(self) -> None:
        super().clear()
        MessageHub._shadowed.clear()


_BUILTIN_STATISTICS = ("mean", "max", "min", "current")


class MessageHub:
    """Scalars and runtime info of one run.

    Every hub is kept by name, as MMEngine's are, so code far from the runner
    (a model, a metric) reaches the run's hub with ``get_current_instance()``
    (the latest created; in a thread that made or claimed a hub of its own
    while another thread made the latest, its own: see
    :mod:`~runner_core.logging.thread_current`) or ``get_instance(experiment_name)``.
    """

    # Every live hub, in creation order (the last is current). Weak, so the hubs of
    # finished runners go away with them; hubs made by get_instance are also kept
    # strongly, as a caller expects to find one again by name later.
    _instances: weakref.WeakValueDictionary[str, MessageHub] = _HubTable()
    #: MMEngine's name for the table, which ported tests clear between tests
    _instance_dict = _instances
    _kept: dict[str, MessageHub] = {}
    #: (hub, the newer one of its name that replaced it) (two Runners with one
    #: experiment_name), oldest first: the hub is found by its name again once the newer
    #: one is gone (not when a tear-down cleared the table while the newer one lives)
    _shadowed: dict[str, list[tuple[weakref.ref[MessageHub], weakref.ref[MessageHub]]]] = {}
    _shadow_lock = threading.Lock()
    _per_thread = CurrentPerThread()

    def __init__(
        self,
        name: str = "runner",
        log_scalars: Mapping[str, HistoryBuffer] | None = None,
        runtime_info: Mapping[str, Any] | None = None,
        resumed_keys: Mapping[str, bool] | None = None,
    ) -> None:
        self.name = name
        self._scalars: dict[str, HistoryBuffer] = dict(log_scalars or {})
        self._info: dict[str, Any] = dict(runtime_info or {})
        for key, buf in self._scalars.items():  # MMEngine asserts both (AssertionErrors)
            if not isinstance(buf, HistoryBuffer):
                raise ScalarError(
                    f"MessageHub({name!r}, log_scalars=...): {key!r} holds "
                    f"{type(buf).__name__}, not a HistoryBuffer; pass "
                    f"log_scalars={{{key!r}: HistoryBuffer([...])}}."
                )
        for key in resumed_keys or {}:
            if key not in self._scalars and key not in self._info:
                raise ScalarError(
                    f"MessageHub({name!r}, resumed_keys=...): {key!r} is neither in "
                    "log_scalars nor in runtime_info; resumed_keys names keys of those two."
                )
        # keys recorded with resumed=False: left out of checkpoints (MMEngine's resumed_keys)
        self._not_resumed: set[str] = {k for k, keep in (resumed_keys or {}).items() if not keep}
        self._reserved: dict[str, int] = {}  # key -> values its history keeps (reserve)
        self._created = next(_CREATED)  # the order hubs were made in (see _unshadow)

    @classmethod
    def create(cls, name: str, **kwargs: Any) -> MessageHub:
        """A new hub called ``name``, made the current one (replacing one of that name).

        ``MessageHub(...)`` itself makes a free-standing hub, as MMEngine's
        constructor does: a hook's scratch hub does not become the run's current one.
        """
        hub = cls(name, **kwargs)
        older = MessageHub._instances.pop(name, None)
        if older is not None:
            with MessageHub._shadow_lock:
                pairs = MessageHub._shadowed.setdefault(name, [])
                pairs[:] = [pair for pair in pairs if pair[0]() is not None]  # no dead ones
                pairs.append((weakref.ref(older), weakref.ref(hub)))
        MessageHub._kept.pop(name, None)
        MessageHub._instances[name] = hub
        MessageHub._per_thread.made(hub)
        return hub

    @classmethod
    def get_instance(cls, name: str, **kwargs: Any) -> MessageHub:
        """The hub called ``name``, created (and made current) from ``kwargs`` if there is none yet."""
        if cls._shadowed:
            cls._unshadow()
        hub = cls._instances.get(name)
        if hub is None:
            hub = cls.create(name, **kwargs)
            cls._kept[name] = hub
        elif kwargs:
            from ..utils.manager import warn_arguments_ignored

            warn_arguments_ignored(cls.__name__, name, kwargs)
        return hub

    @property
    def instance_name(self) -> str:
        """The hub's name (MMEngine's ``ManagerMixin.instance_name``)."""
        return self.name

    @property
    def resumed_keys(self) -> dict[str, bool]:
        """Every scalar and info key: whether a checkpoint keeps it (``resumed=``)."""
        return {key: key not in self._not_resumed for key in [*self._scalars, *self._info]}

    def _resumed(self, key: str, resumed: bool) -> None:
        if resumed:
            self._not_resumed.discard(key)
        else:
            self._not_resumed.add(key)

    @classmethod
    def get_current_instance(cls) -> MessageHub:
        """The most recently created hub still alive (in a thread running a run of its
        own, that run's: see :mod:`.thread_current`); one named 'runner' if there is none."""
        if cls._shadowed:
            cls._unshadow()
        names = list(cls._instances.keys())
        for name in reversed(names):
            hub = cls._instances.get(name)
            if hub is not None:
                if not cls._per_thread.shared:  # one thread so far: MMEngine's rule
                    return hub
                return cls._per_thread.pick(hub, lambda own: cls._instances.get(own.name) is own)
        return cls.get_instance("runner")

    def claimed_current(self) -> contextlib.AbstractContextManager[None]:
        """This hub is current in the calling thread for the ``with`` block, whichever
        thread made the latest (a Runner's run call claims its own)."""
        return MessageHub._per_thread.claimed(self)

    @classmethod
    def check_instance_created(cls, name: str) -> bool:
        """Whether a live hub is called ``name`` (``get_instance`` would not create one)."""
        if cls._shadowed:
            cls._unshadow()
        return name in cls._instances

    @classmethod
    def _unshadow(cls) -> None:
        """Put back, under its name and in creation order, the newest live hub whose
        newer namesake is gone (MMEngine's two Runners of one name share one hub)."""
        with cls._shadow_lock:
            back = False
            for name, pairs in list(cls._shadowed.items()):
                while name not in cls._instances and pairs and pairs[-1][1]() is None:
                    hub = pairs.pop()[0]()  # its newer namesake is gone: it is found again
                    if hub is not None:
                        cls._instances[name] = hub
                        back = True
                if not pairs:
                    del cls._shadowed[name]
            if back:  # the table's order says which hub is current: the newest created
                created = sorted(cls._instances.values(), key=lambda h: getattr(h, "_created", -1))
                for hub in created:  # moved to the end, in creation order
                    cls._instances.pop(hub.name, None)
                    cls._instances[hub.name] = hub

    # scalars
    def update_scalar(self, key: str, value: Any, count: int = 1, resumed: bool = True) -> None:
        """Record ``value``: a number, or a one-element tensor or array (read when logged).

        ``count``: how many samples ``value`` sums over (``mean`` divides by
        the counts); ``resumed=False`` leaves the key out of checkpoints.
        """
        value = cpu_scalar_as_float(value)
        if type(value) is not float and not _is_one_number(value):
            raise ScalarError(
                f"MessageHub.update_scalar({key!r}, ...) got {type(value).__name__} {value!r:.80}; "
                "a scalar is one number or a one-element tensor or array. For a value with a "
                "count, use update_scalar(key, value, count=n) or "
                "update_scalars({key: dict(value=..., count=n)}); other values go to update_info."
            )
        buf = self._scalars.get(key)
        if buf is None:  # kept only once the first value is accepted (a refused count
            # must not leave an empty history that later reads fail on)
            buf = HistoryBuffer(max_length=self._reserved.get(key, 1000))
            buf._add(value, count)
            self._scalars[key] = buf
        else:
            buf._add(value, count)
        if not resumed or self._not_resumed:
            self._resumed(key, resumed)

    def history(self, key: str) -> HistoryBuffer:
        """The buffer of ``key``, created if needed; hooks may keep it across iterations."""
        buf = self._scalars.get(key)
        if buf is None:
            buf = self._scalars[key] = HistoryBuffer(max_length=self._reserved.get(key, 1000))
        return buf

    def reserve(self, key: str, max_length: int) -> None:
        """Keep at least ``max_length`` values of ``key`` (a history keeps 1,000 by default).

        For statistics over long windows (``log_processor.custom_cfg``'s ``'epoch'``
        and ``'global'``; the Runner reserves those when it is built). A history made
        later is made that long; one that exists is lengthened, its values kept. Call it
        before any hook binds the history's ``append`` (the hooks' ``before_run``): a
        bound ``append`` goes on filling the shorter store it was taken from.
        """
        self._reserved[key] = max(self._reserved.get(key, 0), int(max_length))
        buf = self._scalars.get(key)
        if buf is not None and (buf.max_length or 0) < max_length:
            buf._lengthen(max_length)

    def update_scalars(
        self, log_dict: Mapping[str, Any], resumed: bool = True, prefix: str = ""
    ) -> None:
        """Record several scalars; a value may be ``dict(value=..., count=n)`` (as in MMEngine)."""
        try:
            items = log_dict.items()
        except AttributeError:  # no isinstance check: this may run every iteration
            raise _not_a_dict("update_scalars", log_dict) from None
        for key, value in items:
            count = 1
            if isinstance(value, Mapping):
                if "value" not in value:
                    raise ScalarError(
                        f"MessageHub.update_scalars: {key!r} is a dict without 'value'; give "
                        "dict(value=..., count=n) or a number."
                    )
                count = value.get("count", 1)
                count = int(cpu_scalar_as_float(count)) if not isinstance(count, int) else count
                value = value["value"]
            self.update_scalar(prefix + key, value, count, resumed)

    def get_scalar(self, key: str) -> HistoryBuffer:
        """The history of ``key`` (``.current()``, ``.mean(n)``); a KeyError when none was
        recorded (``history(key)`` makes an empty one instead)."""
        try:
            return self._scalars[key]
        except KeyError:
            from ..errors import did_you_mean

            known = sorted(self._scalars)
            listing = f"known: {', '.join(known)}" if known else "it holds no scalars yet"
            raise KeyError(
                f"No scalar {key!r} in the message hub {self.instance_name!r}; {listing}."
                f"{did_you_mean(key, known)} A scalar exists once update_scalar() was called "
                "for it."
            ) from None

    @property
    def log_scalars(self) -> dict[str, HistoryBuffer]:
        """Every scalar's history by key, those with a value recorded."""
        scalars = self._scalars
        if all(map(len, scalars.values())):  # the usual case: the dict itself, as MMEngine's
            return scalars
        # histories a hook made ready (``history(key)``) but has not filled yet are not
        # there yet, as in MMEngine, where a key appears with its first value
        return {key: buf for key, buf in scalars.items() if len(buf)}

    # info
    def update_info(self, key: str, value: Any, resumed: bool = True) -> None:
        """Store ``value`` under ``key``, replacing what was there (epoch, iter, a best
        score...); ``resumed=False`` leaves the key out of checkpoints."""
        self._info[key] = value
        if not resumed or self._not_resumed:
            self._resumed(key, resumed)

    def update_info_dict(self, info_dict: dict[str, Any], resumed: bool = True) -> None:
        """``update_info`` for each item of ``info_dict`` (MMEngine's parameter name)."""
        if not isinstance(info_dict, Mapping):
            raise _not_a_dict("update_info_dict", info_dict)
        self._info.update(info_dict)
        if not resumed or self._not_resumed:
            for key in info_dict:
                self._resumed(key, resumed)

    def get_info(self, key: str, default: Any = None) -> Any:
        """The info stored under ``key`` (the value itself, not a copy), else ``default``."""
        return self._info.get(key, default)

    def pop_info(self, key: str, default: Any = None) -> Any:
        """Remove ``key``'s info and return it, else ``default``."""
        return self._info.pop(key, default)

    @property
    def runtime_info(self) -> dict[str, Any]:
        """All info by key (the hub's own dict, as MMEngine's)."""
        return self._info

    def __iter__(self) -> Iterator[str]:
        return iter(self._scalars)

    # checkpoints: plain data only, so checkpoints load with weights_only=True
    def state_dict(self) -> dict[str, Any]:
        """The scalars, info and resumed keys a checkpoint saves, as plain data (copies);
        keys recorded with ``resumed=False`` are left out."""
        skip = self._not_resumed
        # copies, as MMEngine's: the state does not change when the hub's values do later
        info = {}
        for k, v in self._info.items():
            if k in skip:
                continue
            v = _to_plain(v)
            if _is_plain(v):
                info[k] = copy.deepcopy(v)
            else:  # MMEngine saves it (pickled); we cannot load it with weights_only: say so
                _warn_unsaved(k, v)
        scalars = {k: b.state_dict() for k, b in self._scalars.items() if k not in skip}
        # MMEngine's MessageHub refuses a state without resumed_keys (its resume asserts it)
        # (True: saved; False: left out on purpose; info that is not plain data: not listed)
        resumed = {k: k not in skip for k in self._scalars}
        resumed.update({k: k not in skip for k in self._info if k in info or k in skip})
        return {"log_scalars": scalars, "runtime_info": info, "resumed_keys": resumed}

    def load_state_dict(self, state_dict: dict[str, Any] | MessageHub) -> None:
        """Load ``state_dict()``'s output, or copy all of another hub (as MMEngine's).

        Values are copied: later changes to either hub do not show in the other.
        """
        state = state_dict  # MMEngine's parameter name (a keyword call works)
        if isinstance(state, MessageHub):  # MMEngine: old checkpoints pickled the hub itself
            other = state
            state = {  # all of it, the keys not resumed and info that is not plain data too
                "log_scalars": {k: b.state_dict() for k, b in other.log_scalars.items()},
                "runtime_info": other.runtime_info,
                "resumed_keys": other.resumed_keys,
            }
        elif not isinstance(state, Mapping):
            raise _not_a_dict("load_state_dict", state)
        # in place: a hook holding a buffer keeps seeing the restored history
        for key, buf_state in state.get("log_scalars", {}).items():
            buf_state = _history_state(buf_state, key)
            if key in self._scalars:
                self._scalars[key].load_state_dict(buf_state)
            else:  # a reserved key keeps what the state holds beyond the default length
                length = max(buf_state.get("max_length") or 1000, self._reserved.get(key, 0))
                kept = {**buf_state, "max_length": length}
                self._scalars[key] = HistoryBuffer.from_state_dict(kept)
        for key, value in state.get("runtime_info", {}).items():
            try:
                self._info[key] = copy.deepcopy(value)
            except Exception:  # e.g. a lock or a module holding one: kept as it is, as MMEngine
                self._info[key] = value
        # whether later checkpoints save each loaded key (MMEngine's checkpoints say it too)
        for key, keep in (state.get("resumed_keys") or {}).items():
            if key in self._scalars or key in self._info:
                self._resumed(key, bool(keep))


def _not_a_dict(method: str, value: Any) -> ScalarError:
    return ScalarError(
        f"MessageHub.{method} takes a dict, got {type(value).__name__} {value!r:.80}; "
        "e.g. {'key': value}."
    )


def _history_state(state: Any, key: str) -> dict[str, Any]:
    """A history's saved state; an MMEngine ``HistoryBuffer`` object (a checkpoint MMEngine
    wrote, loaded with ``allow_pickle``) becomes ours."""
    values = getattr(state, "_log_history", None)  # first: a stand-in for one is a dict
    if values is None and isinstance(state, Mapping):
        return dict(state)
    if values is None:
        raise ScalarError(
            f"The checkpoint's message hub holds {type(state).__name__} for {key!r}, which is "
            "neither this runner's history state nor an MMEngine HistoryBuffer."
        )
    counts = [int(c) for c in getattr(state, "_count_history", [1] * len(values))]
    converted: dict[str, Any] = {"values": [float(v) for v in values]}
    if any(c != 1 for c in counts):
        converted["counts"] = counts
    converted["max_length"] = 1000  # ours: flat memory (MMEngine keeps a million)
    return converted


def _is_one_number(value: Any) -> bool:
    """An int (bools too, as MMEngine), a float or a one-element tensor / numpy value."""
    if isinstance(value, (int, float)):
        return True
    numel = getattr(value, "numel", None)  # a tensor: its size, without reading a GPU value
    if callable(numel):
        return bool(numel() == 1)
    return getattr(value, "size", None) == 1 and hasattr(value, "item")


def _recordable(value: Any) -> bool:
    """One number, or a value of another library read by its ``item()`` when the history is
    read (a value without ``numel`` or ``size`` to say it holds more than one)."""
    if _is_one_number(value):
        return True
    if isinstance(value, (str, bytes)) or hasattr(value, "numel") or hasattr(value, "size"):
        return False
    return callable(getattr(value, "item", None))


def _to_plain(value: Any) -> Any:
    """numpy scalars as Python numbers, tensors detached on the CPU, containers mapped:
    what ``torch.load(weights_only=True)`` reads back (MMEngine pickles these as they are)."""
    import sys

    np = sys.modules.get("numpy")
    torch = sys.modules.get("torch")
    if np is not None and isinstance(value, np.generic):
        return value.item()
    if np is not None and isinstance(value, np.ndarray) and torch is not None:
        try:
            return torch.from_numpy(value.copy())  # weights_only cannot load ndarrays
        except TypeError:  # strings, objects: no tensor holds them (left out, and said so)
            return value
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_to_plain(v) for v in value) if type(value) in (list, tuple) else value
    if type(value) is dict:
        return {k: _to_plain(v) for k, v in value.items()}
    return value


_warned_unsaved: set[str] = set()


def _warn_unsaved(key: str, value: Any) -> None:
    if key in _warned_unsaved:
        return
    _warned_unsaved.add(key)
    import warnings

    warnings.warn(
        f"MessageHub.state_dict(): runtime info {key!r} ({type(value).__name__}) is not "
        "saved in checkpoints (only plain data and tensors load with weights_only=True); "
        f"pass update_info({key!r}, ..., resumed=False) to silence this.",
        UserWarning,
        stacklevel=3,
    )


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if type(value).__name__ == "Tensor" and type(value).__module__ == "torch":
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False
