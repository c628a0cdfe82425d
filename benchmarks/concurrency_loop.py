"""Two imports at once, N times: two RQ workers on two wizard jobs, and two bench import-leads commands.

Runs inside the bench's Python, on a site of its own (everything it makes is deleted after each run):

	cd BENCH/sites && ../env/bin/python /path/to/benchmarks/concurrency_loop.py SITE [--iterations 20]
	    [--rows 3000] [--shared 1500] [--batch-size 500] [--scenario workers|commands|both]

Each iteration prints the lead count against the exact expected count, both jobs' imported/skipped
counts and their sums, the statuses and the time; the summary counts the iterations that were exact.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid

import frappe


def main() -> int:
	args = parse_args()
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from intellicon_leads.tests import concurrency

	scenarios = ["workers", "commands"] if args.scenario == "both" else [args.scenario]
	results: dict[str, list] = {name: [] for name in scenarios}
	try:
		for iteration in range(1, args.iterations + 1):
			for name in scenarios:
				domain = f"loop-{uuid.uuid4().hex[:8]}.example.com"
				try:
					if name == "workers":
						outcome = concurrency.run_with_workers(
							domain, args.rows, args.shared, args.batch_size
						)
					else:
						outcome = concurrency.run_with_commands(domain, args.rows, args.shared)
				finally:
					concurrency.clean_up(domain)
				results[name].append(outcome)
				mark = "ok " if outcome.correct else "BAD"
				print(f"{mark} {name:8} #{iteration:2}: {outcome.line()}", flush=True)
	finally:
		frappe.destroy()
	return summarize(results, args)


def summarize(results: dict[str, list], args) -> int:
	print(
		f"\nSummary: {args.iterations} iterations, 2 files of {args.rows} rows sharing {args.shared} emails"
	)
	failures = 0
	for name, outcomes in results.items():
		exact = sum(o.correct for o in outcomes)
		failures += len(outcomes) - exact
		seconds = [o.seconds for o in outcomes]
		print(
			f"  {name:8}: {exact}/{len(outcomes)} exact (leads == {2 * args.rows - args.shared}, imported sums "
			f"to it, skipped sums to {args.shared}, no failed rows, both Completed); time median "
			f"{statistics.median(seconds):.1f} s, max {max(seconds):.1f} s"
		)
	return 1 if failures else 0


def parse_args() -> argparse.Namespace:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("site")
	parser.add_argument("--iterations", type=int, default=20)
	parser.add_argument("--rows", type=int, default=3000)
	parser.add_argument("--shared", type=int, default=1500)
	parser.add_argument("--batch-size", type=int, default=500)
	parser.add_argument("--scenario", choices=("workers", "commands", "both"), default="both")
	return parser.parse_args()


if __name__ == "__main__":
	sys.exit(main())
