"""Fix Failed Rows at scale, on a real site: an import with 100,000 failed rows, the grid's pages and
filters, one cell fixed, a column set for 50,000 rows, and the retry run that imports them.

	cd BENCH/sites && ../env/bin/python /path/to/benchmarks/fix_rows.py SITE [ROWS]

Prints one line per measurement (seconds, rows/s) and the peak RSS of this process. Leaves nothing
behind: the job, its files and the leads it made are deleted at the end.
"""

from __future__ import annotations

import csv
import io
import resource
import sys
import time
import uuid

import frappe

MAPPING = ["first_name", "last_name", "email_id", "mobile_no", "company_name", "status"]
HEADER = ["First Name", "Last Name", "Email Address", "Mobile Phone", "Company", "Lead Status"]


def timed(label: str, call, rows: int | None = None):
	started = time.monotonic()
	result = call()
	seconds = time.monotonic() - started
	rate = f"{rows / seconds:,.0f} rows/s" if rows and seconds else ""
	print(f"{label:<52} {seconds:8.2f} s  {rate}", flush=True)
	return result


def failing_file(rows: int, domain: str) -> bytes:
	"""Every row fails: half for an email that is not one, half for a status the Lead does not have."""
	out = io.StringIO()
	writer = csv.writer(out)
	writer.writerow(HEADER)
	for i in range(rows):
		if i % 2:
			writer.writerow([f"F{i}", "Fix", f"f{i}@{domain}", "", "Bench", "Lukewarm"])
		else:
			writer.writerow([f"F{i}", "Fix", f"f{i} at {domain}", "", "Bench", "Open"])
	return out.getvalue().encode()


def main(site: str, rows: int) -> None:
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from intellicon_leads.lead_import import files, fixing, imports
	from intellicon_leads.lead_import.importing import JobRunner

	domain = f"fix-{uuid.uuid4().hex[:6]}.bench.example"
	file = files.save_upload("fix-bench.csv", failing_file(rows, domain))
	job = imports.create_job(file.file_url, MAPPING)
	frappe.db.commit()
	try:
		timed(
			f"import, {rows:,} rows all failing (rows kept for the grid)",
			lambda: JobRunner(job.name).run(),
			rows,
		)
		print(f"  failed rows kept: {frappe.db.count(fixing.FAILED_ROW, {'job': job.name}):,}")
		timed("grid: first page of 50", lambda: fixing.failed_rows_page(job.name, 0, 50))
		timed(f"grid: page at row {rows // 2:,}", lambda: fixing.failed_rows_page(job.name, rows // 2, 50))
		timed(
			"grid: first page filtered by kind",
			lambda: fixing.failed_rows_page(job.name, 0, 50, "invalid_option"),
		)
		first = fixing.failed_rows_page(job.name, 0, 1)["rows"][0]["row"]
		timed(
			"fix one cell and check its row", lambda: fixing.fix_rows(job.name, 2, f"one@{domain}", [first])
		)
		frappe.db.commit()
		half = rows // 2
		timed(
			f"set Status for all {half:,} rows of a kind, check them",
			lambda: fixing.fix_rows(job.name, 5, "Open", kind="invalid_option"),
			half,
		)
		frappe.db.commit()
		fixing.start_retry(job.name)
		frappe.db.commit()
		timed(
			"Import Fixed Rows (retry run, Documents mode)",
			lambda: fixing.RetryRunner(job.name).run(),
			half + 1,
		)
		done = frappe.db.get_value(
			imports.JOB_DOCTYPE, job.name, ["imported", "failed", "total_rows"], as_dict=True
		)
		print(
			f"  job after the retry: imported {done.imported:,}, failed {done.failed:,}, total {done.total_rows:,}"
		)
		timed("kind counts after the retry", lambda: fixing.kind_counts(job.name))
	finally:
		frappe.db.rollback()
		frappe.db.delete("Lead", {"email_id": ("like", f"%@{domain}")})
		frappe.delete_doc(imports.JOB_DOCTYPE, job.name, force=True, ignore_permissions=True)
		frappe.db.commit()
		frappe.destroy()
	peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
	print(f"peak RSS of this process: {peak:.0f} MB")


if __name__ == "__main__":
	main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
