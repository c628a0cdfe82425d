// Copyright (c) 2026, Intellicon and contributors
// For license information, please see license.txt

frappe.listview_settings["Lead Import Job"] = {
	add_fields: ["status", "imported", "updated", "skipped", "failed", "total_rows", "duration"],
	hide_name_column: true,
	get_indicator(doc) {
		const colors = {
			Queued: "gray",
			Processing: "blue",
			Completed: "green",
			"Completed with Errors": "orange",
			Failed: "red",
			Stopping: "orange",
			Stopped: "orange",
			Undoing: "blue",
			Undone: "gray",
			"Partly Undone": "orange",
		};
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
	onload(listview) {
		listview.page.add_actions_menu_item(
			__("Stop Import"),
			() => stop_selected(listview),
			false
		);
		frappe.realtime.on("lead_import_progress", (data) => {
			// Progress messages come every second; the list needs a refresh only when a run ends.
			const running = ["Queued", "Processing", "Stopping", "Undoing"];
			if (!running.includes(data.status)) refresh_now(listview);
		});
	},
};

// Stop Import for the selected jobs: each is stopped (queued) or asked to stop (running); a job that
// cannot be stopped says why, and the others are stopped all the same.
async function stop_selected(listview) {
	const names = listview.get_checked_items(true);
	if (!names.length) return;
	const messages = [];
	for (const job of names) {
		try {
			const state = await frappe.xcall("intellicon_leads.api.stop_import", { job });
			messages.push(__("{0}: {1}", [job, __(state.status)]));
		} catch (e) {
			messages.push(__("{0}: not stopped, see the message above.", [job]));
		}
	}
	frappe.show_alert({ message: messages.join("<br>"), indicator: "orange" }, 10);
	listview.clear_checked_items();
	refresh_now(listview);
}

// The list skips a refresh asked with the same arguments within 3 s of the last one (BaseList.no_change):
// a stop right after the list loaded would leave the old statuses on screen.
function refresh_now(listview) {
	listview.last_args = null;
	listview.refresh();
}
