"""What every run of a Lead Import Job shares: the import, a chunk of a split import, a retry of fixed
rows, an undo, a stop.

Statuses, the job's history of runs, the failed spool and the changes log, checkpoints and the stop
watch, progress and realtime messages, the end of a run (counts, failed file, notification), and
enqueueing. Each kind of run is a module above this one (importing, splitting, fixing, undo, stopping);
`jobs.process_job` dispatches a queued run to its kind. Nothing here imports a kind of run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import frappe
from frappe import _
from frappe.utils import get_fullname, now_datetime, time_diff_in_seconds
from frappe.utils.background_jobs import create_job_id, get_queue

from intellicon_leads.importer.dedup import DuplicateRule
from intellicon_leads.importer.failed import FailedRecordsWriter, failed_file_format
from intellicon_leads.importer.pipeline import BatchReport, ImportPipeline, ImportResult
from intellicon_leads.importer.reading import open_table
from intellicon_leads.importer.reading.spool import decode_value, encode_value
from intellicon_leads.importer.store import Interrupted
from intellicon_leads.lead_import import JOB_DOCTYPE, assigning, every_lead, files, tagging, target
from intellicon_leads.lead_import.schema import lead_schema
from intellicon_leads.lead_import.store import FrappeStore

# Documents mode runs about 1,000 rows/s: a 50 MB file (300k rows) needs minutes, never an hour.
JOB_TIMEOUT = 60 * 60
NOT_PROCESSED = "not_processed"  # the error kind of rows a stopped or failed run never reached
FINAL_STATUSES = ("Completed", "Completed with Errors", "Failed", "Stopped", "Undone", "Partly Undone")
# A job in one of these has a background run that a worker must finish (the scheduler re-queues it).
RUNNING_STATUSES = ("Queued", "Processing", "Stopping", "Undoing")
PROGRESS_EVENT = "lead_import_progress"
FAILED_ROW = "Lead Import Failed Row"
ROWS_PER_STATEMENT = 1000
# How often a batch being written asks whether a user stopped its job: one small query each time.
WATCH_SECONDS = 2.0


# -- queueing -----------------------------------------------------------------------------------------


def job_id(job_name: str) -> str:
	return f"lead-import::{job_name}"


def enqueue(job_name: str) -> None:
	"""Queue the job's next run; jobs.process_job picks its kind."""
	frappe.enqueue(
		"intellicon_leads.lead_import.jobs.process_job",
		queue="long",
		timeout=JOB_TIMEOUT,
		job_id=job_id(job_name),
		deduplicate=True,
		enqueue_after_commit=True,
		import_job=job_name,
	)


def take_off_queue(rq_job_id: str) -> bool:
	"""Remove a queued RQ job (an id given to frappe.enqueue); False if a worker has already taken it."""
	queue = get_queue("long")
	rq_id = create_job_id(rq_job_id)
	removed = queue.connection.lrem(queue.key, 1, rq_id)
	if removed:
		queue.connection.delete(f"rq:job:{rq_id}")
	return bool(removed)


# -- the job's file and pipeline ----------------------------------------------------------------------


def open_job_file(job):
	"""The job's file, read as it was previewed: the same sheet and the encoding the user chose."""
	return open_table(
		files.local_path(job.import_file),
		filename=job.file_name,
		sheet=job.sheet_name or None,
		encoding=job.get("encoding") or None,
	)


def job_pipeline(job, headers: list[str], chunk: bool = False, **options: Any) -> ImportPipeline:
	"""A pipeline as the job's settings make it: mapping, duplicate rule, value choices, values for every
	lead, write mode. A value for every lead that cannot be used raises MappingError (importer.constants).

	A chunk of a split job (`chunk`) writes while the job's other chunks do: see FrappeStore's
	series_apart and indexed_before.
	"""
	schema = lead_schema(target.of_job(job))
	tags, users = tagging.job_tags(job), assigning.job_users(job)
	return ImportPipeline(
		schema,
		json.loads(job.mapping),
		FrappeStore(
			schema,
			job.write_mode or "Documents",
			series_apart=chunk,
			indexed_before=job.started if chunk else None,
			interrupt=StopWatch(job.name),
			tagger=tagging.LeadTagger(schema.doctype, tags) if tags else None,
			assigner=assigning.LeadAssigner(schema.doctype, users, job.name) if users else None,
		),
		headers=headers,
		rule=DuplicateRule.from_dict(json.loads(job.duplicate_rules or "{}")),
		value_maps=json.loads(job.value_maps or "{}"),
		new_links=json.loads(job.new_links or "{}"),
		constants=every_lead.of_job(job),
		batch_size=job.batch_size or 500,
		**options,
	)


# -- stopping at a checkpoint ---------------------------------------------------------------------------


class ImportStopped(Interrupted):
	"""Raised at a batch boundary, or inside a batch being written, when a user asked the job to stop."""


class StopWatch:
	"""Called by the store before each document it writes: raises ImportStopped once a user has asked
	the job to stop, reading the job at most every WATCH_SECONDS."""

	def __init__(self, job_name: str) -> None:
		self.job_name = job_name
		self._read = time.monotonic()

	def __call__(self) -> None:
		now = time.monotonic()
		if now - self._read < WATCH_SECONDS:
			return
		self._read = now
		check_stop_requested(self.job_name)


def check_stop_requested(job_name: str) -> None:
	"""At a batch boundary: one read of whether a user asked this job to stop."""
	if frappe.db.get_value(JOB_DOCTYPE, job_name, "stop_requested_by"):
		raise ImportStopped


def stopped_reason(job) -> str:
	user = job.stop_requested_by
	return _("Import stopped by {0}").format(get_fullname(user) if user else _("a user"))


def not_processed(row, result: ImportResult, spool: FailedSpool, message: str) -> None:
	"""A row the run never reached (stopped, or failed before it): a failed row saying `message`."""
	result.total += 1
	result.failed += 1
	result.error_summary[NOT_PROCESSED] += 1
	result.last_row = row.number
	spool.add(row.number, row.values, row.extra, message, (NOT_PROCESSED,))


# -- what a run leaves behind ---------------------------------------------------------------------------


class FailedSpool:
	"""Failed rows as JSON lines while the job runs: appendable, and cut back to a checkpoint on resume."""

	def __init__(self, job_name: str) -> None:
		self.path = os.path.join(files.folder_path("work"), f"{job_name}-failed.jsonl")
		self._file = None

	def add(self, row_number: int, values: list, extra: list, message: str, kinds: tuple = ()) -> None:
		if self._file is None:
			self._file = open(self.path, "a", encoding="utf-8")
		entry = [row_number, values, extra, message, list(kinds)]
		self._file.write(json.dumps(entry, default=encode_value) + "\n")

	def flush(self) -> None:
		if self._file is not None:
			self._file.flush()
			os.fsync(self._file.fileno())

	def rows(self):
		self.flush()
		if not os.path.exists(self.path):
			return
		with open(self.path, encoding="utf-8") as f:
			for line in f:
				yield json.loads(line, object_hook=decode_value)

	def count(self) -> int:
		return sum(1 for _ in self.rows())

	def truncate_after(self, last_row: int) -> None:
		_truncate_jsonl(self.path, last_row, lambda entry: entry[0])


class ChangesLog:
	"""Which leads the job created, and the previous values of those it updated (for an undo)."""

	def __init__(self, job_name: str, path: str | None = None) -> None:
		self.path = path or os.path.join(files.folder_path("work"), f"{job_name}-changes.jsonl")

	def add(self, report: BatchReport, run: int = 1) -> None:
		"""`at` is when the batch was written: a lead modified after it was changed by someone since."""
		if not (report.created or report.updated):
			return
		at = now_datetime().isoformat(sep=" ")
		with open(self.path, "a", encoding="utf-8") as f:
			for row, name in report.created:
				entry = {"row": row, "action": "created", "name": name, "at": at, "run": run}
				f.write(json.dumps(entry) + "\n")
			for row, name, previous, new in report.updated:
				entry = {"row": row, "action": "updated", "name": name, "previous": previous, "new": new}
				entry.update(at=at, run=run)
				f.write(json.dumps(entry, default=encode_value) + "\n")

	def truncate_after(self, last_row: int) -> None:
		_truncate_jsonl(self.path, last_row, lambda entry: entry["row"])

	def store(self, job) -> str | None:
		if not os.path.exists(self.path) or not os.path.getsize(self.path):
			return None
		stored = files.store_file(
			self.path, f"{job.name} - changes.jsonl", attached_to=(JOB_DOCTYPE, job.name), move=True
		)
		return stored.file_url


def keep_failed_rows(job, rows: Iterable[tuple]) -> None:
	"""At the end of an import, its failed rows (as the failed spool holds them) become the rows that
	Fix Failed Rows shows."""
	frappe.db.delete(FAILED_ROW, {"job": job.name})
	now, user = now_datetime(), frappe.session.user
	fields = ["name", "creation", "modified", "owner", "modified_by", "job", "file_row"]
	fields += ["error", "kinds", "cells", "run"]
	chunk = []
	for row_number, values, extra, message, *rest in rows:
		cells = json.dumps([values, extra], default=encode_value)
		kinds = kinds_text(rest[0] if rest else ())
		chunk.append((f"{job.name}-{row_number}", now, now, user, user, job.name, row_number, message, kinds))
		chunk[-1] += (cells, 1)
		if len(chunk) >= ROWS_PER_STATEMENT:
			frappe.db.bulk_insert(FAILED_ROW, fields, chunk)
			chunk = []
	if chunk:
		frappe.db.bulk_insert(FAILED_ROW, fields, chunk)


def kinds_text(kinds: Iterable[str]) -> str:
	"""Kinds between commas (",invalid_email,duplicate,"), so that one kind is found with LIKE."""
	kinds = [k for k in kinds if k]
	return f",{','.join(kinds)}," if kinds else ""


def store_failed_file(job, rows: Iterable[tuple[int, list, list, str]]) -> str | None:
	"""The failed-records file of `rows` (row number, cells, extra cells, error), attached to the job."""
	with open_job_file(job) as table:
		header = table.header
	fmt = failed_file_format(job.file_format or "csv")
	stem = os.path.splitext(job.file_name or "leads")[0]
	path = os.path.join(files.folder_path("work"), f"{job.name}-failed.{fmt}")
	with FailedRecordsWriter(path, header, fmt) as writer:
		for row_number, values, extra, message in rows:
			writer.add(row_number, values, extra, message)
	if not writer.count:
		os.remove(path)
		return None
	stored = files.store_file(
		path, f"{stem} - failed records.{fmt}", attached_to=(JOB_DOCTYPE, job.name), move=True
	)
	return stored.file_url


# -- the job's history, progress and end ------------------------------------------------------------------


def start_run(job, run_type: str, user: str) -> None:
	"""A row in the job's history of runs: the import, each retry of fixed rows, the undo."""
	row = job.append(
		"runs", {"run_type": run_type, "status": job.status, "user": user, "started": now_datetime()}
	)
	row.db_insert()


def finish_run(job, status: str, **counts: int) -> None:
	"""Close the job's latest run: `counts` are fields of Lead Import Job Run (rows, imported, ...)."""
	if not job.runs:
		return
	run = job.runs[-1]
	run.update({"status": status, "finished": now_datetime(), **counts})
	run.db_update()


def close_import(
	job,
	status: str,
	result: ImportResult,
	reason: str | None,
	spool: FailedSpool,
	changes: ChangesLog,
	commit: Callable[[], None],
) -> None:
	"""An import (whole or split) has ended: its counts, failed records and changes file, the run in its
	history, the notification; committed, then said to the user's open pages."""
	finished = now_datetime()
	duration = time_diff_in_seconds(finished, job.started) if job.started else result.seconds
	values: dict[str, Any] = {
		**counts(result),
		"status": status,
		"finished": finished,
		"duration": duration,
		"rows_per_second": result.total / duration if duration else 0,
		"error_summary": summary_json(result),
		"error_message": reason,
		"created_links": json.dumps(result.created_links) if result.created_links else None,
	}
	values["failed_file"] = _store_failed_spool(job, spool)
	values["changes_file"] = changes.store(job)
	job.db_set(values, notify=True)
	finish_run(
		job,
		status,
		rows=result.total,
		imported=result.imported,
		updated=result.updated,
		skipped=result.skipped,
		failed=result.failed,
	)
	notify(job)
	assigning.notify_assignees(job)
	commit()
	publish(
		job, {"status": status, **counts(result), "done": result.total, "total": result.total, "fraction": 1}
	)


def _store_failed_spool(job, spool: FailedSpool) -> str | None:
	if not spool.count():
		return None
	if not job.dry_run:
		keep_failed_rows(job, spool.rows())
	return store_failed_file(job, ((n, v, x, m) for n, v, x, m, *_kinds in spool.rows()))


def publish(job, message: dict) -> None:
	"""Progress goes to the importing user's room only."""
	frappe.publish_realtime(PROGRESS_EVENT, {"job": job.name, **message}, user=job.owner, after_commit=False)


def notify(job) -> None:
	subject = _("Lead import {0} {1}: {2} imported, {3} updated, {4} skipped, {5} failed.").format(
		job.file_name or job.name,
		_(job.status).lower(),
		job.imported or 0,
		job.updated or 0,
		job.skipped or 0,
		job.failed or 0,
	)
	frappe.get_doc(
		{
			"doctype": "Notification Log",
			"for_user": job.owner,
			"type": "Alert",
			"document_type": JOB_DOCTYPE,
			"document_name": job.name,
			"subject": subject,
		}
	).insert(ignore_permissions=True)


def counts(result: ImportResult) -> dict[str, int]:
	return {
		"total_rows": result.total,
		"processed_rows": result.total,
		"imported": result.imported,
		"updated": result.updated,
		"skipped": result.skipped,
		"failed": result.failed,
	}


def summary_json(result: ImportResult) -> str:
	return json.dumps({"labels": result.summary_labels(), "kinds": dict(result.error_summary)})


def _truncate_jsonl(path: str, last_row: int, row_of: Callable[[Any], int]) -> None:
	if not os.path.exists(path):
		return
	if not last_row:
		os.remove(path)
		return
	with open(path, encoding="utf-8") as f:
		kept = [line for line in f if row_of(json.loads(line)) <= last_row]
	with open(path, "w", encoding="utf-8") as f:
		f.writelines(kept)
