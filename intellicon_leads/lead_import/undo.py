"""Undo Import: delete the leads a job created and restore, field by field, the values it replaced.

The job's changes file is read backwards, a block at a time: a lead updated by the import and again by a
later run of the same job is restored step by step, and a million changes never sit in memory. A lead
someone changed since the import keeps the change, and is listed in the job's Kept Leads file.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from intellicon_leads.importer.reading.spool import decode_value
from intellicon_leads.lead_import import JOB_DOCTYPE, LEAD_DOCTYPE, assigning, files, tagging, target
from intellicon_leads.lead_import.assigning import ASSIGN_COLUMN
from intellicon_leads.lead_import.locks import is_lock_conflict, read_committed
from intellicon_leads.lead_import.runs import RUNNING_STATUSES, enqueue, finish_run, publish, start_run
from intellicon_leads.lead_import.store import FAST, OWN_LEAD_MODULE, readable_error
from intellicon_leads.lead_import.swaps import writing_batch
from intellicon_leads.lead_import.tagging import TAGS_COLUMN

UNDO_RUN = "Undo"
UNDOABLE_STATUSES = ("Completed", "Completed with Errors", "Failed", "Stopped")
UNDONE_STATUSES = ("Undoing", "Undone", "Partly Undone")
BATCH = 200
BLOCK = 64 * 1024
DELETED, RESTORED, KEPT = "deleted", "restored", "kept"
# Documents that only record what happened to a lead: they do not make it "changed since the import".
LOG_DOCTYPES = {
	"Version",
	"Activity Log",
	"View Log",
	"Access Log",
	"Route History",
	"Notification Log",
	"Energy Point Log",
	"Document Follow",
	"Deleted Document",
	"Email Unsubscribe",
	"DocShare",
	"Tag Link",
}
KEPT_HEADER = ["Lead", "Row", "Action", "Reason"]
# What a Lead's controller makes with it at insert, which goes with it when it is unchanged since: the
# assignment (ToDo) of Frappe CRM's lead owner, and the notification (CRM Notification) it sends. Frappe
# deletes a lead's ToDos with it; the notifications, which block the delete, are removed first.
MADE_AT_INSERT = {"ToDo": None, "CRM Notification": ("reference_doctype", "reference_name")}


# -- starting ----------------------------------------------------------------------------------


def undoable_job(job_name: str):
	"""The job, if it can be undone; else a sentence that says why not."""
	job = frappe.get_doc(JOB_DOCTYPE, job_name)
	if job.status in UNDONE_STATUSES:
		frappe.throw(_("This import has already been undone ({0}).").format(_(job.status)))
	if job.status in RUNNING_STATUSES:
		frappe.throw(_("This import is still running. Wait until it has finished, then undo it."))
	if job.dry_run:
		frappe.throw(_("This was a dry run: nothing was imported, so there is nothing to undo."))
	if job.status not in UNDOABLE_STATUSES or not _changes_path(job):
		frappe.throw(_("This import created and updated no leads, so there is nothing to undo."))
	return job


def start_undo(job_name: str):
	"""Queue the undo of a finished import as a run of the job."""
	job = undoable_job(job_name)
	job.db_set(
		{"status": "Undoing", "undo_position": 0, "deleted": 0, "restored": 0, "kept": 0, "undo_file": None},
		notify=True,
	)
	start_run(job, UNDO_RUN, frappe.session.user)
	_truncate_spool(_spool_path(job.name), 0)
	enqueue(job.name)
	return job


def undo_pending(job_name: str) -> bool:
	return frappe.db.get_value(JOB_DOCTYPE, job_name, "status") == "Undoing"


# -- reading the changes file backwards --------------------------------------------------------


def lines_backwards(path: str, skip: int = 0, block: int = BLOCK) -> Iterator[tuple[str, int]]:
	"""The lines of a file, last first, each with the bytes read from the end once it is handled;
	`skip` bytes at the end were handled before. One block in memory at a time."""
	with open(path, "rb") as f:
		f.seek(0, os.SEEK_END)
		end = f.tell() - skip
		size = f.tell()
		rest = b""
		while end > 0:
			start = max(0, end - block)
			f.seek(start)
			chunk = f.read(end - start) + rest
			end = start
			parts = chunk.split(b"\n")
			rest = parts.pop(0) if start > 0 else b""
			offset = start + len(rest) + (1 if start > 0 else 0)
			positions = []
			for part in parts:
				positions.append((part, offset))
				offset += len(part) + 1
			for part, line_start in reversed(positions):
				if part.strip():
					yield part.decode("utf-8"), size - line_start
		if rest.strip():
			yield rest.decode("utf-8"), size


def entries_backwards(path: str, skip: int = 0) -> Iterator[tuple[dict, int]]:
	for line, consumed in lines_backwards(path, skip):
		yield json.loads(line, object_hook=decode_value), consumed


# -- deciding what changed since ---------------------------------------------------------------


def _values_equal(a: Any, b: Any) -> bool:
	a, b = _normal(a), _normal(b)
	if a == b:
		return True
	try:
		return float(a) == float(b)
	except (TypeError, ValueError):
		return False


def _normal(value: Any) -> Any:
	if value is None:
		return ""
	if isinstance(value, bool):
		return int(value)
	if isinstance(value, Decimal):
		return float(value)
	if isinstance(value, datetime.datetime):
		return value.replace(microsecond=0).isoformat(sep=" ")
	if isinstance(value, datetime.date | datetime.time):
		return value.isoformat()
	if isinstance(value, str):
		return value.strip()
	return value


def linked_leads(
	names: list[str], created_at: dict[str, datetime.datetime], lead_doctype: str = LEAD_DOCTYPE
) -> dict[str, str]:
	"""Which of `names` (leads of `lead_doctype`) another document links to, and a sentence naming it:
	one query per link field."""
	found: dict[str, str] = {}
	if not names:
		return found
	for doctype, fieldname, is_table in _link_fields(lead_doctype):
		parent = "parenttype, parent" if is_table else f"'{doctype}', name"
		rows = frappe.db.sql(
			f"select `{fieldname}`, {parent} from `tab{doctype}` where `{fieldname}` in %(names)s",
			{"names": names},
		)
		for lead, parent_doctype, parent_name in rows:
			if parent_doctype == lead_doctype and parent_name == lead:
				continue
			found.setdefault(lead, _("Linked from {0} {1}.").format(_(parent_doctype), parent_name))
	for doctype, fieldname, options, is_table in _dynamic_link_fields():
		parent = "parenttype, parent" if is_table else f"'{doctype}', name"
		extra = ", comment_type" if doctype == "Comment" else ", null"
		rows = frappe.db.sql(
			f"""select `{fieldname}`, {parent}{extra} from `tab{doctype}`
			where `{options}` = %(lead)s and `{fieldname}` in %(names)s""",
			{"lead": lead_doctype, "names": names},
		)
		for lead, parent_doctype, parent_name, comment_type in rows:
			if lead in found or parent_doctype in LOG_DOCTYPES or parent_doctype == JOB_DOCTYPE:
				continue
			if parent_doctype == "Comment" and comment_type != "Comment":
				continue
			if parent_doctype in ("Contact", "Address") and _made_with_lead(
				parent_doctype, parent_name, created_at.get(lead), lead_doctype
			):
				continue
			if parent_doctype in MADE_AT_INSERT and _unchanged_since(
				parent_doctype, parent_name, created_at.get(lead)
			):
				continue
			found[lead] = _("Linked from {0} {1}.").format(_(parent_doctype), parent_name)
	return found


def _cached(key: str, build):
	"""Link maps built once per request or job, like Frappe's own dynamic link map."""
	cache = getattr(frappe.local, "lead_import_undo_links", None)
	if cache is None:
		cache = frappe.local.lead_import_undo_links = {}
	if key not in cache:
		cache[key] = build()
	return cache[key]


def _link_fields(lead_doctype: str) -> list[tuple[str, str, bool]]:
	return _cached(f"links:{lead_doctype}", lambda: _build_link_fields(lead_doctype))


def _dynamic_link_fields() -> list[tuple[str, str, str, bool]]:
	return _cached("dynamic", _build_dynamic_link_fields)


def _build_link_fields(lead_doctype: str) -> list[tuple[str, str, bool]]:
	from frappe.model.rename_doc import get_link_fields

	fields = []
	for field in get_link_fields(lead_doctype):
		if field.get("issingle") or field["parent"] in LOG_DOCTYPES:
			continue
		try:
			meta = frappe.get_meta(field["parent"])
		except frappe.DoesNotExistError:
			continue
		fields.append((field["parent"], field["fieldname"], bool(meta.istable)))
	return fields


def _build_dynamic_link_fields() -> list[tuple[str, str, str, bool]]:
	from frappe.model.dynamic_links import get_dynamic_links

	fields = []
	for field in get_dynamic_links():
		if field.parent in LOG_DOCTYPES:
			continue
		try:
			meta = frappe.get_meta(field.parent)
		except frappe.DoesNotExistError:
			continue
		if meta.issingle or not frappe.db.table_exists(field.parent):
			continue
		fields.append((field.parent, field.fieldname, field.options, bool(meta.istable)))
	return fields


def _made_with_lead(doctype: str, name: str, at: datetime.datetime | None, lead_doctype: str) -> bool:
	"""ERPNext's Lead makes a Contact (or Address) with it: that one goes with the lead, unless it was
	changed since the import or also belongs to something else."""
	links = frappe.get_all(
		"Dynamic Link", {"parenttype": doctype, "parent": name}, ["link_doctype"], limit_page_length=2
	)
	if len(links) != 1 or links[0].link_doctype != lead_doctype:
		return False
	return _unchanged_since(doctype, name, at)


def _deleted_first() -> dict[str, tuple[str, str]]:
	"""The MADE_AT_INSERT DocTypes this site has that Frappe does not delete with the lead itself."""
	return {d: fields for d, fields in MADE_AT_INSERT.items() if fields and frappe.db.table_exists(d)}


def _unchanged_since(doctype: str, name: str, at: datetime.datetime | None) -> bool:
	"""Not modified after `at`, when the import wrote the lead it belongs to."""
	modified = frappe.db.get_value(doctype, name, "modified")
	return bool(at and modified and get_datetime(modified) <= at)


# -- running -----------------------------------------------------------------------------------


class UndoRunner:
	"""The undo of one job: the changes file backwards, a batch per transaction with its checkpoint."""

	def __init__(self, job_name: str, commit=None, rollback=None) -> None:
		self.job = frappe.get_doc(JOB_DOCTYPE, job_name)
		self.commit = commit or frappe.db.commit
		self.rollback = rollback or frappe.db.rollback
		self.path = _changes_path(self.job)
		self.spool = _spool_path(self.job.name)
		self.doctype = target.of_job(self.job)
		self.fast = (self.job.write_mode or "") == FAST and frappe.get_meta(
			self.doctype
		).module == OWN_LEAD_MODULE
		self.finished_at = get_datetime(self.job.finished) if self.job.finished else now_datetime()
		# Each lead once: what the undo did to it so far (names only, never the entries).
		self.outcomes: dict[str, str] = {}
		self.counts: Counter = Counter()

	def run(self) -> None:
		if self.job.status != "Undoing":
			return
		with read_committed():
			reason = None
			try:
				self._resume()
				self._undo()
			except Exception as exc:
				self.rollback()
				frappe.log_error(title=_("Undo of lead import {0} failed").format(self.job.name))
				reason = _(
					"The undo stopped: {0}. The leads it had not reached yet are as the import left them."
				).format(readable_error(exc))
			self._close(reason)

	def _resume(self) -> None:
		"""After a dead worker: the outcomes of the entries already handled, read again from the file."""
		position = self.job.undo_position or 0
		_truncate_spool(self.spool, position)
		if not position:
			return
		kept = {line[1] for line in _spool_lines(self.spool)}
		for entry, consumed in entries_backwards(self.path):
			if consumed > position:
				break
			name = entry["name"]
			if name in kept:
				self.outcomes[name] = KEPT
			elif name not in self.outcomes:
				gone = entry["action"] == "created" and not frappe.db.exists(self.doctype, name)
				self.outcomes[name] = DELETED if gone else RESTORED
		self.counts = Counter(self.outcomes.values())

	def _undo(self) -> None:
		position = self.job.undo_position or 0
		self.size = os.path.getsize(self.path)
		self.changes = _count_lines(self.path)
		batch: list[dict] = []
		for entry, consumed in entries_backwards(self.path, position):
			batch.append(entry)
			if len(batch) >= BATCH:
				self._batch(batch, consumed)
				batch = []
				position = consumed
		if batch:
			self._batch(batch, self.size)

	def _batch(self, entries: list[dict], position: int) -> None:
		kept: list[tuple[str, int, str, str]] = []
		names = list({e["name"] for e in entries})
		fields = {f for e in entries if e["action"] == "updated" for f in e.get("new", {})}
		fields -= {TAGS_COLUMN, ASSIGN_COLUMN}
		current = {
			row.name: row
			for row in frappe.get_all(
				self.doctype, {"name": ("in", names)}, ["name", "modified", *sorted(fields)]
			)
		}
		created = [e for e in entries if e["action"] == "created" and e["name"] in current]
		links = linked_leads(
			[e["name"] for e in created], {e["name"]: self._at(e) for e in created}, self.doctype
		)
		with writing_batch():
			for entry in entries:
				outcome, reason = self._entry(entry, current, links)
				if reason:
					kept.append((entry["name"], entry.get("row"), entry["action"], reason))
				self._count(entry["name"], outcome)
		_append_spool(self.spool, position, kept)
		self.job.db_set(
			{
				"undo_position": position,
				**{key: self.counts.get(key, 0) for key in (DELETED, RESTORED, KEPT)},
			},
			update_modified=True,
		)
		self.commit()
		self._progress(position)

	def _count(self, name: str, outcome: str) -> None:
		"""A lead counts once: kept if any step kept something, else what the last step did."""
		previous = self.outcomes.get(name)
		if previous == KEPT:
			return
		self.outcomes[name] = outcome
		if previous:
			self.counts[previous] -= 1
		self.counts[outcome] += 1

	def _at(self, entry: dict) -> datetime.datetime:
		return get_datetime(entry["at"]) if entry.get("at") else self.finished_at

	def _entry(self, entry: dict, current: dict, links: dict) -> tuple[str, str | None]:
		name = entry["name"]
		lead = current.get(name)
		if lead is None:
			if self.outcomes.get(name) == DELETED:
				return DELETED, None
			return KEPT, _("The lead was deleted after the import; nothing to undo.")
		if entry["action"] != "created":
			return self._restore(entry, lead)
		outcome, reason = self._delete(entry, lead, links)
		if outcome == DELETED:
			current.pop(name)
		return outcome, reason

	def _delete(self, entry: dict, lead, links: dict) -> tuple[str, str | None]:
		name = entry["name"]
		if self.outcomes.get(name) == KEPT:
			return KEPT, None
		restored_now = self.outcomes.get(name) == RESTORED
		if not restored_now and get_datetime(lead.modified) > self._at(entry):
			return KEPT, _("The lead was edited after the import.")
		if name in links:
			return KEPT, links[name]
		frappe.db.savepoint("lead_import_undo")
		try:
			# Frappe deletes only a document it can lock without waiting: a user saving this lead at the
			# same moment would get it kept. Wait here (up to MariaDB's lock wait timeout) instead.
			# By its primary key alone: get_value adds an ORDER BY that may scan, and lock, other leads.
			frappe.db.sql(f"select name from `tab{self.doctype}` where name = %s for update", name)
			for doctype, (type_field, name_field) in _deleted_first().items():
				frappe.db.delete(doctype, {type_field: self.doctype, name_field: name})
			frappe.delete_doc(self.doctype, name, ignore_permissions=True)
		except Exception as exc:
			frappe.db.rollback(save_point="lead_import_undo")
			if is_lock_conflict(exc):
				return KEPT, _(
					"The lead could not be deleted: another user or job kept it locked for too long. Delete it by hand if it should go."
				)
			return KEPT, _("The lead could not be deleted: {0}").format(readable_error(exc))
		finally:
			frappe.clear_messages()  # or every later lead's reason would repeat this one's
		return DELETED, None

	def _restore(self, entry: dict, lead) -> tuple[str, str | None]:
		name, previous, new = entry["name"], entry.get("previous") or {}, dict(entry.get("new") or {})
		self._untag_and_unassign(name, previous, new)
		restore, changed = {}, []
		for field, value in new.items():
			if _values_equal(lead.get(field), value):
				restore[field] = previous.get(field)
			else:
				changed.append(field)
		error = self._write(name, restore) if restore else None
		if error:
			return KEPT, _("The previous values could not be restored: {0}").format(error)
		lead.update(restore)
		if changed:
			labels = ", ".join(_field_label(f, self.doctype) for f in changed)
			return KEPT, _("Changed again after the import, so kept: {0}.").format(labels)
		return RESTORED, None

	def _untag_and_unassign(self, name: str, previous: dict, new: dict) -> None:
		"""The tags the import added to an updated lead and the assignment it gave it go; the lead's
		other tags and assignments, before or since, stay."""
		after = new.pop(TAGS_COLUMN, None)
		if after is not None:
			tagging.remove_added_tags(self.doctype, name, previous.get(TAGS_COLUMN) or "", after)
		if new.pop(ASSIGN_COLUMN, None) is not None:
			assigning.remove_assignment(self.job.name, self.doctype, name)

	def _write(self, name: str, values: dict) -> str | None:
		if self.fast:
			frappe.db.set_value(self.doctype, name, values)
			return None
		frappe.db.savepoint("lead_import_undo")
		try:
			doc = frappe.get_doc(self.doctype, name)
			doc.update(values)
			doc.flags.ignore_permissions = True
			doc.save()
		except Exception as exc:
			frappe.db.rollback(save_point="lead_import_undo")
			return readable_error(exc)
		finally:
			frappe.clear_messages()
		return None

	def _progress(self, position: int) -> None:
		"""How far through the changes file: the job form's progress bar, the import's counts beside it."""
		fraction = position / (self.size or 1)
		publish(
			self.job,
			{
				"status": "Undoing",
				"done": round(fraction * self.changes),
				"total": self.changes,
				"fraction": round(fraction, 4),
				**{key: self.job.get(key) or 0 for key in ("imported", "updated", "skipped", "failed")},
				**{key: self.counts.get(key, 0) for key in (DELETED, RESTORED, KEPT)},
			},
		)

	def _close(self, reason: str | None) -> None:
		job = self.job
		job.reload()
		counts = {key: job.get(key) or 0 for key in (DELETED, RESTORED, KEPT)}
		status = "Partly Undone" if counts[KEPT] or reason else "Undone"
		values: dict[str, Any] = {"status": status, "undo_file": self._store_kept_file()}
		if reason:
			values["error_message"] = reason
		job.db_set(values, notify=True)
		finish_run(job, status, rows=sum(counts.values()), **counts)
		self.commit()
		imported = {key: job.get(key) or 0 for key in ("imported", "updated", "skipped", "failed")}
		publish(
			job, {"status": status, **imported, **counts, "done": job.total_rows, "total": job.total_rows}
		)

	def _store_kept_file(self) -> str | None:
		if not os.path.exists(self.spool):
			return None
		path = os.path.join(files.folder_path("work"), f"{self.job.name}-kept.csv")
		written = 0
		with open(path, "w", encoding="utf-8", newline="") as f:
			writer = csv.writer(f)
			writer.writerow(KEPT_HEADER)
			for _position, name, row, action, reason in _spool_lines(self.spool):
				writer.writerow([name, row or "", _(action.title()), reason])
				written += 1
		os.remove(self.spool)
		if not written:
			os.remove(path)
			return None
		stored = files.store_file(
			path, f"{self.job.name} - kept leads.csv", attached_to=(JOB_DOCTYPE, self.job.name), move=True
		)
		return stored.file_url


def _field_label(fieldname: str, doctype: str) -> str:
	field = frappe.get_meta(doctype).get_field(fieldname)
	return _(field.label) if field and field.label else fieldname


# -- the kept list -----------------------------------------------------------------------------


def _changes_path(job) -> str | None:
	if not job.changes_file:
		return None
	path = files.local_path(job.changes_file)
	return path if os.path.exists(path) and os.path.getsize(path) else None


def _count_lines(path: str) -> int:
	with open(path, "rb") as f:
		return sum(block.count(b"\n") for block in iter(lambda: f.read(BLOCK), b""))


def _spool_path(job_name: str) -> str:
	return os.path.join(files.folder_path("work"), f"{job_name}-kept.jsonl")


def _append_spool(path: str, position: int, kept: Iterable[tuple]) -> None:
	kept = list(kept)
	if not kept:
		return
	with open(path, "a", encoding="utf-8") as f:
		for name, row, action, reason in kept:
			f.write(json.dumps([position, name, row, action, reason]) + "\n")
		f.flush()
		os.fsync(f.fileno())


def _spool_lines(path: str) -> Iterator[list]:
	if not os.path.exists(path):
		return
	with open(path, encoding="utf-8") as f:
		for line in f:
			yield json.loads(line)


def _truncate_spool(path: str, position: int) -> None:
	"""Kept leads of a batch that never committed are forgotten: that batch runs again."""
	if not os.path.exists(path):
		return
	tmp = f"{path}.tmp"
	with open(path, encoding="utf-8") as source, open(tmp, "w", encoding="utf-8") as target:
		for line in source:
			if json.loads(line)[0] <= position:
				target.write(line)
	os.replace(tmp, path)


def kept_file(job_name: str) -> tuple[str, str]:
	"""The path and the file name of the job's Kept Leads file."""
	file_url = frappe.db.get_value(JOB_DOCTYPE, job_name, "undo_file")
	if not file_url:
		frappe.throw(_("The undo kept no leads, so there is no list of kept leads."))
	file_name = frappe.db.get_value("File", {"file_url": file_url}, "file_name")
	return files.local_path(file_url), file_name
