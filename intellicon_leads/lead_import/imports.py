"""The wizard's steps on the server: preview an upload, check a mapping, dry-run, start and follow a job."""

from __future__ import annotations

import json
from typing import Any

import frappe
from frappe import _

from intellicon_leads.importer.mapping import (
	Constant,
	MappingError,
	constants_to_dict,
	normalize_header,
	resolve_mapping,
)
from intellicon_leads.importer.pipeline import ImportPipeline
from intellicon_leads.importer.preview import preview_file
from intellicon_leads.importer.reading import FileRejected, Row, open_table
from intellicon_leads.importer.value_scan import SAVED, ValueReview, review_values, saved_choices
from intellicon_leads.lead_import import (
	JOB_DOCTYPE,
	assigning,
	every_lead,
	files,
	json_argument,
	tagging,
	target,
	templates,
)
from intellicon_leads.lead_import.links import link_targets
from intellicon_leads.lead_import.locks import retry_on_conflict
from intellicon_leads.lead_import.runs import enqueue, job_id
from intellicon_leads.lead_import.schema import lead_schema
from intellicon_leads.lead_import.store import DOCUMENTS, FrappeStore, write_mode_for

ACTIVE_STATUSES = ("Queued", "Processing")
LEARNED_KEY = "intellicon_lead_import_learned_columns"
DRY_RUN_FIRST_ERRORS = 20


def settings():
	return frappe.get_cached_doc("Lead Import Settings")


def preview_upload(
	file_url: str,
	sheet: str | None = None,
	template: str | None = None,
	template_doc=None,
	encoding: str | None = None,
) -> dict:
	"""First rows, suggested mapping, Lead fields, matching templates and the rules in force."""
	schema = lead_schema()
	chosen = template_doc or (templates.load(template) if template else None)
	try:
		preview = preview_file(
			files.local_path(file_url),
			schema,
			filename=_file_name(file_url),
			sheet=sheet,
			max_size=files.max_upload_size(),
			templates=templates.all_templates(),
			template=chosen,
			learned=learned_columns(),
			encoding=encoding or None,
		)
	except FileRejected as exc:
		frappe.throw(str(exc), title=_("File cannot be imported"))
	data = preview.to_dict()
	data["warnings"] += value_warnings(preview, schema, chosen)
	used = chosen or next((t for t, score in preview.templates[:1] if score >= 1), None)
	return {
		**data,
		"file_url": file_url,
		"fields": [f.to_dict() for f in schema.fields],
		"rules": rules_in_force(),
		# The values for every lead of the template the mapping comes from, for the wizard to show.
		"template_constants": constants_to_dict(every_lead.merged(schema, used)),
	}


def value_warnings(preview, schema, template=None) -> list[str]:
	"""Values in the first rows that a field cannot take as they are: matched in the next steps."""
	rows = [Row(number, values, []) for number, values in preview.rows]
	review = review_values(
		rows,
		schema,
		preview.suggestion.fields(),
		preview.header,
		_targets(schema),
		choices=saved_choices(template),
	)
	warnings = []
	for column in review.columns:
		needing = [v.value for v in column.needs_match if not v.choice or v.choice.reason != SAVED]
		if needing:
			shown = ", ".join(f"'{v}'" for v in needing[:5]) + (", …" if len(needing) > 5 else "")
			warnings.append(
				_(
					"Column '{0}' holds values that are not a valid {1} ({2}); you will match them after Map Fields."
				).format(column.header, _(column.field.label), shown)
			)
	return warnings


def review_upload(
	file_url: str,
	mapping: Any,
	sheet: str | None = None,
	template: str | None = None,
	template_doc=None,
	encoding: str | None = None,
	constants: Any = None,
) -> ValueReview:
	"""The whole file's Select, Link and Check values, each valid or with a choice (saved or suggested);
	the values for every lead (the template's, then the given ones) among them."""
	schema = lead_schema()
	chosen = template_doc or (templates.load(template) if template else None)
	for_every_lead = every_lead.merged(schema, chosen, constants)
	with open_upload(file_url, sheet, encoding) as table:
		fields = _resolved(table.header, mapping, for_every_lead)
		return review_values(
			table.rows(),
			schema,
			fields,
			table.header,
			_targets(schema),
			choices=saved_choices(chosen),
			constants=for_every_lead,
		)


def _targets(schema):
	"""Link targets per DocType, each read once per request."""
	cache: dict[str, Any] = {}

	def targets_for(doctype: str):
		if doctype not in cache:
			cache[doctype] = link_targets(doctype)
		return cache[doctype]

	return targets_for


def rules_in_force() -> dict:
	doc = settings()
	rule = doc.duplicate_rule()
	schema = lead_schema()
	return {
		**rule.to_dict(),
		"match_labels": [schema[f].label for f in map(schema.resolve, rule.match_fields) if f],
		"write_mode": write_mode_for(schema.doctype, doc.write_mode or DOCUMENTS)[0],
		"assignment_rule": assigning.rules_notice(schema.doctype),
	}


def check_mapping(
	file_url: str,
	mapping: Any,
	sheet: str | None = None,
	encoding: str | None = None,
	constants: Any = None,
) -> list[str | None]:
	"""The mapping as one field per column, or a clear refusal naming what is wrong; a required field
	set for every lead needs no column. Values for every lead are checked as far as they can be before
	Match Values."""
	schema = lead_schema()
	for_every_lead = every_lead.merged(schema, None, constants)
	fields = _resolved(file_header(file_url, sheet, encoding)[0], mapping, for_every_lead)
	every_lead.check_before_values(schema, for_every_lead)
	return fields


def _resolved(
	header: list[str], mapping: Any, for_every_lead: dict[str, Constant] | None = None
) -> list[str | None]:
	try:
		return resolve_mapping(header, lead_schema(), json_argument(mapping), for_every_lead)
	except MappingError as exc:
		frappe.throw(
			"<br>".join(frappe.utils.escape_html(m) for m in exc.messages), title=_("Check the mapping")
		)


def dry_run(
	file_url: str,
	mapping: Any,
	value_maps: Any = None,
	sheet: str | None = None,
	new_links: Any = None,
	encoding: str | None = None,
	constants: Any = None,
) -> dict:
	"""The whole file through validation and duplicate checks, nothing written; the values for every
	lead checked first, as an import checks them."""
	schema = lead_schema()
	doc = settings()
	value_maps, new_links = json_argument(value_maps) or None, json_argument(new_links) or None
	for_every_lead = every_lead.merged(schema, None, constants)
	with open_upload(file_url, sheet, encoding) as table:
		fields = _resolved(table.header, mapping, for_every_lead)
		every_lead.check(schema, for_every_lead, value_maps, new_links, _targets(schema))
		pipeline = ImportPipeline(
			schema,
			fields,
			FrappeStore(schema),
			headers=table.header,
			rule=doc.duplicate_rule(),
			value_maps=value_maps,
			new_links=new_links,
			constants=for_every_lead,
			batch_size=doc.batch_size or 500,
			dry_run=True,
		)
		result = pipeline.run(table)
	data = result.to_dict()
	data["failed_rows"] = data["failed_rows"][:DRY_RUN_FIRST_ERRORS]
	data["skipped_rows"] = data["skipped_rows"][:DRY_RUN_FIRST_ERRORS]
	return data


def start_import(file_url: str, mapping: Any, **options: Any):
	"""A Lead Import Job, queued; the same file already importing gives back that job instead.

	`options` are those of create_job: template, value_maps, sheet, dry_run, new_links, encoding,
	constants, and what happens to the leads after they are written: tags, import_tag, assign_to,
	assignment.
	"""
	job = create_job(file_url, mapping, **options)
	if job.status == "Queued" and not job.rq_job_id:
		job.db_set("rq_job_id", job_id(job.name))
		enqueue(job.name)
	return job


def create_job(
	file_url: str,
	mapping: Any,
	template: str | None = None,
	value_maps: Any = None,
	sheet: str | None = None,
	dry_run: bool = False,
	new_links: Any = None,
	template_doc=None,
	encoding: str | None = None,
	tags: Any = None,
	import_tag: bool = True,
	assign_to: Any = None,
	assignment: str | None = None,
	constants: Any = None,
):
	"""A Lead Import Job for the file; `template_doc` is an engine Template not saved on the site.
	`constants` are values for every lead ({field: {"value", "file_wins"}}) over the template's.

	Every lead the job writes gets `tags` and, with `import_tag`, a tag named after the job; `assign_to`
	(users) assigns them, to one user or round robin (`assignment`, else decided by how many users).

	Call it with nothing uncommitted: a deadlock with another import starting at the same moment rolls
	the transaction back, and the job is made again.
	"""
	after_import = after_import_options(tags, import_tag, assign_to, assignment)
	return retry_on_conflict(
		lambda: _create_job(
			file_url,
			mapping,
			template,
			value_maps,
			sheet,
			dry_run,
			new_links,
			template_doc,
			encoding,
			after_import,
			constants,
		)
	)


def after_import_options(
	tags: Any = None, import_tag: bool = True, assign_to: Any = None, assignment: str | None = None
) -> dict[str, Any]:
	"""The job's fields for tags and assignment, checked: clean tags, existing and enabled users."""
	users = assigning.clean_users(assign_to)
	return {
		"lead_tags": ", ".join(tagging.clean_tags(tags)),
		"tag_with_import": int(frappe.utils.cint(import_tag) != 0),
		"assignment": assigning.assignment_for(users, assignment or ""),
		"assign_to": "\n".join(users),
	}


def _create_job(
	file_url: str,
	mapping: Any,
	template: str | None,
	value_maps: Any,
	sheet: str | None,
	dry_run: bool,
	new_links: Any,
	template_doc,
	encoding: str | None,
	after_import: dict[str, Any],
	constants: Any = None,
):
	active = frappe.db.get_value(
		JOB_DOCTYPE,
		{"import_file": file_url, "status": ("in", ACTIVE_STATUSES), "dry_run": int(bool(dry_run))},
	)
	if active:
		return frappe.get_doc(JOB_DOCTYPE, active)
	header, file_format, sheet_name = file_header(file_url, sheet, encoding)
	saved = template_doc or (templates.load(template) if template else None)
	schema = lead_schema()
	for_every_lead = every_lead.merged(schema, saved, constants)
	fields = _resolved(header, mapping, for_every_lead)
	field_of = schema.resolve
	maps = _by_field(
		field_of, saved.value_maps if saved else {}, json_argument(value_maps), merge=_merge_maps
	)
	links = _by_field(
		field_of, saved.new_links if saved else {}, json_argument(new_links), merge=_merge_names
	)
	every_lead.check(schema, for_every_lead, maps, links, _targets(schema))
	doc = settings()
	lead_doctype = target.lead_doctype()
	write_mode, write_mode_note = write_mode_for(lead_doctype, doc.write_mode or DOCUMENTS)
	job = frappe.get_doc(
		{
			"doctype": JOB_DOCTYPE,
			"status": "Queued",
			"import_file": file_url,
			"file_name": _file_name(file_url),
			"file_format": file_format,
			"sheet_name": sheet_name,
			"encoding": encoding or None,
			"template": template,
			"lead_doctype": lead_doctype,
			"mapping": json.dumps(fields),
			"value_maps": json.dumps(maps),
			"new_links": json.dumps(links),
			"constants": json.dumps(constants_to_dict(for_every_lead)),
			"duplicate_rules": json.dumps(doc.duplicate_rule().to_dict()),
			"write_mode": write_mode,
			"write_mode_note": write_mode_note,
			"batch_size": doc.batch_size or 500,
			"dry_run": int(bool(dry_run)),
			"imported_by": frappe.session.user,
			**after_import,
		}
	).insert(ignore_permissions=True)
	if not job.dry_run:
		tagging.make_tags(tagging.job_tags(job))  # before any chunk writes (tagging.make_tags)
	files.attach_to(file_url, JOB_DOCTYPE, job.name)
	remember_columns(header, fields)
	return job


def _by_field(field_of, *choices, merge) -> dict:
	"""Choices per field, a template's then the wizard's, under this site's field names (a template
	made on ERPNext 15 names ERPNext 15's fields on ERPNext 16 or Frappe CRM)."""
	merged: dict = {}
	for by_field in choices:
		for fieldname, value in (by_field or {}).items():
			key = field_of(fieldname) or fieldname
			merged[key] = merge(merged.get(key), value)
	return merged


def _merge_maps(earlier: dict | None, later: dict) -> dict:
	return {**(earlier or {}), **later}


def _merge_names(earlier: list | None, later: list) -> list:
	return list(dict.fromkeys([*(earlier or []), *later]))


def job_status(job_name: str) -> dict:
	fields = [
		"name",
		"status",
		"file_name",
		"total_rows",
		"processed_rows",
		"imported",
		"updated",
		"skipped",
		"failed",
		"started",
		"finished",
		"duration",
		"rows_per_second",
		"error_message",
		"error_summary",
		"failed_file",
		"dry_run",
		"created_links",
		"lead_doctype",
		"tag_with_import",
	]
	data = frappe.db.get_value(JOB_DOCTYPE, job_name, fields, as_dict=True)
	data["error_summary"] = json.loads(data.error_summary or "{}").get("labels", {})
	data["created_links"] = json.loads(data.created_links or "{}")
	return data


def file_header(
	file_url: str, sheet: str | None = None, encoding: str | None = None
) -> tuple[list[str], str, str | None]:
	with open_upload(file_url, sheet, encoding) as table:
		return list(table.header), table.format, table.sheet


def learned_columns() -> dict[str, str]:
	return json.loads(frappe.db.get_default(LEARNED_KEY) or "{}")


def remember_columns(header: list[str], fields: list[str | None]) -> None:
	"""Mappings are learned: a header the user mapped is suggested the same way next time."""
	learned = learned_columns()
	learned.update({normalize_header(h): f for h, f in zip(header, fields, strict=False) if h and f})
	frappe.db.set_default(LEARNED_KEY, json.dumps(learned))


def open_upload(file_url: str, sheet: str | None, encoding: str | None = None):
	"""The uploaded file as a table to stream; a file that cannot be read is refused with the reason."""
	try:
		return open_table(
			files.local_path(file_url),
			filename=_file_name(file_url),
			sheet=sheet,
			max_size=files.max_upload_size(),
			encoding=encoding or None,
		)
	except FileRejected as exc:
		frappe.throw(str(exc), title=_("File cannot be imported"))


def _file_name(file_url: str) -> str:
	return frappe.db.get_value("File", {"file_url": file_url}, "file_name") or file_url.rsplit("/", 1)[-1]
