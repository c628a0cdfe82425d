"""`bench import-leads` against `bench data-import`, each as a whole command (process start, site
connection, reading, writing) on the same clean leads, from an empty Lead table each time.

	python benchmarks/whole_commands.py [--erpnext] [--rows 600] [--bench DIR] [--site SITE]

The leads are the first ROWS leads of benchmarks/data/leads_50mb.csv that the engine accepts, cleaned
to canonical values under the Lead labels Data Import expects (frappe_side.py clean-sample): Data Import
refuses a whole file for one bad value. `bench import-leads` reads the same file with the columns it
suggests (--accept-suggestions), in the site's write mode (Documents unless --mode Fast). Prints each
command's seconds, rows/s and the leads (and, on ERPNext's Lead, contacts) it stored, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from frappe_import import CSV_FILE, HERE, REPO, Side, owner_command


def main() -> None:
	parser = argparse.ArgumentParser(
		description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
	)
	parser.add_argument(
		"--bench", default=os.environ.get("INTELLICON_BENCH", str(Path.home() / "frappe-bench"))
	)
	parser.add_argument("--site")
	parser.add_argument("--erpnext", action="store_true", help="on the site with ERPNext's Lead")
	parser.add_argument("--rows", type=int, default=600)
	parser.add_argument("--mode", default="Documents", choices=("Documents", "Fast"))
	args = parser.parse_args()
	site = args.site or ("intellicon-bench-erp.localhost" if args.erpnext else "intellicon-bench.localhost")
	bench = Path(args.bench).resolve()
	env = {**os.environ, "INTELLICON_WITH_APPS": "erpnext"} if args.erpnext else None
	subprocess.run(["bash", str(REPO / "scripts" / "bench-prepare"), site, str(bench)], check=True, env=env)
	if not CSV_FILE.exists():
		subprocess.run([sys.executable, str(HERE / "make_files.py")], check=True)
	work = Path(tempfile.mkdtemp(prefix="intellicon-commands-"))
	work.chmod(0o755)
	shutil.copyfile(HERE / "frappe_side.py", work / "frappe_side.py")
	side = Side(bench, site, work / "frappe_side.py")
	sample = Path(side.call("clean-sample", str(CSV_FILE), str(args.rows))["path"])
	data = work / "clean-leads.csv"
	shutil.copyfile(sample, data)
	data.chmod(0o644)
	side.call("set-write-mode", args.mode)
	results = []
	for name, command in (
		("bench import-leads", f"bench --site {site} import-leads {data} --accept-suggestions"),
		("bench data-import", f"bench --site {site} data-import --file {data} --doctype Lead --type Insert"),
	):
		side.call("reset")
		started = time.monotonic()
		done = subprocess.run(owner_command(bench, command), capture_output=True, text=True)
		seconds = time.monotonic() - started
		if done.returncode:
			sys.exit(f"{command} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
		results.append((name, seconds, side.call("fingerprint")))
	side.call("reset")
	shutil.rmtree(work, ignore_errors=True)
	print(f"\n{args.rows} clean leads, {site}, write mode {args.mode}")
	print(f"{'command':<22}{'seconds':>9}{'rows/s':>9}  stored")
	for name, seconds, stored in results:
		contacts = f", {stored['contacts']:,} contacts" if "contacts" in stored else ""
		print(
			f"{name:<22}{seconds:>9.1f}{stored['leads'] / seconds:>9.1f}  {stored['leads']:,} leads{contacts}"
		)
	(_, ours_s, ours_leads), (_, theirs_s, theirs_leads) = results
	same = ours_leads["leads"] == theirs_leads["leads"]
	print(
		f"import-leads took {ours_s:.1f} s against {theirs_s:.1f} s: {theirs_s / ours_s:.2f}x faster; "
		f"{'the same number of leads' if same else 'DIFFERENT lead counts'}"
	)


if __name__ == "__main__":
	main()
