// Undo Import on the job form: a confirm dialog that says what will happen, then the undo's counts
// (deleted, restored, kept) and the list of kept leads to download.
import { ApiError, call } from "./api";
import { download, format_count, h } from "./dom";

const UNDOABLE = ["Completed", "Completed with Errors", "Failed", "Stopped"];
const UNDO_STATUSES = ["Undoing", "Undone", "Partly Undone"];
const KEPT_LEADS_URL = "/api/method/intellicon_leads.api.download_kept_leads";

export function add_undo_actions(frm) {
	const doc = frm.doc;
	if (UNDO_STATUSES.includes(doc.status)) render_undo_summary(frm);
	if (doc.dry_run || !doc.changes_file || !UNDOABLE.includes(doc.status)) return;
	if (!(doc.imported > 0 || doc.updated > 0)) return;
	frm.add_custom_button(__("Undo Import"), () => confirm_undo(frm));
}

function confirm_undo(frm) {
	const doc = frm.doc;
	const message = __(
		"Undo this import? The {0} leads it created will be deleted and the fields of the {1} leads it updated will be set back to their previous values. A lead someone edited, converted or linked to another document since the import is kept as it is, and listed in Kept Leads. An undone import cannot be run again.",
		[format_count(doc.imported || 0), format_count(doc.updated || 0)]
	);
	frappe.confirm(message, () => start_undo(frm));
}

async function start_undo(frm) {
	try {
		await call("undo_import", { job: frm.doc.name });
	} catch (e) {
		frappe.msgprint({
			title: __("Undo not started"),
			message: e instanceof ApiError ? e.message : __("The undo could not be queued. Try again."),
			indicator: "red",
		});
		return;
	}
	frappe.show_alert({ message: __("Undoing the import…"), indicator: "blue" });
	frm.reload_doc();
}

function render_undo_summary(frm) {
	const doc = frm.doc;
	const wrapper = frm.get_field("progress_html").$wrapper.get(0);
	const counts = [
		[__("Deleted"), doc.deleted, "deleted"],
		[__("Restored"), doc.restored, "restored"],
		[__("Kept"), doc.kept, "kept"],
	].map(([label, value, key]) =>
		h(
			"div",
			{ class: `lil-count lil-count-${key}` },
			h("dt", {}, label),
			h("dd", { dataset: { count: key } }, format_count(value || 0))
		)
	);
	const section = h(
		"section",
		{ class: "lil-undo", "aria-label": __("Undo") },
		h("h5", {}, __("Undo")),
		h("dl", { class: "lil-counts" }, ...counts),
		h(
			"p",
			{ class: "text-muted small" },
			__(
				"Each lead the import touched is counted once: Deleted, the import created it and the undo deleted it; Restored, the import updated it and every field got its previous value back; Kept, the lead was changed or linked since the import (or deleted), so the undo left it, or some of its fields, as they are."
			)
		)
	);
	if (doc.undo_file) {
		const button = h(
			"button",
			{ type: "button", class: "btn btn-default btn-sm lil-download-kept" },
			__("Download Kept Leads")
		);
		button.addEventListener("click", () =>
			download(`${KEPT_LEADS_URL}?job=${encodeURIComponent(doc.name)}`)
		);
		section.append(button);
	}
	wrapper.append(section);
}
