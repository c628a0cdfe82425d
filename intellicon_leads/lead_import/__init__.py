"""The Frappe side of lead import: DocType meta, the database store, uploads, jobs and permissions."""

LEAD_DOCTYPE = "Lead"
