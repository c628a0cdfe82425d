// The lead import wizard (desk page lead-import) and the live progress view of the job form.
import { download_url } from "./lead_import/api";
import { download } from "./lead_import/dom";
import { add_fix_actions } from "./lead_import/job_fix";
import { add_stop_actions } from "./lead_import/job_stop";
import { add_undo_actions } from "./lead_import/job_undo";
import {
	FINAL_STATUSES,
	ImportProgress,
	JobWatcher,
	PROGRESS_EVENT,
	STATUS_COLORS,
} from "./lead_import/progress";
import { LeadImportWizard } from "./lead_import/wizard";

// Controls of the job form (Fix Failed Rows, Undo Import, Stop Import): each feature registers one
// function(frm) that adds its buttons; the form calls them all on refresh.
const job_actions = [add_fix_actions, add_stop_actions, add_undo_actions];

frappe.provide("intellicon_leads");

Object.assign(intellicon_leads, {
	LeadImportWizard,
	ImportProgress,
	JobWatcher,
	lead_import: {
		FINAL_STATUSES,
		PROGRESS_EVENT,
		STATUS_COLORS,
		download,
		download_url,
		job_actions,
	},
});
