"""Where Documents mode's time goes on a site's Lead, per lead, measured with cProfile.

Run with the bench's Python from its sites folder (the app must be installed on SITE):
    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/profile_documents.py SITE [ROWS]
It imports ROWS new leads in one process (committing as a job does), prints the time of each part
per lead, and deletes those leads (and ERPNext's Contacts for them) again. cProfile slows the code
it watches: compare the parts with each other, and take rows/s from frappe_import.py.
"""

from __future__ import annotations

import cProfile
import csv
import io
import pstats
import sys

import frappe

HEADER = ["First Name", "Last Name", "Email", "Company", "Status"]
MAPPING = ["first_name", "last_name", "email_id", "company_name", "status"]
ERPNEXT_LEAD = "erpnext/crm/doctype/lead/lead.py"


def main(site: str, rows: int) -> None:
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from intellicon_leads.lead_import import files, imports
	from intellicon_leads.lead_import.importing import JobRunner

	domain = f"profile-{frappe.generate_hash(length=6)}.example.com"
	out = io.StringIO()
	writer = csv.writer(out)
	writer.writerow(HEADER)
	writer.writerows(
		[f"Prof{i}", f"Row{i}", f"prof{i}@{domain}", f"Company {i}", "Open"] for i in range(rows)
	)
	file = files.save_upload("profile.csv", out.getvalue().encode())
	job = imports.create_job(file.file_url, MAPPING)
	frappe.db.commit()
	profile = cProfile.Profile()
	profile.enable()
	JobRunner(job.name).run()
	profile.disable()
	report(pstats.Stats(profile).stats, rows)
	clean_up(domain)


def report(stats: dict, rows: int) -> None:
	def cumulative(fits) -> float:
		return max(
			(ct for (path, _line, name), (_cc, _nc, _tt, ct, _c) in stats.items() if fits(path, name)),
			default=0.0,
		)

	statements = sum(
		nc
		for (path, _line, name), (_cc, nc, *_rest) in stats.items()
		if name == "execute" and "cursors.py" in path
	)
	parts = [
		("the whole run", lambda p, n: n == "run" and p.endswith("importing.py")),
		("inserting the leads (doc.insert)", lambda p, n: n == "_insert_document"),
		(
			"ERPNext: Lead.before_insert (makes the Contact)",
			lambda p, n: n == "before_insert" and ERPNEXT_LEAD in p,
		),
		(
			"ERPNext: Lead.after_insert (links, saves the Contact)",
			lambda p, n: n == "after_insert" and ERPNEXT_LEAD in p,
		),
		("ERPNext: Lead.validate", lambda p, n: n == "validate" and ERPNEXT_LEAD in p),
		(
			"ERPNext: the batch's Contacts, written together",
			lambda p, n: n == "flush" and p.endswith("erpnext_fast.py"),
		),
		("tags and assignment", lambda p, n: n == "_tag_and_assign"),
		("duplicate look-ups", lambda p, n: n == "find_existing"),
		(
			"checkpoints (commit, failed spool, job row)",
			lambda p, n: n == "_checkpoint" and p.endswith("importing.py"),
		),
		("all SQL statements", lambda p, n: n == "execute" and "cursors.py" in p),
	]
	print(f"{rows} leads, Documents mode, one process, under cProfile")
	for label, fits in parts:
		seconds = cumulative(fits)
		print(f"{label:55s} {seconds:7.2f} s {seconds / rows * 1000:7.1f} ms/lead")
	print(f"SQL statements: {statements:,} ({statements / rows:.1f} a lead)")


def clean_up(domain: str) -> None:
	frappe.db.rollback()
	pattern = f"%@{domain}"
	if frappe.db.exists("DocType", "Contact Email"):
		for contact in frappe.get_all("Contact Email", {"email_id": ("like", pattern)}, pluck="parent"):
			frappe.delete_doc("Contact", contact, force=True, ignore_permissions=True)
	frappe.db.delete("Lead", {"email_id": ("like", pattern)})
	frappe.db.commit()


if __name__ == "__main__":
	main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300)
