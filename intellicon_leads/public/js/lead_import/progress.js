// The live state of one Lead Import Job, shared by the wizard's last step and the job form.
import { call } from "./api";
import { clear, format_count, format_seconds, h } from "./dom";

export const PROGRESS_EVENT = "lead_import_progress";
export const FINAL_STATUSES = [
	"Completed",
	"Completed with Errors",
	"Failed",
	"Stopped",
	"Undone",
	"Partly Undone",
];
const POLL_SECONDS = 3;

export const STATUS_COLORS = {
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

export function status_description(status) {
	return {
		Queued: __("Waiting to start."),
		Processing: __("Actively importing records."),
		Completed: __("All records processed."),
		"Completed with Errors": __("Some records failed."),
		Failed: __("The import stopped before the end of the file."),
		Stopping: __(
			"Stopping: the rows being written now are rolled back, rows already imported stay."
		),
		Stopped: __("Stopped by a user: the rows not processed are in the failed records."),
		Undoing: __("Deleting the leads this import created and restoring the ones it updated."),
		Undone: __("This import was undone."),
		"Partly Undone": __("This import was undone, except for leads changed since."),
	}[status];
}

// Job fields (job_status) and realtime messages name the same numbers differently.
export function progress_of(data) {
	const final = FINAL_STATUSES.includes(data.status);
	const done = data.done ?? data.processed_rows ?? 0;
	const total = final ? data.total ?? data.total_rows ?? done : data.total ?? null;
	let fraction = data.fraction ?? (total ? done / total : 0);
	if (final) fraction = 1;
	return {
		status: data.status || "Queued",
		done,
		total,
		fraction: Math.max(0, Math.min(1, fraction || 0)),
		rows_per_second: data.rows_per_second || 0,
		eta_seconds: final ? null : data.eta_seconds ?? null,
		imported: data.imported || 0,
		updated: data.updated || 0,
		skipped: data.skipped || 0,
		failed: data.failed || 0,
		duration: data.duration ?? null,
		error_message: data.error_message || "",
		// A large import split into chunks run by several workers: {total, done, running}.
		chunks: data.chunks || null,
	};
}

export class ImportProgress {
	constructor(parent) {
		this.status = h("span", { class: "indicator-pill gray lil-status" });
		this.hint = h("span", { class: "lil-status-hint" });
		this.bar = h("div", { class: "progress-bar" });
		this.track = h(
			"div",
			{
				class: "progress lil-progress-track",
				role: "progressbar",
				"aria-valuemin": "0",
				"aria-valuemax": "100",
				"aria-label": __("Import progress"),
			},
			this.bar
		);
		this.stats = h("p", { class: "lil-progress-stats" });
		this.reason = h("p", {
			class: "lil-progress-reason text-danger",
			hidden: true,
		});
		this.counts = h("dl", { class: "lil-counts" });
		this.wrapper = h(
			"div",
			{ class: "lil-progress" },
			h("div", { class: "lil-progress-head", role: "status" }, this.status, this.hint),
			this.track,
			this.stats,
			this.reason,
			this.counts
		);
		parent.append(this.wrapper);
	}

	render(data) {
		const p = progress_of(data);
		this.status.textContent = __(p.status);
		this.status.className = `indicator-pill ${STATUS_COLORS[p.status] || "gray"} lil-status`;
		this.status.dataset.status = p.status;
		this.hint.textContent = status_description(p.status) || "";
		const percent = Math.round(p.fraction * 100);
		this.bar.style.width = `${percent}%`;
		this.bar.classList.toggle("bg-danger", p.status === "Failed");
		this.bar.classList.toggle("bg-warning", p.status === "Completed with Errors");
		this.bar.classList.toggle("bg-success", p.status === "Completed");
		this.track.setAttribute("aria-valuenow", String(percent));
		this.track.setAttribute("aria-valuetext", __("{0}% done", [percent]));
		this.stats.textContent = stats_text(p);
		this.reason.hidden = !p.error_message;
		this.reason.textContent = p.error_message;
		this.render_counts(p);
	}

	render_counts(p) {
		clear(this.counts);
		const items = [
			[__("Total"), p.total ?? p.done, "total"],
			[__("Imported"), p.imported, "imported"],
			[__("Updated"), p.updated, "updated"],
			[__("Skipped"), p.skipped, "skipped"],
			[__("Failed"), p.failed, "failed"],
		];
		for (const [label, value, key] of items) {
			this.counts.append(
				h(
					"div",
					{ class: `lil-count lil-count-${key}` },
					h("dt", {}, label),
					h("dd", { dataset: { count: key } }, format_count(value))
				)
			);
		}
	}
}

function stats_text(p) {
	const parts = [];
	if (p.total) {
		parts.push(__("{0} of {1} rows", [format_count(p.done), format_count(p.total)]));
	} else {
		parts.push(__("{0} rows processed", [format_count(p.done)]));
	}
	if (p.rows_per_second) parts.push(__("{0} rows/s", [format_count(p.rows_per_second)]));
	if (p.chunks && p.status === "Processing") {
		parts.push(
			__("{0} of {1} chunks done, {2} running", [
				p.chunks.done,
				p.chunks.total,
				p.chunks.running,
			])
		);
	}
	if (p.eta_seconds !== null && p.status === "Processing") {
		parts.push(__("about {0} left", [format_seconds(p.eta_seconds)]));
	}
	if (FINAL_STATUSES.includes(p.status) && p.duration !== null) {
		parts.push(__("took {0}", [format_seconds(p.duration)]));
	}
	return parts.join(" · ");
}

// Follows one job: realtime messages while they come, and a slow poll in case the socket is down.
export class JobWatcher {
	constructor(job, on_update) {
		this.job = job;
		this.on_update = on_update;
		this.handler = (data) => {
			if (data && data.job === this.job) this.receive(data);
		};
		frappe.realtime.on(PROGRESS_EVENT, this.handler);
		this.poll();
	}

	receive(data) {
		if (this.stopped) return;
		this.last_message = Date.now();
		this.on_update(data);
		if (FINAL_STATUSES.includes(data.status)) {
			// The final message carries counts but not timings: read the job once more.
			this.refresh_once();
		}
	}

	async refresh_once() {
		try {
			const data = await call("job_status", { job: this.job });
			if (!this.stopped) this.on_update(data);
		} catch (e) {
			// the realtime counts already shown stay
		}
		this.stop();
	}

	async poll() {
		if (this.stopped) return;
		try {
			const data = await call("job_status", { job: this.job });
			if (this.stopped) return;
			if (FINAL_STATUSES.includes(data.status)) {
				this.on_update(data);
				return this.stop();
			}
			// While rows stream in, realtime messages know the estimated total; the job row does not.
			if (!this.last_message || Date.now() - this.last_message > 10000) this.on_update(data);
		} catch (e) {
			// a network blip: the next poll tries again
		}
		this.timer = setTimeout(() => this.poll(), POLL_SECONDS * 1000);
	}

	stop() {
		this.stopped = true;
		clearTimeout(this.timer);
		frappe.realtime.off(PROGRESS_EVENT, this.handler);
	}
}
