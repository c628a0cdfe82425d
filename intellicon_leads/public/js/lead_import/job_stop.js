// Stop Import on the job form: a queued job is taken off the queue, a running one stops within seconds
// (the batch it is writing is rolled back). Rows already imported stay; the rest are failed rows
// "Import stopped by USER".
import { call } from "./api";

export const STOPPABLE = ["Queued", "Processing"];

export function add_stop_actions(frm) {
	if (!STOPPABLE.includes(frm.doc.status)) return;
	const button = frm.add_custom_button(__("Stop Import"), () => confirm_stop(frm));
	button.addClass("btn-danger lil-stop-import");
}

function confirm_stop(frm) {
	frappe.confirm(
		__(
			"Stop this import? Rows already imported stay (you can undo them); the rest are not processed and go to the failed records."
		),
		() => stop(frm)
	);
}

async function stop(frm) {
	try {
		const state = await call("stop_import", { job: frm.doc.name });
		frappe.show_alert({ message: stop_message(state), indicator: "orange" });
	} catch (e) {
		frappe.msgprint({ title: __("Stop Import"), message: e.message, indicator: "red" });
	}
	frm.reload_doc();
}

export function stop_message(state) {
	if (state.status === "Stopping")
		return __("Stopping {0}: the rows it is writing now are rolled back.", [state.name]);
	return __("{0} stopped: {1} imported, {2} not processed.", [
		state.name,
		format_number(state.imported || 0, null, 0),
		format_number(state.failed || 0, null, 0),
	]);
}
