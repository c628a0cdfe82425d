# Copyright (c) 2026, Intellicon and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

from intellicon_leads.lead_import import runs


class LeadImportJob(Document):
	def enqueue(self) -> None:
		runs.enqueue(self.name)

	def on_trash(self) -> None:
		# The failed rows kept for Fix Failed Rows belong to the job and go with it.
		frappe.db.delete("Lead Import Failed Row", {"job": self.name})
