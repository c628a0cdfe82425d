"""The parts of benchmarks/frappe_import.py that run inside the bench's Python, on the benchmark site.

	cd BENCH/sites && ../env/bin/python /path/to/benchmarks/frappe_side.py SITE ACTION [ARGS]

Actions: seed COUNT OVERLAP_CSV | reset | queue-import FILE MODE WORKERS CHUNK_ROWS | status JOB | chunks JOB |
fingerprint | data-import FILE ROWS | bare-loop JOB ROWS | clean-sample FILE ROWS
Each prints one JSON object on its last line.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import time

import frappe

SEED_PREFIX = "seed-"


def seed(count: str, overlap_csv: str) -> dict:
	"""COUNT leads already in the database; a tenth of them share an email with the file."""
	from intellicon_leads.lead_import.store import FastRows

	count = int(count)
	overlap = []
	with open(overlap_csv, encoding="utf-8") as f:
		reader = csv.DictReader(f)
		for row in reader:
			if len(overlap) >= count // 10:
				break
			if "@" in (row.get("email") or ""):
				overlap.append(row["email"].strip())
	_create_lead_sources(overlap_csv)
	started = time.monotonic()
	rows = FastRows("Lead", block=5000)
	batch = []
	for i in range(count):
		email = overlap[i] if i < len(overlap) else f"{SEED_PREFIX}{i}@bench.example"
		batch.append(rows.prepare({"first_name": f"Seed{i}", "email_id": email, "company_name": "Seeded"}))
		if len(batch) == 5000:
			_bulk(rows, batch)
			batch = []
	if batch:
		_bulk(rows, batch)
	frappe.db.commit()
	return {"seeded": count, "overlapping": len(overlap), "seconds": round(time.monotonic() - started, 1)}


def _create_lead_sources(path: str) -> None:
	"""The sources the file uses exist, as an admin importing such a file would have set them up."""
	with open(path, encoding="utf-8") as f:
		sources = {row.get("source", "").strip() for row in csv.DictReader(f)} - {""}
	for source in sources:
		if not frappe.db.exists("Lead Source", source):
			frappe.get_doc({"doctype": "Lead Source", "source_name": source}).insert()


def _bulk(rows, batch: list[dict]) -> None:
	columns = rows.columns(batch)
	frappe.db.bulk_insert("Lead", columns, [[r.get(c) for c in columns] for r in batch])


def reset() -> dict:
	if frappe.db.exists("DocType", "Contact"):  # ERPNext's Lead makes a Contact for each lead
		contacts = (
			"select parent from `tabDynamic Link` where parenttype = 'Contact' and link_doctype = 'Lead'"
		)
		for table in ("Contact Email", "Contact Phone"):
			frappe.db.sql(f"delete from `tab{table}` where parent in ({contacts})")
		frappe.db.sql(f"delete from `tabContact` where name in ({contacts})")
		frappe.db.sql("delete from `tabDynamic Link` where parenttype = 'Contact' and link_doctype = 'Lead'")
	frappe.db.sql("delete from `tabLead`")
	frappe.db.sql("delete from `tabSeries` where name like 'CRM-LEAD-%%'")
	frappe.db.commit()
	return {"leads": 0}


def set_write_mode(mode: str) -> dict:
	settings = frappe.get_single("Lead Import Settings")
	settings.write_mode = mode
	settings.duplicate_action = "Skip"
	settings.save()
	frappe.db.commit()
	return {"write_mode": mode}


def queue_import(path: str, mode: str, workers: str = "1", chunk_rows: str = "20000") -> dict:
	from intellicon_leads.lead_import import files, imports

	settings = frappe.get_single("Lead Import Settings")
	settings.write_mode = mode
	settings.duplicate_action = "Skip"
	settings.batch_size = 1000 if mode == "Fast" else 500
	# One worker: the import runs unsplit, as before. More: chunks of the default size, that many at once.
	settings.parallel_chunks = int(workers)
	settings.chunk_size = int(chunk_rows)
	settings.set("duplicate_match_fields", [{"fieldname": "email_id"}])
	settings.save()
	file = files.save_local_file(path)
	preview = imports.preview_upload(file.file_url)
	mapping = [c["fieldname"] for c in preview["mapping"]["columns"]]
	job = imports.start_import(file.file_url, mapping)
	frappe.db.commit()
	return {"job": job.name, "mapping": mapping}


def status(job: str) -> dict:
	from intellicon_leads.lead_import.imports import job_status

	data = job_status(job)
	data["leads_in_database"] = frappe.db.count("Lead")
	return json.loads(frappe.as_json(data))


def chunks(job: str) -> dict:
	doc = frappe.get_doc("Lead Import Job", job)
	return {
		"status": doc.status,
		"chunks": len(doc.chunks),
		"workers": sorted({c.worker for c in doc.chunks if c.worker}),
	}


def fingerprint() -> dict:
	"""What the leads are, whatever their names: a digest of every lead's importable values; on
	ERPNext's Lead also of the Contacts made for them (every column but names and stamps, with their
	email, phone and link rows and the lead they link to)."""
	import hashlib

	from intellicon_leads.lead_import.schema import lead_schema

	fields = sorted(f.fieldname for f in lead_schema().fields)
	rows = frappe.db.sql(f"select {', '.join(f'`{f}`' for f in fields)} from `tabLead`", as_list=True)
	lines = sorted("\x1f".join("" if v is None else str(v) for v in row) for row in rows)
	digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
	return {"leads": len(lines), "digest": digest, **_contacts_fingerprint()}


def _contacts_fingerprint() -> dict:
	import hashlib
	import re

	if not frappe.db.exists("DocType", "Contact") or frappe.get_meta("Lead").module != "CRM":
		return {}
	stamps = {"name", "creation", "modified", "owner", "modified_by", "parent", "idx"}
	children: dict[str, list[str]] = {}
	for table in ("Contact Email", "Contact Phone", "Dynamic Link"):
		for row in frappe.db.sql(f"select * from `tab{table}` where parenttype = 'Contact'", as_dict=True):
			if table == "Dynamic Link" and row.link_doctype == "Lead":
				row.link_name = frappe.db.get_value("Lead", row.link_name, "email_id") or ""
			values = "|".join(f"{k}={row[k]}" for k in sorted(row) if k not in stamps)
			children.setdefault(row.parent, []).append(values)
	lines = []
	for row in frappe.db.sql("select * from `tabContact`", as_dict=True):
		base = re.sub(r"-\d+$", "", row.name)  # the number depends on which namesake came first
		values = "|".join(f"{k}={row[k]}" for k in sorted(row) if k not in stamps)
		lines.append(base + "|" + values + "|" + "|".join(sorted(children.get(row.name, []))))
	digest = hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16]
	return {"contacts": len(lines), "contacts_digest": digest}


def data_import(path: str, rows: str) -> dict:
	"""Frappe's own Data Import on ROWS rows of the same file.

	Data Import refuses a whole file for one bad Select value, so it gets the rows our engine
	accepts, cleaned to their canonical values, under the Lead labels it expects as headers.
	"""
	from frappe.core.doctype.data_import.importer import Importer

	sample = _clean_sample(path, int(rows))
	with open(sample, "rb") as f:
		file = frappe.get_doc(
			{"doctype": "File", "file_name": "sample.csv", "content": f.read(), "is_private": 1}
		).insert()
	doc = frappe.get_doc(
		{
			"doctype": "Data Import",
			"reference_doctype": "Lead",
			"import_type": "Insert New Records",
			"import_file": file.file_url,
		}
	).insert()
	frappe.db.commit()
	started = time.monotonic()
	Importer("Lead", data_import=doc).import_data()
	seconds = time.monotonic() - started
	frappe.db.commit()
	imported = frappe.db.count("Data Import Log", {"data_import": doc.name, "success": 1})
	return {
		"rows": int(rows),
		"imported": imported,
		"seconds": round(seconds, 2),
		"rows_per_second": round(int(rows) / seconds),
	}


def _clean_sample(path: str, rows: int) -> str:
	from intellicon_leads.importer.mapping import suggest_mapping
	from intellicon_leads.importer.pipeline import ImportPipeline
	from intellicon_leads.importer.reading import open_table
	from intellicon_leads.importer.store import MemoryStore
	from intellicon_leads.lead_import.schema import lead_schema

	schema = lead_schema()
	store = MemoryStore(schema)
	with open_table(path) as table:
		fields = suggest_mapping(table.header, schema).fields()
		limited = _Limited(table, rows)
		ImportPipeline(schema, fields, store, headers=table.header, batch_size=5000).run(limited)
	columns = [f for f in fields if f]
	sample = os.path.join(tempfile.gettempdir(), "intellicon-data-import-sample.csv")
	with open(sample, "w", encoding="utf-8", newline="") as out:
		writer = csv.writer(out)
		writer.writerow([schema[f].label for f in columns])
		for record in list(store.records.values())[:rows]:
			writer.writerow([record.get(f, "") for f in columns])
	return sample


class _Limited:
	"""The first rows of a table that make `count` valid leads (the sample for Data Import)."""

	def __init__(self, table, count: int) -> None:
		self.table, self.count = table, count

	def rows(self):
		for n, row in enumerate(self.table.rows()):
			if n >= self.count * 1.25:
				return
			yield row

	def progress(self) -> float:
		return self.table.progress()


def bare_loop(job: str, rows: str = "0") -> dict:
	"""Documents mode's floor, on the same site and data: the leads JOB created (the first ROWS of them, 0:
	all) are deleted and inserted again by a bare frappe.get_doc(...).insert() loop that commits every
	500, as a developer would write it."""
	from intellicon_leads.lead_import import files
	from intellicon_leads.lead_import.schema import lead_schema

	changes = frappe.db.get_value("Lead Import Job", job, "changes_file")
	with open(files.local_path(changes), encoding="utf-8") as f:
		names = [entry["name"] for entry in map(json.loads, f) if entry["action"] == "created"]
	names = names[: int(rows)] if int(rows) else names
	fields = [f.fieldname for f in lead_schema().fields]
	records = []
	for start in range(0, len(names), 5000):
		chunk = names[start : start + 5000]
		for row in frappe.get_all("Lead", {"name": ("in", chunk)}, fields):
			records.append({k: v for k, v in row.items() if v not in (None, "")})
		frappe.db.delete("Lead", {"name": ("in", chunk)})
	frappe.db.commit()
	started = time.monotonic()
	for done, record in enumerate(records, 1):
		frappe.get_doc({"doctype": "Lead", **record}).insert()
		if done % 500 == 0:
			frappe.db.commit()
	frappe.db.commit()
	seconds = time.monotonic() - started
	return {
		"rows": len(records),
		"seconds": round(seconds, 2),
		"rows_per_second": round(len(records) / seconds),
	}


ACTIONS = {
	"seed": seed,
	"bare-loop": bare_loop,
	"chunks": chunks,
	"fingerprint": fingerprint,
	"reset": reset,
	"queue-import": queue_import,
	"status": status,
	"data-import": data_import,
	"clean-sample": lambda path, rows: {"path": _clean_sample(path, int(rows))},
	"set-write-mode": set_write_mode,
}

if __name__ == "__main__":
	site, action, *args = sys.argv[1:]
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		print(json.dumps(ACTIONS[action](*args)))
	finally:
		frappe.destroy()
