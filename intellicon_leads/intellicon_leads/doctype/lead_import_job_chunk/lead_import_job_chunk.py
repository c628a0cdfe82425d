# Copyright (c) 2026, Intellicon and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class LeadImportJobChunk(Document):
	pass
