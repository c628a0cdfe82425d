"""Benchmark the import engine on the ~50 MB files from make_files.py, one fresh process per measurement.

	python benchmarks/engine.py [--data DIR] [--only NAME ...]

Each measurement runs in its own subprocess, so the peak RSS printed is that measurement's own.
Targets (2 cores): preview of a 50 MB XLSX <= 1 s; full XLSX read >= 50k rows/s; full check of the
50 MB CSV >= 100k rows/s; peak RSS <= 400 MB for any 50 MB input.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(__file__).resolve().parent / "data"
PREVIEW_ROWS = 20
CSV = "leads_50mb.csv"
XLSX = "leads_50mb.xlsx"
XLSX_SHARED = "leads_50mb_shared_strings.xlsx"


def preview(path: Path) -> int:
	from intellicon_leads.importer.reading import open_table

	with open_table(path) as table:
		return len(table.preview(PREVIEW_ROWS))


def read_all(path: Path) -> int:
	from intellicon_leads.importer.reading import open_table

	count = 0
	with open_table(path) as table:
		for _row in table.rows():
			count += 1
	return count


def check(path: Path) -> int:
	"""The whole-file dry run: read + map + validate + in-file dedup, as `importer check` does."""
	from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA
	from intellicon_leads.importer.mapping import suggest_mapping
	from intellicon_leads.importer.pipeline import ImportPipeline
	from intellicon_leads.importer.reading import open_table
	from intellicon_leads.importer.store import MemoryStore

	with open_table(path) as table:
		fields = suggest_mapping(table.header, DEFAULT_LEAD_SCHEMA).fields()
		store = MemoryStore(DEFAULT_LEAD_SCHEMA)
		pipeline = ImportPipeline(DEFAULT_LEAD_SCHEMA, fields, store, headers=table.header, dry_run=True)
		result = pipeline.run(table)
	assert result.accounted == result.total
	return result.total


def scan_values(path: Path) -> int:
	"""The Match Values step: every Select, Link and Check value of the whole file, judged once each."""
	from intellicon_leads.importer.cli import offline_targets
	from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA
	from intellicon_leads.importer.mapping import suggest_mapping
	from intellicon_leads.importer.reading import open_table
	from intellicon_leads.importer.value_scan import review_values

	with open_table(path) as table:
		fields = suggest_mapping(table.header, DEFAULT_LEAD_SCHEMA).fields()
		review = review_values(table.rows(), DEFAULT_LEAD_SCHEMA, fields, table.header, offline_targets)
	assert review.columns, "the benchmark file maps no Select, Link or Check column"
	return review.rows


# name -> (file, function returning the number of rows it handled).
MEASUREMENTS: dict[str, tuple[str, Callable[[Path], int]]] = {
	"preview_xlsx": (XLSX, preview),
	"preview_xlsx_shared_strings": (XLSX_SHARED, preview),
	"preview_csv": (CSV, preview),
	"read_xlsx": (XLSX, read_all),
	"read_xlsx_shared_strings": (XLSX_SHARED, read_all),
	"read_csv": (CSV, read_all),
	"check_csv": (CSV, check),
	"check_xlsx": (XLSX, check),
	"check_xlsx_shared_strings": (XLSX_SHARED, check),
	"scan_values_csv": (CSV, scan_values),
	"scan_values_xlsx": (XLSX, scan_values),
	"scan_values_xlsx_shared_strings": (XLSX_SHARED, scan_values),
}


def measure(name: str, data: Path) -> dict:
	"""Run one measurement in this process and report rows, seconds and peak RSS."""
	filename, function = MEASUREMENTS[name]
	path = data / filename
	started = time.perf_counter()
	rows = function(path)
	seconds = time.perf_counter() - started
	peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
	return {
		"name": name,
		"file": filename,
		"mb": path.stat().st_size / 2**20,
		"rows": rows,
		"seconds": seconds,
		"rss_mb": peak_kb / 1024,
	}


def run_in_child(name: str, data: Path) -> dict:
	command = [sys.executable, __file__, "--child", name, "--data", str(data)]
	done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
	if done.returncode:
		return {"name": name, "error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
	return json.loads(done.stdout)


def print_table(results: list[dict]) -> None:
	print(f"{'measurement':30} {'file MB':>8} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'peak RSS MB':>12}")
	for r in results:
		if "error" in r:
			print(f"{r['name']:30} ERROR: {r['error']}")
			continue
		rate = r["rows"] / r["seconds"] if r["seconds"] else 0
		print(
			f"{r['name']:30} {r['mb']:8.1f} {r['rows']:9,} {r['seconds']:8.2f} {rate:9,.0f} {r['rss_mb']:12.0f}"
		)


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="where make_files.py wrote the files")
	parser.add_argument("--only", nargs="*", choices=sorted(MEASUREMENTS), help="run just these measurements")
	parser.add_argument("--child", help=argparse.SUPPRESS)
	args = parser.parse_args()
	if args.child:
		sys.path.insert(0, str(ROOT))
		print(json.dumps(measure(args.child, args.data)))
		return
	names = args.only or list(MEASUREMENTS)
	missing = {MEASUREMENTS[n][0] for n in names if not (args.data / MEASUREMENTS[n][0]).exists()}
	if missing:
		sys.exit(f"Missing {', '.join(sorted(missing))} in {args.data}: run benchmarks/make_files.py first.")
	print_table([run_in_child(name, args.data) for name in names])


if __name__ == "__main__":
	main()
