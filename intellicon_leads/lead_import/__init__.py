"""The Frappe side of lead import: DocType meta, the database store, uploads, jobs and permissions."""

import json
from typing import Any

LEAD_DOCTYPE = "Lead"
JOB_DOCTYPE = "Lead Import Job"


def json_argument(value: Any) -> Any:
	"""A request argument that may arrive as JSON text (form posts) or already parsed (frappe.call)."""
	return json.loads(value) if isinstance(value, str) and value.strip() else value
