app_name = "intellicon_leads"
app_title = "Intellicon Leads"
app_publisher = "Intellicon"
app_description = "Bulk lead import for Intellicon CRM"
app_email = "dev@intellicon.example"
app_license = "mit"

export_python_type_annotations = True

# The apps screen (v15 and v16); v16's desktop and sidebar also read desktop_icon/ and workspace_sidebar/.
add_to_apps_screen = [
	{
		"name": "intellicon_leads",
		"logo": "/assets/intellicon_leads/images/lead-import.svg",
		"title": "Lead Import",
		"route": "/app/lead-import",
		"has_permission": "intellicon_leads.lead_import.permissions.can_import",
	}
]

# Installation
# ------------
after_install = "intellicon_leads.install.after_install"
after_migrate = "intellicon_leads.install.after_migrate"

# The Import button on the list of the Lead imports write to, whichever app owns it.
doctype_list_js = {"Lead": "public/js/lead_list.js", "CRM Lead": "public/js/lead_list.js"}
# Which Lead that is (lead_import.target), and the desk's routes on this Frappe version.
extend_bootinfo = "intellicon_leads.lead_import.target.extend_bootinfo"
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
