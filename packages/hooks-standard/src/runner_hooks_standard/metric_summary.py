"""Shorten a validation line: large families of per-class metrics become one summary.

The code lives in ``runner_core.logging.metric_summary`` (the ``LogProcessor``
builds the same lines); it is re-exported here for existing imports.
"""

from __future__ import annotations

from runner_core.logging.metric_summary import MAX_GROUP_ENTRIES, summarise_groups

__all__ = ["MAX_GROUP_ENTRIES", "summarise_groups"]
