"""Lead import on a real bench: the 50 MB CSV through real RQ workers, in each write mode, with
100k leads already in the database and email dedup, by one worker and by two; then Frappe's own Data
Import on a 20k-row sample of the same file. Prints rows/s, duration, each worker's peak RSS, the
speed-up of two workers over one (with their counts and leads compared) and the ratio to Data Import.

	python benchmarks/frappe_import.py [--bench DIR] [--site SITE] [--modes Fast,Documents]
	                                   [--workers 1,2] [--seed 100000] [--data-import-rows 20000]
	                                   [--loop-rows 20000] [--rows N] [--erpnext]

One worker runs the import unsplit; N workers (`bench worker --burst` each) share it in chunks of
--chunk-rows rows (20,000), N at once. The first worker starts with the queued job and plans the chunks; the others
start once the chunks are queued (a burst worker that finds the queue empty leaves at once).
After Documents mode by one worker, the first --loop-rows leads it created are inserted again by a
bare frappe.get_doc(...).insert() loop (commit every 500): Documents mode's floor, and the ratio of
the two. --rows takes the first N rows of the file, for a quicker run. --erpnext runs on a site with
ERPNext installed (intellicon-bench-erp.localhost, created on first use), whose Lead is ERPNext's.

Run as root or as the bench's owner. It uses its own site (intellicon-bench.localhost by default)
and empties that site's Lead table between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CSV_FILE = HERE / "data" / "leads_50mb.csv"


def main() -> None:
	args = parse_args()
	bench = Path(args.bench).resolve()
	env = {**os.environ, "INTELLICON_WITH_APPS": "erpnext"} if args.erpnext else None
	prepare = ["bash", str(REPO / "scripts" / "bench-prepare"), args.site, str(bench)]
	subprocess.run(prepare, check=True, env=env)
	if not CSV_FILE.exists():
		subprocess.run([sys.executable, str(HERE / "make_files.py")], check=True)
	work = Path(tempfile.mkdtemp(prefix="intellicon-bench-"))
	work.chmod(0o755)
	data = work / CSV_FILE.name
	copy_rows(CSV_FILE, data, args.rows)
	data.chmod(0o644)
	shutil.copyfile(HERE / "frappe_side.py", work / "frappe_side.py")
	side = Side(bench, args.site, work / "frappe_side.py")
	results = []
	for mode in args.modes.split(","):
		for workers in [int(w) for w in args.workers.split(",")]:
			side.call("reset")
			seeded = side.call("seed", str(args.seed), str(data))
			print(
				f"{mode}, {workers} worker(s): {seeded['seeded']:,} leads seeded "
				f"({seeded['overlapping']:,} share an email with the file)",
				flush=True,
			)
			result = run_mode(side, bench, data, mode, workers, args.chunk_rows)
			result["leads"] = side.call("fingerprint")
			if mode == "Documents" and workers == 1 and args.loop_rows >= 0:
				result["bare_loop"] = side.call("bare-loop", result["name"], str(args.loop_rows))
			results.append(result)
	side.call("reset")
	baseline = side.call("data-import", str(data), str(args.data_import_rows))
	size = data.stat().st_size
	shutil.rmtree(work, ignore_errors=True)
	report(results, baseline, size)


def parse_args() -> argparse.Namespace:
	parser = argparse.ArgumentParser(
		description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
	)
	parser.add_argument(
		"--bench", default=os.environ.get("INTELLICON_BENCH", str(Path.home() / "frappe-bench"))
	)
	parser.add_argument("--site")
	parser.add_argument("--modes", default="Fast,Documents")
	parser.add_argument("--workers", default="1,2", help="worker counts to run each mode with")
	parser.add_argument("--loop-rows", type=int, default=20_000, help="bare loop sample (0: all, -1: none)")
	parser.add_argument("--erpnext", action="store_true", help="on a site with ERPNext's Lead")
	parser.add_argument("--chunk-rows", type=int, default=20_000, help="rows per chunk with 2+ workers")
	parser.add_argument("--seed", type=int, default=100_000)
	parser.add_argument("--data-import-rows", type=int, default=20_000)
	parser.add_argument("--rows", type=int, default=0, help="only the first N rows of the file (0: all)")
	args = parser.parse_args()
	args.site = args.site or (
		"intellicon-bench-erp.localhost" if args.erpnext else "intellicon-bench.localhost"
	)
	return args


def copy_rows(source: Path, target: Path, rows: int) -> None:
	if not rows:
		shutil.copyfile(source, target)
		return
	with open(source, "rb") as f, open(target, "wb") as out:
		for n, line in enumerate(f):
			if n > rows:
				break
			out.write(line)


class Side:
	"""Runs frappe_side.py actions inside the bench's Python, as the bench's owner."""

	def __init__(self, bench: Path, site: str, script: Path) -> None:
		self.bench, self.site, self.script = bench, site, script

	def call(self, action: str, *args: str) -> dict:
		command = f"cd sites && ../env/bin/python {self.script} {self.site} {action} {' '.join(args)}"
		done = subprocess.run(owner_command(self.bench, command), capture_output=True, text=True)
		if done.returncode:
			sys.exit(f"{action} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
		return json.loads(done.stdout.strip().splitlines()[-1])


def owner_command(bench: Path, command: str) -> list[str]:
	owner = bench.owner()
	home = os.path.expanduser(f"~{owner}")
	env = ["env", f"HOME={home}", f"PATH={home}/.local/bin:/usr/local/bin:/usr/bin:/bin"]
	wrapped = ["bash", "-c", f"cd {bench} && {command}"]
	if os.geteuid() == 0 and owner != "root":
		return ["runuser", "-u", owner, "--", *env, *wrapped]
	return [*env, *wrapped]


def run_mode(side: Side, bench: Path, data: Path, mode: str, workers: int, chunk_rows: int) -> dict:
	queued = side.call("queue-import", str(data), mode, str(workers), str(chunk_rows))
	started = time.monotonic()
	command = ["/usr/bin/time", "-f", "%M", *owner_command(bench, "bench worker --queue long --burst")]
	running = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)]
	joined = 0.0
	if workers > 1:
		while (state := side.call("chunks", queued["job"]))["chunks"] == 0 and state["status"] in (
			"Queued",
			"Processing",
		):
			time.sleep(1)
		joined = time.monotonic() - started
		running += [
			subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
			for _ in range(workers - 1)
		]
	peaks = []
	for worker in running:
		_out, err = worker.communicate()
		peaks.append(int(err.strip().splitlines()[-1]) / 1024)
	wall = time.monotonic() - started
	status = side.call("status", queued["job"])
	chunks = side.call("chunks", queued["job"])
	return {
		"mode": mode,
		"workers": workers,
		"wall": wall,
		"joined": joined,
		"peaks_mb": peaks,
		"chunks": chunks["chunks"],
		"ran_by": len(chunks["workers"]),
		**status,
	}


def report(results: list[dict], baseline: dict, size: int) -> None:
	print()
	print(f"File: {CSV_FILE.name}, {size / 1024 / 1024:.1f} MB")
	print(
		f"{'':<22}{'rows':>9}{'imported':>10}{'skipped':>9}{'failed':>8}{'job s':>8}{'rows/s':>9}{'peak RSS':>10}{'vs DI':>7}"
	)
	for r in results:
		rate = r["total_rows"] / r["duration"] if r["duration"] else 0
		label = f"{r['mode']}, {r['workers']} worker{'s' if r['workers'] > 1 else ''}"
		print(
			f"{label:<22}{r['total_rows']:>9,}{r['imported']:>10,}{r['skipped']:>9,}{r['failed']:>8,}"
			f"{r['duration']:>8.1f}{rate:>9,.0f}{max(r['peaks_mb']):>8.0f} MB{rate / baseline['rows_per_second']:>6.1f}x"
		)
		split = f", {r['chunks']} chunks run by {r['ran_by']} workers" if r["chunks"] else ", unsplit"
		joined = f", workers 2+ joined at {r['joined']:.1f} s" if r["workers"] > 1 else ""
		print(
			f"{'':<22}status {r['status']}{split}{joined}, worker wall time {r['wall']:.1f} s, "
			f"peak RSS per worker {', '.join(f'{p:.0f}' for p in r['peaks_mb'])} MB, "
			f"leads now {r['leads']['leads']:,} (digest {r['leads']['digest']})"
			+ (
				f", contacts {r['leads']['contacts']:,} (digest {r['leads']['contacts_digest']})"
				if "contacts" in r["leads"]
				else ""
			)
		)
		if "bare_loop" in r:
			loop = r["bare_loop"]
			leads_per_second = r["imported"] / r["duration"] if r["duration"] else 0
			print(
				f"{'bare insert loop':<22}{loop['rows']:>9,}{loop['rows']:>10,}{'':>9}{'':>8}"
				f"{loop['seconds']:>8.1f}{loop['rows_per_second']:>9,}"
			)
			print(
				f"{'':<22}Documents mode wrote {leads_per_second:,.0f} leads/s against the loop's "
				f"{loop['rows_per_second']:,}: {leads_per_second / loop['rows_per_second']:.0%} of the floor"
			)
	counted = ("total_rows", "imported", "updated", "skipped", "failed")
	for one in (r for r in results if r["workers"] == 1):
		for many in (r for r in results if r["mode"] == one["mode"] and r["workers"] > 1):
			same_counts = all(one[k] == many[k] for k in counted)
			same_leads = one["leads"] == many["leads"]
			print(
				f"{one['mode']}: {many['workers']} workers took {many['duration']:.1f} s against "
				f"{one['duration']:.1f} s, {one['duration'] / many['duration']:.2f}x faster; counts "
				f"{'identical' if same_counts else 'DIFFERENT'}, leads {'identical' if same_leads else 'DIFFERENT'}"
			)
	firsts = [r for r in results if r["workers"] == 1]
	for other in firsts[1:]:
		same = firsts[0]["leads"] == other["leads"] and all(firsts[0][k] == other[k] for k in counted)
		print(
			f"{firsts[0]['mode']} and {other['mode']} (1 worker): counts, leads"
			f"{' and contacts' if 'contacts' in other['leads'] else ''} {'identical' if same else 'DIFFERENT'}"
		)
	print(
		f"{'Frappe Data Import':<22}{baseline['rows']:>9,}{baseline['imported']:>10,}{'':>9}{'':>8}"
		f"{baseline['seconds']:>8.1f}{baseline['rows_per_second']:>9,}{'':>10}{1:>6.1f}x"
	)


if __name__ == "__main__":
	main()
