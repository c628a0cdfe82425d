"""bench --site SITE import-leads FILE: the same import as the wizard, in the foreground."""

from __future__ import annotations

import html
import json
import os
import sys

import click
from frappe.commands import get_site, pass_context


@click.command("import-leads")
@click.argument("file_path", metavar="FILE_OR_HTTPS_LINK")
@click.option(
	"--template",
	help="A saved import template's name, or a template JSON file (columns, value_maps, new_links)",
)
@click.option(
	"--accept-suggestions",
	is_flag=True,
	help="Match every Select, Link and Check value that needs it as the wizard suggests",
)
@click.option("--sheet", help="Sheet to read (default: the first that has data)")
@click.option("--encoding", help="Encoding of a CSV file, e.g. windows-1253 (default: detected)")
@click.option("--dry-run", is_flag=True, help="Check the whole file without writing anything")
@click.option("--user", default="Administrator", help="Run the import as this user")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the job and its counts")
@click.option("--tag", "tags", multiple=True, help="Tag every imported or updated lead (repeatable)")
@click.option("--no-import-tag", is_flag=True, help="Do not tag the leads with the import's name")
@click.option(
	"--assign",
	"assign_to",
	multiple=True,
	help="Assign the imported leads to this user (repeatable: several users take turns, round robin)",
)
@click.option(
	"--set",
	"set_values",
	multiple=True,
	metavar="FIELD=VALUE",
	help="Set FIELD (a fieldname or label) to VALUE for every lead; it wins over the file (repeatable)",
)
@click.option(
	"--default",
	"default_values",
	multiple=True,
	metavar="FIELD=VALUE",
	help="Set FIELD to VALUE for every lead whose file cell is empty; the file wins (repeatable)",
)
@pass_context
def import_leads(
	context,
	file_path,
	template,
	sheet,
	encoding,
	dry_run,
	user,
	as_json,
	accept_suggestions,
	tags,
	no_import_tag,
	assign_to,
	set_values,
	default_values,
):
	"""Import FILE_PATH (a file, or an https link) into the site's Lead. --set and --default override a template's values for
	every lead; each value is checked as a cell of its field is, and a bad one stops the command
	before any lead is written."""
	import frappe

	from intellicon_leads.lead_import import files, imports
	from intellicon_leads.lead_import.importing import JobRunner

	link = is_link(file_path)
	if not link and not os.path.isfile(file_path):
		raise click.BadParameter(f"{file_path} is neither a file nor an https:// link.", param_hint="FILE")
	constants = {**constants_option(default_values, "--default"), **constants_option(set_values, "--set")}
	frappe.init(site=get_site(context))
	frappe.connect()
	try:
		frappe.set_user(user)
		saved = template_file(template)
		name = None if saved else template
		file = files.save_from_link(file_path) if link else files.save_local_file(file_path)
		frappe.db.commit()  # the upload is kept even if making the job has to be tried again
		preview = imports.preview_upload(file.file_url, sheet, name, template_doc=saved, encoding=encoding)
		mapping = [c["fieldname"] for c in preview["mapping"]["columns"]]
		value_maps, new_links = None, None
		if accept_suggestions:
			review = imports.review_upload(
				file.file_url,
				mapping,
				sheet,
				name,
				template_doc=saved,
				encoding=encoding,
				constants=constants,
			)
			value_maps, new_links = review.suggested_value_maps()
		job = imports.create_job(
			file.file_url,
			mapping,
			name,
			value_maps,
			sheet,
			dry_run,
			new_links,
			template_doc=saved,
			encoding=encoding,
			tags=list(tags),
			import_tag=not no_import_tag,
			assign_to=list(assign_to),
			constants=constants,
		)
		frappe.db.commit()
		# In this process, unsplit: the command's output is the finished import.
		JobRunner(job.name, on_progress=None if as_json else _print_progress, split=False).run()
		status = imports.job_status(job.name)
	except frappe.ValidationError as exc:
		click.secho(f"error: {error_text(exc)}", fg="red", err=True)
		sys.exit(2)
	finally:
		frappe.destroy()
	_report(status, as_json)
	sys.exit(1 if status["status"] == "Failed" else 0)


def is_link(argument: str) -> bool:
	"""A link to fetch rather than a path: anything with a scheme (refused unless https, with the reason)."""
	return "://" in argument and not os.path.exists(argument)


def error_text(exc: Exception) -> str:
	"""A refusal as plain text: its sentences on lines of their own, without HTML or its escapes."""
	from frappe.utils import strip_html

	return html.unescape(strip_html(str(exc).replace("<br>", "\n")))


def constants_option(values: tuple[str, ...], option: str) -> dict[str, dict]:
	"""FIELD=VALUE options as values for every lead: --set wins over the file, --default lets it win."""
	constants = {}
	for text in values:
		fieldname, equals, value = text.partition("=")
		if not equals or not fieldname.strip():
			raise click.UsageError(f"{option} {text!r} is not FIELD=VALUE, e.g. {option} source=Trade Show")
		constants[fieldname.strip()] = {"value": value.strip(), "file_wins": option == "--default"}
	return constants


def template_file(template: str | None):
	"""A template given as a JSON file in the engine's format; None for a saved template's name."""
	if not template or not template.lower().endswith(".json") or not os.path.isfile(template):
		return None
	from intellicon_leads.importer.mapping import Template

	try:
		with open(template, encoding="utf-8") as f:
			data = json.load(f)
	except (OSError, ValueError) as exc:
		raise click.UsageError(f"--template {template} is not a readable template JSON file: {exc}")
	return Template.from_dict({"name": os.path.basename(template), **data})


def _print_progress(progress) -> None:
	filled = int(progress.fraction * 30)
	bar = "#" * filled + "-" * (30 - filled)
	sys.stderr.write(
		f"\r[{bar}] {progress.fraction:4.0%}  {progress.done:,} rows  {progress.rows_per_second:,.0f} rows/s "
	)
	sys.stderr.flush()


def _report(status: dict, as_json: bool) -> None:
	counts = {k: status.get(k) or 0 for k in ("total_rows", "imported", "updated", "skipped", "failed")}
	if as_json:
		total = counts.pop("total_rows")
		payload = {
			"job": status["name"],
			"status": status["status"],
			"total": total,
			**counts,
			"created": status.get("created_links") or {},
		}
		click.echo(json.dumps(payload))
		return
	click.echo("")
	click.echo(f"{status['name']}: {status['status']}")
	click.echo(
		"  total {total_rows:,}  imported {imported:,}  updated {updated:,}  skipped {skipped:,}  failed {failed:,}".format(
			**counts
		)
	)
	if status.get("duration"):
		click.echo(f"  {status['duration']:.1f} s, {status.get('rows_per_second') or 0:,.0f} rows/s")
	if status.get("error_message"):
		click.echo(f"  {status['error_message']}")
	if status.get("failed_file"):
		click.echo(f"  failed records: {status['failed_file']}")
	for doctype, names in (status.get("created_links") or {}).items():
		click.echo(f"  created {doctype}: {', '.join(names)}")


@click.command("stop-lead-import")
@click.argument("job")
@click.option("--user", default="Administrator", help="Stop the import as this user")
@pass_context
def stop_lead_import(context, job, user):
	"""Stop a queued or running Lead Import Job; the rows not processed are counted as failed."""
	import frappe

	from intellicon_leads.lead_import import stopping

	frappe.init(site=get_site(context))
	frappe.connect()
	try:
		frappe.set_user(user)
		state = stopping.stop_job(job)
	except (frappe.ValidationError, frappe.PermissionError) as exc:
		click.secho(f"error: {frappe.utils.strip_html(str(exc))}", fg="red", err=True)
		sys.exit(2)
	finally:
		frappe.destroy()
	if state["status"] == "Stopping":
		click.echo(f"{job}: Stopping (the worker stops it at the end of the current batch)")
		return
	_report(dict(state, name=job), as_json=False)


commands = [import_leads, stop_lead_import]
