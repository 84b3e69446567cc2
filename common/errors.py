"""The one base class of the errors veille reports to its user.

Every user-facing error (a database veille cannot use, a bad sources file, a run that cannot
start...) subclasses `VeilleError`, so the CLI maps them all to a message and an exit code in
one place. Each message names what was wrong and, where it helps, what to do.
"""

from __future__ import annotations


class VeilleError(Exception):
    """An error whose message is meant for the person running veille."""
