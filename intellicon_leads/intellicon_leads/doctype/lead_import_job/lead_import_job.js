// Copyright (c) 2026, Intellicon and contributors
// For license information, please see license.txt

// A Batch Job: live progress while it runs, then its counts, error summary and failed records.
frappe.ui.form.on("Lead Import Job", {
	setup(frm) {
		frm.lead_import_ready = frappe.require([
			"lead_import.bundle.js",
			"lead_import.bundle.css",
		]);
		frappe.realtime.on("lead_import_progress", (data) => {
			if (!frm.doc || data.job !== frm.doc.name || !frm.lead_import_progress) return;
			frm.lead_import_progress.render(data);
			if (intellicon_leads.lead_import.FINAL_STATUSES.includes(data.status))
				frm.reload_doc();
		});
	},

	async refresh(frm) {
		frm.toggle_display("error_summary", false);
		add_buttons(frm);
		await frm.lead_import_ready;
		render_progress(frm);
		await render_constants(frm);
		for (const add_actions of intellicon_leads.lead_import.job_actions) add_actions(frm);
	},
});

function add_buttons(frm) {
	const doc = frm.doc;
	frm.page.clear_primary_action();
	if (doc.failed > 0 && doc.failed_file) {
		frm.page.set_primary_action(__("Download Failed Records"), () => {
			const { download, download_url } = intellicon_leads.lead_import;
			download(download_url(doc.name));
		});
	}
	if (doc.tag_with_import && !doc.dry_run && (doc.imported > 0 || doc.updated > 0)) {
		// The leads tagged with this job's name, in the desk list of the Lead it wrote to.
		frm.add_custom_button(__("View Imported Leads"), () =>
			frappe.set_route("List", doc.lead_doctype || "Lead", {
				_user_tags: ["like", `%${doc.name}%`],
			})
		);
	}
	frm.add_custom_button(__("Import Leads"), () => frappe.set_route("lead-import"));
	frm.add_custom_button(__("Batch Jobs"), () => frappe.set_route("List", "Lead Import Job"));
}

function render_progress(frm) {
	const wrapper = frm.get_field("progress_html").$wrapper.get(0);
	wrapper.replaceChildren();
	frm.lead_import_progress = new intellicon_leads.ImportProgress(wrapper);
	frm.lead_import_progress.render(frm.doc);
	const summary = error_summary(frm.doc);
	if (summary) wrapper.append(summary);
	if (frm.doc.failed > 0 && frm.doc.failed_file) {
		const note = document.createElement("p");
		note.className = "text-muted small";
		note.textContent = __(
			"Fix Failed Rows shows the rows that failed with the error beside each cell: fix them there and import them into this job. Or Download Failed Records, a file with only those rows and an Error column that says why, fix it in a spreadsheet and import it again."
		);
		wrapper.append(note);
	}
}

// The values this import set for every lead, as the wizard showed them: field labels, not JSON.
async function render_constants(frm) {
	frm.toggle_display("constants", false);
	let constants = {};
	try {
		constants = JSON.parse(frm.doc.constants || "{}") || {};
	} catch (e) {
		return frm.toggle_display("constants", true);
	}
	const entries = Object.entries(constants);
	if (!entries.length) return;
	const doctype = frm.doc.lead_doctype || "Lead";
	await frappe.model.with_doctype(doctype);
	const table = document.createElement("table");
	table.className = "table table-sm table-bordered lil-constants-summary";
	table.createCaption().textContent = __("Values set for every lead");
	const head = table.createTHead().insertRow();
	for (const label of [__("Field"), __("Value"), __("If the file had a value")]) {
		const th = document.createElement("th");
		th.scope = "col";
		th.textContent = label;
		head.append(th);
	}
	const body = table.createTBody();
	for (const [fieldname, constant] of entries) {
		const row = body.insertRow();
		row.insertCell().textContent = frappe.meta.get_label(doctype, fieldname);
		row.insertCell().textContent = constant.value;
		row.insertCell().textContent = constant.file_wins
			? __("The file's value was kept")
			: __("Replaced by this value");
	}
	frm.get_field("progress_html").$wrapper.get(0).append(table);
}

function error_summary(doc) {
	let labels = {};
	try {
		labels = JSON.parse(doc.error_summary || "{}").labels || {};
	} catch (e) {
		return null;
	}
	const entries = Object.entries(labels);
	if (!entries.length) return null;
	const table = document.createElement("table");
	table.className = "table table-sm table-bordered lil-error-summary";
	const caption = table.createCaption();
	caption.textContent = __("Why rows were not imported");
	const head = table.createTHead().insertRow();
	for (const label of [__("Reason"), __("Rows")]) {
		const th = document.createElement("th");
		th.scope = "col";
		th.textContent = label;
		head.append(th);
	}
	const body = table.createTBody();
	for (const [label, count] of entries) {
		const row = body.insertRow();
		row.insertCell().textContent = __(label);
		row.insertCell().textContent = format_number(count, null, 0);
	}
	return table;
}
