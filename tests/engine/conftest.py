"""Prints the real-files differential test's one-line summary (or why it was skipped) after every run."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
	import sys

	module = sys.modules.get("test_real_files") or sys.modules.get("tests.engine.test_real_files")
	line = module.summary_line() if module else None
	if line:
		terminalreporter.write_line(line)
