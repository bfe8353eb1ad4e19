"""The one kind of error a user fixes (a config value, the other stack, the account): the program
reports it as one message, without a traceback (`program.main` turns it into `pulumi.RunError`,
the offline plan prints it)."""

from __future__ import annotations


class StackError(ValueError):
    """Something to fix before this stack can deploy; the message says what and how."""
