"""MMEngine's module name ``mmengine.dist``, for code ported by changing its imports.

``runner_core.dist`` is :mod:`runner_core.distributed` itself, whichever way it is
reached: ``import runner_core.dist``, ``from runner_core.dist import get_dist_info``,
or ``runner_core.dist.get_dist_info()``.
"""

import sys

from . import distributed

sys.modules[__name__] = distributed
