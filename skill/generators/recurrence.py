"""The todo system's recurrence module: when a recurring task is due next.

Not a generator of its own: the recurring-task service plans one `FilePlan(..., SNIPPET, context_for(...))` into
its app package, beside the models module whose `Recurrence` and `Frequency` it reads, and adds `REQUIREMENTS`
to the service's dependencies (`DEV_REQUIREMENTS` to its dev group: mypy needs dateutil's stubs).
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass

from skill.imports import Import, Imports, sections

__all__ = ["DEV_REQUIREMENTS", "REQUIREMENTS", "SNIPPET", "RecurrenceContext", "context_for"]

SNIPPET = "project/recurrence"
REQUIREMENTS = ("python-dateutil>=2.9",)
# dateutil ships no type information; without the stubs `mypy --strict` refuses the import.
DEV_REQUIREMENTS = ("types-python-dateutil>=2.9",)


@dataclass(frozen=True)
class RecurrenceContext:
    imports: Imports
    models_module: str  # the sibling module (imported relatively) that defines Recurrence and Frequency


def context_for(models_module: str = "events") -> RecurrenceContext:
    """The context of the recurrence module for an app package whose models module is `models_module`."""
    # Callers pass a name their own spec already checked; a bad one here is a defect of the caller.
    if not models_module.isidentifier() or keyword.iskeyword(models_module):
        raise ValueError(f"models_module must be a Python module name, got {models_module!r}")
    std = [
        Import("calendar"),
        Import("itertools"),
        *(Import("datetime", n) for n in ("MAXYEAR", "MINYEAR", "datetime", "timedelta")),
    ]
    lib = [Import("dateutil.rrule", "rrule", third_party=True), Import("dateutil.rrule", "rrulestr", third_party=True)]
    local = [Import(f".{models_module}", "Frequency"), Import(f".{models_module}", "Recurrence")]
    return RecurrenceContext(sections(std, lib, local), models_module)
