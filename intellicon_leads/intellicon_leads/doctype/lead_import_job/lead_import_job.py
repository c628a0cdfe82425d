# Copyright (c) 2026, Intellicon and contributors
# For license information, please see license.txt

from frappe.model.document import Document

from intellicon_leads.lead_import import jobs


class LeadImportJob(Document):
	def enqueue(self) -> None:
		jobs.enqueue(self.name)
