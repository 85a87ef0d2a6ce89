"""The ``fdn-alu`` command line: one module per command, :mod:`fdn_alu.cli.app` parses and
dispatches (``fdn-alu`` is :func:`console`)."""

from fdn_alu.cli.app import PLUGIN_COMMANDS, console, main
from fdn_alu.cli.console import (
    EXIT_BROKEN_PIPE,
    EXIT_CHECK_FAILED,
    EXIT_CODES,
    EXIT_FAILURE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_TERMINATED,
    failed_checks,
    format_failed_checks,
    format_summary,
)

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_CHECK_FAILED",
    "EXIT_CODES",
    "EXIT_FAILURE",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_TERMINATED",
    "PLUGIN_COMMANDS",
    "console",
    "failed_checks",
    "format_failed_checks",
    "format_summary",
    "main",
]
