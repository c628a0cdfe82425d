"""Time each value parser on 1M typical cells and print ns/value (not a test).

Run from the repository root: `.venv/bin/python benchmarks/values_speed.py [count]`.
The budget is 100k rows x 12 columns per second on 2 cores, about 1,600 ns per value per core
for everything (reading, mapping, parsing, duplicate keys); parsing should take a small share.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from datetime import datetime
from itertools import cycle, islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA, Field
from intellicon_leads.importer.values import make_parser

# (label, field, typical values): cleanly shaped strings as CSV gives them, some empty cells,
# and the Python types openpyxl gives for spreadsheet cells.
CASES: list[tuple[str, Field, list]] = [
	("Data", DEFAULT_LEAD_SCHEMA["first_name"], ["Jane", " Ravi ", "María José", "Li", ""]),
	("Text", DEFAULT_LEAD_SCHEMA["notes"], ["Met at the trade show, wants a demo next week.", ""]),
	("Link", DEFAULT_LEAD_SCHEMA["source"], ["Campaign", "Cold Calling", ""]),
	(
		"Email",
		DEFAULT_LEAD_SCHEMA["email_id"],
		["jane.doe@example.com", "ravi.k+leads@acme.co.in", "LI@EXAMPLE.ORG", ""],
	),
	("Phone", DEFAULT_LEAD_SCHEMA["mobile_no"], ["+1 415 555 0100", "(415) 555-0100", "9876543210", ""]),
	("URL", DEFAULT_LEAD_SCHEMA["website"], ["https://www.example.com", "acme.co.in", ""]),
	("Select", DEFAULT_LEAD_SCHEMA["status"], ["Lead", "Open", "open", "Do Not Contact", ""]),
	("Int", Field("employees", "Employees", "Int"), ["42", "1200", 7, ""]),
	("Float", Field("score", "Score", "Float"), ["12.5", "1234", 3.75, ""]),
	("Currency", DEFAULT_LEAD_SCHEMA["annual_revenue"], ["125000", "99.99", 250000.0, ""]),
	("Currency (formatted)", DEFAULT_LEAD_SCHEMA["annual_revenue"], ["$1,234.56", "1.234,56 €"]),
	("Percent", Field("discount", "Discount", "Percent"), ["12.5", "40", ""]),
	("Date (ISO)", DEFAULT_LEAD_SCHEMA["qualified_on"], ["2024-03-15", "2023-12-01", ""]),
	("Date (d/m/y)", DEFAULT_LEAD_SCHEMA["qualified_on"], ["15/03/2024", "01/12/2023"]),
	("Date (xlsx cell)", DEFAULT_LEAD_SCHEMA["qualified_on"], [datetime(2024, 3, 15), None]),
	("Datetime", Field("met_at", "Met At", "Datetime"), ["2024-03-15 10:30:00", "2024-03-15T09:00"]),
	("Check", DEFAULT_LEAD_SCHEMA["unsubscribed"], ["Yes", "No", "1", "0", ""]),
]


def time_parser(parse, values: list, count: int) -> float:
	"""Nanoseconds per value for `parse` over `count` values cycled from `values`."""
	cells = list(islice(cycle(values), count))
	started = time.perf_counter()
	# deque(maxlen=0) drains the map in C, so the loop itself costs next to nothing.
	deque(map(parse, cells), maxlen=0)
	return (time.perf_counter() - started) * 1e9 / count


def main(count: int = 1_000_000) -> None:
	print(f"{'parser':24} {'ns/value':>9}   ({count:,} values each, best of 3)")
	for label, field, values in CASES:
		parse = make_parser(field)
		best = min(time_parser(parse, values, count) for _ in range(3))
		print(f"{label:24} {best:9.0f}")


if __name__ == "__main__":
	main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
