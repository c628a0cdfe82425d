"""Uploaded lead files and the files a job writes, kept private under private/files/lead-imports/.

Uploads arrive in chunks: each request stays under the site's own request limit (25 MB by default),
so the import can take 50 MB without loosening any limit for the rest of the site.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid

import frappe
from frappe import _

from intellicon_leads.importer.fetching import FetchRefused, fetch_spreadsheet
from intellicon_leads.importer.reading import FileRejected, open_table

MB = 1024 * 1024
FOLDER = "lead-imports"
ALLOWED_EXTENSIONS = (".csv", ".xlsx", ".xls")
_UPLOAD_ID = re.compile(r"^[a-f0-9]{32}$")


def max_upload_size() -> int:
	mb = frappe.db.get_single_value("Lead Import Settings", "max_file_size_mb") or 50
	return int(mb) * MB


def too_large_message(size: int, limit: int) -> str:
	return _(
		"The file is {0} MB, larger than the {1} MB limit. Split it into smaller batches and import them one by one."
	).format(f"{size / MB:.1f}", f"{limit / MB:g}")


def check_upload(filename: str, size: int) -> None:
	"""Format and size, checked before a single byte is stored."""
	extension = os.path.splitext(filename or "")[1].lower()
	if extension not in ALLOWED_EXTENSIONS:
		frappe.throw(
			_(
				"{0} is not a CSV, XLSX or XLS file. Save your spreadsheet as CSV or XLSX and upload it again."
			).format(frappe.bold(filename or _("This file"))),
			title=_("Unsupported file"),
		)
	limit = max_upload_size()
	if size > limit:
		frappe.throw(too_large_message(size, limit), title=_("File too large"))
	if size <= 0:
		frappe.throw(_("The file is empty. Choose a file with a header row and at least one lead."))


def receive_chunk(upload_id: str, offset: int, total_size: int, filename: str, content: bytes) -> dict:
	"""Append one chunk; after the last one the file is checked and becomes a private File."""
	check_upload(filename, total_size)
	if not _UPLOAD_ID.match(upload_id or ""):
		frappe.throw(_("The upload could not be identified. Choose the file again."))
	part = os.path.join(folder_path("uploads"), f"{frappe.session.user}-{upload_id}.part".replace("/", "_"))
	received = os.path.getsize(part) if os.path.exists(part) else 0
	if offset not in (0, received):
		return {"received": received}
	with open(part, "wb" if offset == 0 else "ab") as f:
		f.write(content)
	received = offset + len(content)
	if received > total_size:
		os.remove(part)
		frappe.throw(_("The file changed while it was being uploaded. Choose it again."))
	if received < total_size:
		return {"received": received}
	file = finish_upload(part, filename)
	return {"received": received, "file": file.name, "file_url": file.file_url, "file_name": file.file_name}


def save_upload(filename: str, content: bytes) -> frappe._dict:
	"""A whole file at once (bench command, tests): the same checks as a chunked upload."""
	check_upload(filename, len(content))
	part = os.path.join(folder_path("uploads"), f"{uuid.uuid4().hex}.part")
	with open(part, "wb") as f:
		f.write(content)
	return finish_upload(part, filename)


LOCAL_LINKS_FOR_TESTS = "intellicon_leads_local_links_for_tests"


def save_from_link(link: str, *, _allow_local_http_for_tests: bool = False) -> frappe._dict:
	"""A file fetched from a link a user pasted (https, public addresses only): then stored as an upload.

	`_allow_local_http_for_tests` reaches a test server on 127.0.0.1; no endpoint or command passes it.
	The browser tests' site has the site config key LOCAL_LINKS_FOR_TESTS, which scripts/browser-tests
	sets on that site only: the wizard there fetches from the test's own server.
	"""
	local = _allow_local_http_for_tests or bool(frappe.conf.get(LOCAL_LINKS_FOR_TESTS))
	try:
		fetched = fetch_spreadsheet(link, max_size=max_upload_size(), _allow_local_http_for_tests=local)
	except FetchRefused as exc:
		# The message may quote the link's host name: shown as text, never as markup.
		frappe.throw(frappe.utils.escape_html(exc.message), title=_("File not fetched"))
	return save_upload(fetched.filename, fetched.content)


def save_local_file(path: str) -> frappe._dict:
	"""A file already on this machine (bench import-leads): copied, then checked like an upload."""
	filename = os.path.basename(path)
	check_upload(filename, os.path.getsize(path))
	part = os.path.join(folder_path("uploads"), f"{uuid.uuid4().hex}.part")
	shutil.copyfile(path, part)
	return finish_upload(part, filename)


def finish_upload(part: str, filename: str):
	try:
		with open_table(part, filename=filename, max_size=max_upload_size()):
			pass
	except FileRejected as exc:
		os.remove(part)
		frappe.throw(str(exc), title=_("File cannot be imported"))
	return store_file(part, filename, move=True)


def store_file(path: str, filename: str, attached_to: tuple[str, str] | None = None, move: bool = False):
	"""A private File for a file on disk, without reading it into memory.

	File.insert() would load the whole file and apply the site-wide upload limit to it, which is
	exactly the limit this app must not loosen for anything but lead imports.
	"""
	safe = re.sub(r"[^\w.\-]+", "-", os.path.basename(filename)).strip("-") or "leads"
	stored_name = f"{uuid.uuid4().hex[:10]}-{safe}"
	target = os.path.join(folder_path(), stored_name)
	(shutil.move if move else shutil.copyfile)(path, target)
	file = frappe.new_doc("File")
	file.update(
		{
			"file_name": filename,
			"file_url": f"/private/files/{FOLDER}/{stored_name}",
			"is_private": 1,
			"folder": "Home",
			"file_size": os.path.getsize(target),
			"content_hash": _md5(target),
		}
	)
	if attached_to:
		file.attached_to_doctype, file.attached_to_name = attached_to
	file.set_new_name()
	file.db_insert()
	return file


def attach_to(file_url: str, doctype: str, name: str) -> None:
	frappe.db.set_value(
		"File", {"file_url": file_url}, {"attached_to_doctype": doctype, "attached_to_name": name}
	)


def local_path(file_url: str) -> str:
	if not (file_url or "").startswith(f"/private/files/{FOLDER}/"):
		frappe.throw(_("This is not a lead import file."))
	relative = file_url[len("/private/files/") :]
	path = os.path.realpath(frappe.get_site_path("private", "files", *relative.split("/")))
	if not path.startswith(os.path.realpath(folder_path())):
		frappe.throw(_("This is not a lead import file."))
	return path


def folder_path(*sub: str) -> str:
	path = frappe.get_site_path("private", "files", FOLDER, *sub)
	os.makedirs(path, exist_ok=True)
	return path


def _md5(path: str) -> str:
	digest = hashlib.md5()
	with open(path, "rb") as f:
		for block in iter(lambda: f.read(MB), b""):
			digest.update(block)
	return digest.hexdigest()
