"""Fix Failed Rows: a job's failed rows kept in the database, fixed in a grid one cell or one column at a
time, checked again at once, and imported again as a later run of the same job.

The uploaded file is never changed: a row keeps its cells as uploaded, and the user's fixes beside them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import frappe
from frappe import _

from intellicon_leads.importer.fixing import RETRY_AS_IS_KINDS, FixedRowsTable, apply_edits, cell_errors
from intellicon_leads.importer.mapping import MappingError
from intellicon_leads.importer.pipeline import FAILED, IMPORTED, SKIPPED, UPDATED, BatchReport, ImportResult
from intellicon_leads.importer.reading import Row
from intellicon_leads.importer.reading.spool import decode_value
from intellicon_leads.importer.values import ERROR_KINDS, cell_text
from intellicon_leads.lead_import import JOB_DOCTYPE, every_lead, files, target
from intellicon_leads.lead_import.locks import read_committed
from intellicon_leads.lead_import.runs import (
	FAILED_ROW,
	ROWS_PER_STATEMENT,
	ChangesLog,
	ImportStopped,
	check_stop_requested,
	enqueue,
	finish_run,
	job_pipeline,
	kinds_text,
	notify,
	open_job_file,
	publish,
	start_run,
	stopped_reason,
	store_failed_file,
)
from intellicon_leads.lead_import.schema import lead_schema
from intellicon_leads.lead_import.store import readable_error

RETRY_RUN = "Retry Fixed Rows"
FIXABLE_STATUSES = ("Completed with Errors", "Failed", "Stopped")
MAX_PAGE_LENGTH = 500
WILL_IMPORT, WILL_UPDATE, WILL_SKIP, STILL_FAILING = (
	"Will Import",
	"Will Update",
	"Will Skip",
	"Still Failing",
)
PASSING = (WILL_IMPORT, WILL_UPDATE, WILL_SKIP)


def _kinds_of(text: str | None) -> list[str]:
	return [k for k in (text or "").split(",") if k]


# -- the grid ----------------------------------------------------------------------------------


def failed_rows_page(job_name: str, start: int = 0, page_length: int = 50, kind: str | None = None) -> dict:
	"""One page of the job's failed rows in file order, with the columns, the error kinds and their counts."""
	job = frappe.get_doc(JOB_DOCTYPE, job_name)
	filters = _filters(job.name, kind)
	docs = frappe.get_all(
		FAILED_ROW,
		filters,
		["file_row", "error", "kinds", "cells", "edits", "check_status", "check_message"],
		order_by="file_row asc",
		limit_start=max(int(start), 0),
		limit_page_length=min(max(int(page_length), 1), MAX_PAGE_LENGTH),
	)
	checker = CellChecker(job)
	return {
		"job": job.name,
		"status": job.status,
		"columns": grid_columns(job),
		"rows": [checker.view(doc) for doc in docs],
		"total": frappe.db.count(FAILED_ROW, filters),
		"kinds": kind_counts(job.name),
		"start": int(start),
		"can_import": bool(retry_count(job.name, limit=1)),
	}


def grid_columns(job) -> list[dict]:
	"""The mapped columns of the file: what the grid shows and lets the user fix."""
	schema = lead_schema(target.of_job(job))
	with open_job_file(job) as table:
		header = table.header
	columns = []
	for index, fieldname in enumerate(json.loads(job.mapping)):
		field_ = schema.get(fieldname) if fieldname else None
		if field_ is None:
			continue
		columns.append(
			{
				"index": index,
				"header": header[index] if index < len(header) else "",
				"fieldname": fieldname,
				"label": field_.label,
				"fieldtype": field_.fieldtype,
				"options": list(field_.options or []),
				"required": bool(field_.required),
			}
		)
	return columns


def kind_counts(job_name: str) -> list[dict]:
	"""How many failed rows have each error kind, most first."""
	counts: Counter = Counter()
	for kinds, count in frappe.db.sql(
		f"select kinds, count(*) from `tab{FAILED_ROW}` where job = %s group by kinds", job_name
	):
		for kind in _kinds_of(kinds):
			counts[kind] += count
	return [
		{"kind": kind, "label": _(ERROR_KINDS.get(kind, kind)), "count": count}
		for kind, count in counts.most_common()
	]


class CellChecker:
	"""A failed row as the grid shows it: its cells with the fixes, and the error beside each cell."""

	def __init__(self, job) -> None:
		self.schema = lead_schema(target.of_job(job))
		self.fields = json.loads(job.mapping)
		self.value_maps = json.loads(job.value_maps or "{}")
		self.constants = every_lead.of_job(job)
		match_fields = json.loads(job.duplicate_rules or "{}").get("match_fields") or ["email_id"]
		self.match_columns = {i for i, f in enumerate(self.fields) if f in match_fields}

	def view(self, doc) -> dict:
		values, extra = json.loads(doc.cells, object_hook=decode_value)
		edits = json.loads(doc.edits or "{}")
		fixed = apply_edits(values, edits)
		errors = cell_errors(self.schema, self.fields, fixed, self.value_maps, self.constants)
		kinds = _kinds_of(doc.kinds)
		if "duplicate" in kinds and doc.check_status != WILL_IMPORT:
			for index in self.match_columns:
				errors.setdefault(index, doc.error)
		return {
			"row": doc.file_row,
			"cells": [_cell_text(v) for v in fixed],
			"edited": sorted(int(i) for i in edits),
			"error": doc.error,
			"kinds": kinds,
			"cell_errors": {str(i): message for i, message in errors.items()},
			"check_status": doc.check_status or "",
			"check_message": doc.check_message or "",
			"extra": [_cell_text(v) for v in extra],
		}


def _cell_text(value: Any) -> str:
	return "" if value is None else cell_text(value)


def _filters(job_name: str, kind: str | None) -> dict:
	filters: dict[str, Any] = {"job": job_name}
	if kind:
		filters["kinds"] = ("like", f"%,{kind},%")
	return filters


# -- fixing and checking -----------------------------------------------------------------------


def fix_rows(
	job_name: str,
	column: int,
	value: str,
	rows: list[int] | None = None,
	kind: str | None = None,
) -> dict:
	"""Set one column of the chosen rows (the row numbers, or every row with an error kind) to `value`,
	then check those rows again; an empty value clears the column."""
	job = fixable_job(job_name)
	column = int(column)
	if column not in {c["index"] for c in grid_columns(job)}:
		frappe.throw(
			_("That column is not mapped to a lead field, so it is not imported. Pick a mapped column.")
		)
	value = "" if value is None else str(value)
	changed = 0
	for docs in _chosen_rows(job.name, rows, kind):
		for doc in docs:
			values, _extra = json.loads(doc.cells, object_hook=decode_value)
			edits = json.loads(doc.edits or "{}")
			original = _cell_text(values[column]) if column < len(values) else ""
			if value == original:
				edits.pop(str(column), None)
			else:
				edits[str(column)] = value
			doc.edits = json.dumps(edits) if edits else None
		_update_rows({doc.name: {"edits": doc.edits} for doc in docs})
		check_rows(job, docs)
		changed += len(docs)
	return {"changed": changed}


def recheck_rows(job_name: str, rows: list[int] | None = None, kind: str | None = None) -> dict:
	"""Check the chosen rows again as they are: a Lead Source or a user may exist by now."""
	job = fixable_job(job_name)
	checked = 0
	for docs in _chosen_rows(job.name, rows, kind):
		check_rows(job, docs)
		checked += len(docs)
	return {"checked": checked}


def _chosen_rows(job_name: str, rows: list[int] | None, kind: str | None) -> Iterator[list]:
	"""The chosen failed rows in chunks: the row numbers given, else every row of the error kind."""
	fields = ["name", "file_row", "cells", "edits", "error"]
	if rows is not None:
		numbers = sorted({int(r) for r in rows})
		for i in range(0, len(numbers), ROWS_PER_STATEMENT):
			filters = {"job": job_name, "file_row": ("in", numbers[i : i + ROWS_PER_STATEMENT])}
			yield frappe.get_all(FAILED_ROW, filters, fields, order_by="file_row asc")
		return
	if not kind:
		frappe.throw(_("Select the rows to change, or filter by an error kind to change all rows of it."))
	yield from _in_chunks({**_filters(job_name, kind)}, fields)


def _in_chunks(filters: dict, fields: list[str]) -> Iterator[list]:
	"""Failed rows in file order, a chunk at a time: 100,000 of them stay light."""
	after = 0
	while True:
		docs = frappe.get_all(
			FAILED_ROW,
			{**filters, "file_row": (">", after)},
			fields,
			order_by="file_row asc",
			limit_page_length=ROWS_PER_STATEMENT,
		)
		if not docs:
			return
		yield docs
		after = docs[-1].file_row


def check_rows(job, docs: list) -> None:
	"""Run the chosen rows, with their fixes, through the job's own pipeline without writing: would each
	import, update a lead, be skipped, or fail, and why."""
	with open_job_file(job) as table:
		header = table.header
	verdicts: dict[int, tuple[str, str]] = {}

	def planned(report: BatchReport) -> None:
		for row, status, lead in report.planned:
			if status == IMPORTED:
				verdicts[row] = (WILL_IMPORT, _("Row {0} will be imported.").format(row))
			else:
				verdicts[row] = (WILL_UPDATE, _("Row {0} will update lead {1}.").format(row, lead))

	try:
		pipeline = job_pipeline(job, header, dry_run=True, on_batch=planned)
		result = pipeline.run(FixedRowsTable(header, _fixed_rows(docs), len(docs)))
	except MappingError as exc:  # a record a value for every lead names was deleted since the import
		every_lead.refuse(exc)
	for outcome in result.outcomes:
		status = STILL_FAILING if outcome.status == FAILED else WILL_SKIP
		verdicts[outcome.row] = (status, outcome.message)
	checked = {}
	for doc in docs:
		status, message = verdicts.get(doc.file_row, (STILL_FAILING, doc.get("error") or ""))
		checked[doc.name] = {"check_status": status, "check_message": message}
	_update_rows(checked)


def _update_rows(rows: dict[str, dict[str, Any]]) -> None:
	"""One UPDATE for a chunk of failed rows, each field set by a CASE on the row's name: fixing a
	column of 100,000 rows takes 100 statements, not 200,000."""
	if not rows:
		return
	names = list(rows)
	sets, params = [], []
	for fieldname in sorted({f for values in rows.values() for f in values}):
		cases = []
		for name in names:
			if fieldname in rows[name]:
				cases.append("when %s then %s")
				params += [name, rows[name][fieldname]]
		sets.append(f"`{fieldname}` = case `name` {' '.join(cases)} else `{fieldname}` end")
	placeholders = ", ".join(["%s"] * len(names))
	frappe.db.sql(
		f"update `tab{FAILED_ROW}` set {', '.join(sets)} where `name` in ({placeholders})",
		[*params, *names],
	)


def _fixed_rows(docs: Iterable) -> Iterator[Row]:
	for doc in docs:
		values, extra = json.loads(doc.cells, object_hook=decode_value)
		yield Row(doc.file_row, apply_edits(values, json.loads(doc.edits or "{}")), extra)


def fixable_job(job_name: str):
	job = frappe.get_doc(JOB_DOCTYPE, job_name)
	if job.dry_run:
		frappe.throw(_("This was a dry run: nothing was imported. Start the import from the wizard instead."))
	if job.status not in FIXABLE_STATUSES:
		frappe.throw(
			_(
				"Failed rows can be fixed once the import has finished with errors; this import is {0}."
			).format(_(job.status))
		)
	return job


# -- importing the fixed rows ------------------------------------------------------------------


def _retry_condition() -> str:
	"""SQL for a failed row the next run imports again: fixed by the user, checked as passing, or failed
	only for reasons outside its values (the import stopped, a write error)."""
	passing = ", ".join(frappe.db.escape(status) for status in PASSING)
	as_is = "|".join(sorted(RETRY_AS_IS_KINDS))
	return f"(`edits` is not null or `check_status` in ({passing}) or `kinds` regexp '^,(({as_is}),)+$')"


def retry_count(job_name: str, limit: int | None = None) -> int:
	"""How many rows the next retry imports (counting no further than `limit`)."""
	query = f"select 1 from `tab{FAILED_ROW}` where `job` = %s and {_retry_condition()}"
	if limit:
		query += f" limit {int(limit)}"
	return frappe.db.sql(f"select count(*) from ({query}) t", job_name)[0][0]


def _retry_rows(job_name: str, run: int) -> Iterator:
	"""The rows a retry run imports, in file order, a chunk at a time; rows that already failed in this
	run (before a worker died) are left out."""
	after = 0
	while True:
		docs = frappe.db.sql(
			f"""select `name`, `file_row`, `cells`, `edits` from `tab{FAILED_ROW}`
			where `job` = %s and `file_row` > %s and `run` < %s and {_retry_condition()}
			order by `file_row` limit {ROWS_PER_STATEMENT}""",
			(job_name, after, run),
			as_dict=True,
		)
		if not docs:
			return
		yield from docs
		after = docs[-1].file_row


def start_retry(job_name: str):
	"""Queue a run of the job that imports its fixed rows."""
	job = fixable_job(job_name)
	if not retry_count(job.name, limit=1):
		frappe.throw(
			_("No failed row has been fixed yet. Fix the cells marked in red, then import the fixed rows.")
		)
	job.db_set({"status": "Queued", "error_message": None, "stop_requested_by": None}, notify=True)
	start_run(job, RETRY_RUN, frappe.session.user)
	enqueue(job.name)
	return job


def retry_pending(job_name: str) -> bool:
	"""The job's latest run is a retry that has not finished (queued, or cut short by a dead worker)."""
	run = frappe.get_all(
		"Lead Import Job Run",
		{"parent": job_name, "parenttype": JOB_DOCTYPE},
		["run_type", "finished"],
		order_by="idx desc",
		limit_page_length=1,
	)
	return bool(run) and run[0].run_type == RETRY_RUN and not run[0].finished


class RetryRunner:
	"""One retry run: the fixed rows through the job's pipeline, each batch settled in its transaction."""

	def __init__(self, job_name: str, commit=None, rollback=None) -> None:
		self.job = frappe.get_doc(JOB_DOCTYPE, job_name)
		self.commit = commit or frappe.db.commit
		self.rollback = rollback or frappe.db.rollback
		self.run_number = len(self.job.runs)
		self.failures: list[tuple] = []
		self.counted_outcomes = 0
		self.totals = Counter()

	def add(self, row_number: int, values: list, extra: list, message: str, kinds: tuple = ()) -> None:
		"""The pipeline's failed sink: settled with the batch they belong to."""
		self.failures.append((row_number, message, kinds))

	def run(self) -> None:
		if not retry_pending(self.job.name):
			return
		with read_committed():
			if self.job.stop_requested_by:  # stopped while queued, or the stopping worker died
				self._close(self._stopped_reason(), stopped=True)
				return
			self.job.db_set("status", "Processing", notify=True)
			self.commit()
			try:
				self._retry()
			except ImportStopped:
				self.rollback()
				self._close(self._stopped_reason(), stopped=True)
				return
			except Exception as exc:
				self.rollback()
				frappe.log_error(title=_("Retry of lead import {0} failed").format(self.job.name))
				reason = _("The retry stopped: {0}. Rows not imported stay in Fix Failed Rows.").format(
					readable_error(exc)
				)
				self._close(reason)
				return
			self._close(None)

	def _stopped_reason(self) -> str:
		self.job.reload()
		return _("{0}. The fixed rows not reached stay in Fix Failed Rows.").format(stopped_reason(self.job))

	def _retry(self) -> None:
		job = self.job
		with open_job_file(job) as table:
			header = table.header
		rows = _retry_rows(job.name, self.run_number)
		count = retry_count(job.name)
		pipeline = job_pipeline(
			job, header, failed_sink=self, on_batch=self._checkpoint, on_progress=self._progress
		)
		self.result = pipeline.run(FixedRowsTable(header, _fixed_rows(rows), count))
		self._settle(self.result, created=[], updated=[], upto=None)
		self.commit()

	def _checkpoint(self, report: BatchReport) -> None:
		self._settle(report.result, report.created, report.updated, report.last_row)
		self._changes().add(report, run=self.run_number)
		self.commit()
		check_stop_requested(self.job.name)

	def _settle(self, result: ImportResult, created: list, updated: list, upto: int | None) -> None:
		"""Rows that went through leave the failed rows, rows failing again get their new error, and the
		job's counts move by as much; all in the batch's transaction."""
		outcomes = result.outcomes[self.counted_outcomes :]
		self.counted_outcomes = len(result.outcomes)
		skipped = {o.row for o in outcomes if o.status == SKIPPED}
		done = {row for row, _name in created} | {row for row, *_ in updated} | skipped
		failing = [f for f in self.failures if upto is None or f[0] <= upto]
		self.failures = [f for f in self.failures if upto is not None and f[0] > upto]
		moved = Counter(
			imported=len(created),
			updated=len({r for r, *_ in updated} - skipped),
			skipped=len(skipped),
			failed=-len(done),
		)
		if done:
			frappe.db.delete(FAILED_ROW, {"job": self.job.name, "file_row": ("in", sorted(done))})
		_update_rows(
			{
				f"{self.job.name}-{row_number}": {
					"error": message,
					"kinds": kinds_text(kinds),
					"run": self.run_number,
					"check_status": STILL_FAILING,
					"check_message": message,
				}
				for row_number, message, kinds in failing
			}
		)
		self.totals.update({**moved, "rows": len(done) + len(failing), "failed": len(failing)})
		self._move_counts(moved)

	def _move_counts(self, moved: Counter) -> None:
		job = self.job
		values = {
			key: (job.get(key) or 0) + moved.get(key, 0) for key in (IMPORTED, UPDATED, SKIPPED, FAILED)
		}
		job.db_set(values, update_modified=True)

	def _changes(self) -> ChangesLog:
		path = files.local_path(self.job.changes_file) if self.job.changes_file else None
		return ChangesLog(self.job.name, path)

	def _progress(self, progress) -> None:
		job = self.job
		publish(
			job,
			{
				"status": "Processing",
				"done": job.total_rows,
				"total": job.total_rows,
				"fraction": round(progress.fraction, 4),
				**{key: job.get(key) or 0 for key in (IMPORTED, UPDATED, SKIPPED, FAILED)},
			},
		)

	def _close(self, reason: str | None, stopped: bool = False) -> None:
		"""The job is finished again (the retry's rows were failed rows of a finished import); a stopped
		retry says so in the run and the reason, and the next retry is not stopped by it."""
		job = self.job
		job.reload()
		status = "Completed" if not job.failed else "Completed with Errors"
		values: dict[str, Any] = {"status": status, "error_summary": error_summary_json(job.name)}
		if reason:
			values["error_message"] = reason
		if stopped:
			values["stop_requested_by"] = None
		values["failed_file"] = rebuild_failed_file(job)
		if not job.changes_file:
			values["changes_file"] = ChangesLog(job.name).store(job)
		job.db_set(values, notify=True)
		counts = {key: self.totals.get(key, 0) for key in ("rows", IMPORTED, UPDATED, SKIPPED, FAILED)}
		finish_run(job, "Stopped" if stopped else status, **counts)
		notify(job)
		self.commit()
		publish(job, {"status": status, "done": job.total_rows, "total": job.total_rows, "fraction": 1})


def error_summary_json(job_name: str) -> str:
	"""The job's error summary, counted again from the rows still failing."""
	counts = {entry["kind"]: entry["count"] for entry in kind_counts(job_name)}
	labels = {ERROR_KINDS.get(kind, kind): count for kind, count in counts.items()}
	return json.dumps({"labels": labels, "kinds": counts})


def rebuild_failed_file(job) -> str | None:
	"""A new failed-records file with the rows still failing, with their fixes and their latest error."""
	if job.failed_file:
		for name in frappe.get_all("File", {"file_url": job.failed_file}, pluck="name"):
			frappe.delete_doc("File", name, force=True, ignore_permissions=True)

	def rows() -> Iterator[tuple]:
		for docs in _in_chunks({"job": job.name}, ["file_row", "cells", "edits", "error"]):
			for doc in docs:
				values, extra = json.loads(doc.cells, object_hook=decode_value)
				yield doc.file_row, apply_edits(values, json.loads(doc.edits or "{}")), extra, doc.error

	return store_failed_file(job, rows())
