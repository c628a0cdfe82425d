"""What a chunk of a split import spends reading its rows: from the file, or from the plan's spool.

	python benchmarks/chunk_reads.py [--data DIR] [--chunk-rows 20000] [--workers 2] [--sample 5]

For the 50 MB CSV and XLSX from make_files.py: the plan's pass over the whole file without and with
the spool (seconds, spool size), then for `--sample` chunks spread over the file (the first, the last
and evenly between), the seconds to read that chunk's rows from the file (everything before them
included, as a chunk without the spool does) and from the spool. The total over all chunks is
estimated from the sample's mean, and says so. Engine only: no bench needed.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA
from intellicon_leads.importer.mapping import resolve_mapping, suggest_mapping
from intellicon_leads.importer.pipeline import plan_split
from intellicon_leads.importer.reading import open_table
from intellicon_leads.importer.reading.spool import SpooledTable

FILES = ("leads_50mb.csv", "leads_50mb.xlsx")


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--data", default=str(Path(__file__).resolve().parent / "data"))
	parser.add_argument("--chunk-rows", type=int, default=20_000)
	parser.add_argument("--workers", type=int, default=2)
	parser.add_argument("--sample", type=int, default=5)
	args = parser.parse_args()
	for name in FILES:
		path = Path(args.data) / name
		if not path.exists():
			sys.exit(f"{path} is missing: run python benchmarks/make_files.py first.")
		measure(path, args.chunk_rows, args.workers, args.sample)
	print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def plan(path: Path, chunk_rows: int, workers: int, spool_path: str | None):
	with open_table(path) as table:
		fields = resolve_mapping(
			table.header, DEFAULT_LEAD_SCHEMA, suggest_mapping(table.header, DEFAULT_LEAD_SCHEMA).fields()
		)
		with open(spool_path or os.devnull, "wb") as out:
			started = time.perf_counter()
			result = plan_split(
				DEFAULT_LEAD_SCHEMA,
				fields,
				table,
				chunk_rows,
				headers=table.header,
				parallel=workers,
				spool=out if spool_path else None,
			)
			return result, time.perf_counter() - started


def read_part(opened, part) -> tuple[int, float]:
	started = time.perf_counter()
	with opened as table:
		count = sum(1 for _ in part.select(table.rows()))
	return count, time.perf_counter() - started


def measure(path: Path, chunk_rows: int, workers: int, sample: int) -> None:
	size = path.stat().st_size / 1e6
	with tempfile.TemporaryDirectory() as work:
		spool = os.path.join(work, "rows.jsonl")
		_, bare = plan(path, chunk_rows, workers, None)
		result, spooled = plan(path, chunk_rows, workers, spool)
		parts = result.parts()
		print(
			f"{path.name} ({size:.0f} MB, {result.total:,} rows, {len(parts)} chunks): plan {bare:.1f} s, "
			f"{spooled:.1f} s with the spool ({os.path.getsize(spool) / 1e6:.0f} MB)"
		)
		picks = sorted({round(i * (len(parts) - 1) / max(sample - 1, 1)) for i in range(sample)})
		from_file = from_spool = 0.0
		for index in picks:
			part = parts[index]
			rows, file_s = read_part(open_table(path), part)
			spool_rows, spool_s = read_part(SpooledTable(spool, result.offsets[index]), part)
			assert rows == spool_rows, (rows, spool_rows)
			from_file, from_spool = from_file + file_s, from_spool + spool_s
			print(
				f"  chunk {index + 1:>2} (rows {part.first_row:,}-{part.last_row:,}): "
				f"{file_s:5.1f} s from the file, {spool_s:4.1f} s from the spool"
			)
		scale = len(parts) / len(picks)
		print(
			f"  all {len(parts)} chunks, estimated from these {len(picks)}: {from_file * scale:.0f} s of "
			f"reading from the file, {from_spool * scale:.0f} s from the spool"
		)


if __name__ == "__main__":
	main()
