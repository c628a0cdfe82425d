app_name = "intellicon_leads"
app_title = "Intellicon Leads"
app_publisher = "Intellicon"
app_description = "Bulk lead import for Intellicon CRM"
app_email = "dev@intellicon.example"
app_license = "mit"

export_python_type_annotations = True

# Installation
# ------------
after_install = "intellicon_leads.install.after_install"
after_migrate = "intellicon_leads.install.after_migrate"

# The Import button on the Lead list, whichever app owns Lead.
doctype_list_js = {"Lead": "public/js/lead_list.js"}
# Frappe skips doctype_list_js for a custom DocType (the app's own Lead): the desk loads the same file too.
app_include_js = ["/assets/intellicon_leads/js/lead_list.js"]

doc_events = {
	"Lead": {"before_validate": "intellicon_leads.lead_import.lead.set_lead_name"},
}

# Permissions
# -----------
has_permission = {
	"Lead Import Job": "intellicon_leads.lead_import.permissions.job_has_permission",
}
permission_query_conditions = {
	"Lead Import Job": "intellicon_leads.lead_import.permissions.job_query_conditions",
}

# Scheduled Tasks
# ---------------
scheduler_events = {
	"cron": {
		"*/5 * * * *": ["intellicon_leads.lead_import.jobs.resume_stalled_jobs"],
	},
}
