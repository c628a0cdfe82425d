"""Whitelisted endpoints of the import wizard: check permission, then one call into lead_import."""

from __future__ import annotations

import frappe
from frappe import _

from intellicon_leads.lead_import import (
	JOB_DOCTYPE,
	files,
	fixing,
	imports,
	json_argument,
	new_fields,
	stopping,
	templates,
	undo,
)
from intellicon_leads.lead_import.permissions import (
	can_control_job,
	can_import,
	check_can_add_fields,
	check_can_import,
	check_job_access,
	check_job_control,
)


@frappe.whitelist()
def import_access() -> dict:
	"""What the wizard needs before its first step: may this user import, and the file size limit."""
	return {"allowed": can_import(), "max_file_size": files.max_upload_size()}


@frappe.whitelist(methods=["POST"])
def upload_chunk(upload_id: str, offset: int, total_size: int, filename: str) -> dict:
	"""One chunk of an upload (multipart field `chunk`); the last one returns the stored file."""
	check_can_import()
	chunk = frappe.request.files.get("chunk") if frappe.request else None
	if chunk is None:
		frappe.throw(_("No file data arrived. Choose the file again."))
	return files.receive_chunk(upload_id, int(offset), int(total_size), filename, chunk.stream.read())


@frappe.whitelist(methods=["POST"])
def upload_from_link(link: str) -> dict:
	"""A file fetched from an https link (a Google Sheets share link too), stored as an upload is."""
	check_can_import()
	file = files.save_from_link(link)
	return {"file": file.name, "file_url": file.file_url, "file_name": file.file_name, "size": file.file_size}


@frappe.whitelist()
def preview(
	file_url: str, sheet: str | None = None, template: str | None = None, encoding: str | None = None
) -> dict:
	check_can_import()
	_check_file_access(file_url)
	return imports.preview_upload(file_url, sheet, template, encoding=encoding)


@frappe.whitelist()
def validate_mapping(
	file_url: str,
	mapping: str | list | dict,
	sheet: str | None = None,
	encoding: str | None = None,
	constants: str | dict | None = None,
) -> dict:
	"""The mapping, and the values for every lead ({fieldname: {value, file_wins}}) as far as they can
	be checked before Match Values."""
	check_can_import()
	_check_file_access(file_url)
	return {"fields": imports.check_mapping(file_url, mapping, sheet, encoding, constants)}


@frappe.whitelist(methods=["POST"])
def propose_field(file_url: str, column: int, sheet: str | None = None, encoding: str | None = None) -> dict:
	"""The custom field proposed for an unmapped column, its type judged from every value in it."""
	check_can_import()
	check_can_add_fields()
	_check_file_access(file_url)
	return new_fields.propose(file_url, int(column), sheet, encoding)


@frappe.whitelist(methods=["POST"])
def create_field_from_column(
	file_url: str,
	column: int,
	label: str,
	fieldtype: str,
	options: str | list | None = None,
	sheet: str | None = None,
	encoding: str | None = None,
) -> dict:
	"""A new Custom Field on the Lead for the column; the field as the wizard's field list holds it."""
	check_can_import()
	check_can_add_fields()
	_check_file_access(file_url)
	return new_fields.create_from_column(
		file_url, int(column), label, fieldtype, options, sheet=sheet, encoding=encoding
	)


@frappe.whitelist(methods=["POST"])
def review_values(
	file_url: str,
	mapping: str | list | dict,
	sheet: str | None = None,
	template: str | None = None,
	encoding: str | None = None,
	constants: str | dict | None = None,
) -> dict:
	"""Every Select, Link and Check value in the whole file, valid or with a suggested choice; a value
	for every lead among its field's values (a column of index -1 when no column is mapped to it)."""
	check_can_import()
	_check_file_access(file_url)
	return imports.review_upload(
		file_url, mapping, sheet, template, encoding=encoding, constants=constants
	).to_dict()


@frappe.whitelist(methods=["POST"])
def check_file(
	file_url: str,
	mapping: str | list | dict,
	value_maps: str | dict | None = None,
	sheet: str | None = None,
	new_links: str | dict | None = None,
	encoding: str | None = None,
	tags: str | list | None = None,
	import_tag: int = 1,
	assign_to: str | list | None = None,
	assignment: str | None = None,
	constants: str | dict | None = None,
) -> dict:
	"""A whole-file dry run: projected counts and the first errors, nothing written; the tags and
	users chosen for after the import are checked too."""
	check_can_import()
	_check_file_access(file_url)
	imports.after_import_options(tags, import_tag, assign_to, assignment)
	return imports.dry_run(file_url, mapping, value_maps, sheet, new_links, encoding, constants)


@frappe.whitelist(methods=["POST"])
def start_import(
	file_url: str,
	mapping: str | list | dict,
	template: str | None = None,
	value_maps: str | dict | None = None,
	sheet: str | None = None,
	new_links: str | dict | None = None,
	encoding: str | None = None,
	tags: str | list | None = None,
	import_tag: int = 1,
	assign_to: str | list | None = None,
	assignment: str | None = None,
	constants: str | dict | None = None,
) -> dict:
	"""Queue the import. `constants` (values for every lead) go over the template's; a field given as
	null drops the template's value."""
	check_can_import()
	_check_file_access(file_url)
	job = imports.start_import(
		file_url,
		mapping,
		template=template,
		value_maps=value_maps,
		sheet=sheet,
		new_links=new_links,
		encoding=encoding,
		tags=tags,
		import_tag=import_tag,
		assign_to=assign_to,
		assignment=assignment,
		constants=constants,
	)
	return {"job": job.name, "status": job.status}


@frappe.whitelist()
def job_status(job: str) -> dict:
	check_job_access(job)
	return imports.job_status(job)


@frappe.whitelist(methods=["POST"])
def save_template(
	template_name: str,
	headers: str | list,
	mapping: str | list,
	value_maps: str | dict | None = None,
	new_links: str | dict | None = None,
	constants: str | dict | None = None,
) -> dict:
	check_can_import()
	frappe.has_permission(templates.TEMPLATE_DOCTYPE, "create", throw=True)
	doc = templates.save(
		template_name,
		json_argument(headers),
		json_argument(mapping),
		json_argument(value_maps) if value_maps else None,
		json_argument(new_links) if new_links else None,
		json_argument(constants) if constants else None,
	)
	return {"name": doc.name, "fingerprint": doc.header_fingerprint}


@frappe.whitelist()
def list_templates(headers: str | list | None = None) -> list:
	check_can_import()
	return templates.ranked(json_argument(headers) if headers else None)


@frappe.whitelist()
def get_template(name: str) -> dict:
	check_can_import()
	frappe.has_permission(templates.TEMPLATE_DOCTYPE, "read", doc=name, throw=True)
	return templates.load(name).to_dict()


@frappe.whitelist()
def download_failed_records(job: str) -> None:
	check_job_access(job)
	file_url = frappe.db.get_value(JOB_DOCTYPE, job, "failed_file")
	if not file_url:
		frappe.throw(_("No rows failed in this import, so there is no failed records file."))
	file_name = frappe.db.get_value("File", {"file_url": file_url}, "file_name")
	with open(files.local_path(file_url), "rb") as f:
		frappe.local.response.filecontent = f.read()
	frappe.local.response.filename = file_name
	frappe.local.response.type = "download"


@frappe.whitelist()
def failed_rows(job: str, start: int = 0, page_length: int = 50, kind: str | None = None) -> dict:
	"""One page of the job's failed rows for the Fix Failed Rows grid."""
	check_job_access(job)
	page = fixing.failed_rows_page(job, int(start), int(page_length), kind or None)
	page["can_fix"] = can_control_job(frappe.get_doc(JOB_DOCTYPE, job))
	return page


@frappe.whitelist(methods=["POST"])
def fix_failed_rows(
	job: str, column: int, value: str | None = None, rows: str | list | None = None, kind: str | None = None
) -> dict:
	"""Set (or, with an empty value, clear) one column of the chosen failed rows, and check them again."""
	check_job_control(job)
	return fixing.fix_rows(job, int(column), value, json_argument(rows) if rows else None, kind or None)


@frappe.whitelist(methods=["POST"])
def check_failed_rows(job: str, rows: str | list | None = None, kind: str | None = None) -> dict:
	check_job_control(job)
	return fixing.recheck_rows(job, json_argument(rows) if rows else None, kind or None)


@frappe.whitelist(methods=["POST"])
def import_fixed_rows(job: str) -> dict:
	"""Queue a run of the job that imports the failed rows fixed so far."""
	check_job_control(job)
	doc = fixing.start_retry(job)
	return {"job": doc.name, "status": doc.status}


@frappe.whitelist(methods=["POST"])
def stop_import(job: str) -> dict:
	"""Stop Import: a queued job is taken off the queue, a running one stops within seconds."""
	return stopping.stop_job(job)


@frappe.whitelist(methods=["POST"])
def undo_import(job: str) -> dict:
	"""Queue the undo of a finished import: its new leads deleted, the fields it updated restored."""
	check_job_control(job)
	doc = undo.start_undo(job)
	return {"job": doc.name, "status": doc.status}


@frappe.whitelist()
def download_kept_leads(job: str) -> None:
	"""The leads the undo kept (changed or linked since the import), and why: a CSV file."""
	check_job_access(job)
	path, file_name = undo.kept_file(job)
	with open(path, "rb") as f:
		frappe.local.response.filecontent = f.read()
	frappe.local.response.filename = file_name
	frappe.local.response.type = "download"


def _check_file_access(file_url: str) -> None:
	"""The uploaded file must be one of this app's private files that the user may read."""
	name = frappe.db.get_value("File", {"file_url": file_url})
	if not name or not file_url.startswith(f"/private/files/{files.FOLDER}/"):
		frappe.throw(_("The uploaded file was not found. Upload it again."), frappe.DoesNotExistError)
	frappe.has_permission("File", "read", doc=name, throw=True)
