# Copyright (c) 2026, Intellicon and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class LeadImportFailedRow(Document):
	pass


def on_doctype_update() -> None:
	# The grid pages a job's failed rows in file order.
	frappe.db.add_index("Lead Import Failed Row", ["job", "file_row"])
