// Step 4: a last review (mapping and duplicate rules), an optional dry run, then the job, followed live.
import { call, download_url } from "./api";
import { append, clear, download, format_count, h } from "./dom";
import { FINAL_STATUSES, ImportProgress, JobWatcher } from "./progress";
import { constants_payload } from "./map_step";
import { form_url, leads_url, show_imported_leads } from "./routes";
import { choices_payload } from "./values_step";

const FIRST_ERRORS = 10;

export class ExecuteStep {
	constructor(wizard) {
		this.wizard = wizard;
	}

	title() {
		return __("Execute");
	}

	render(body) {
		this.error = h("div", {
			class: "alert alert-danger lil-error",
			role: "alert",
			hidden: true,
		});
		if (this.wizard.state.job) {
			body.append(this.error);
			return this.render_job(body);
		}
		const { preview } = this.wizard;
		this.check_button = h(
			"button",
			{
				type: "button",
				class: "btn btn-default lil-check-file",
				onclick: () => this.check_file(),
			},
			__("Check File")
		);
		this.start_button = h(
			"button",
			{
				type: "button",
				class: "btn btn-primary lil-start",
				onclick: () => this.start(),
			},
			__("Start Import")
		);
		this.dry_run = h("div", {
			class: "lil-dry-run",
			"aria-live": "polite",
		});
		body.append(
			h(
				"p",
				{ class: "lil-intro" },
				__("Review your mappings one final time, then click Start Import.")
			),
			h("h3", { class: "lil-subtitle" }, __("Mapping")),
			this.mapping_review(preview),
			this.constants_review(preview),
			h("h3", { class: "lil-subtitle" }, __("Duplicates")),
			this.duplicate_review(preview.rules),
			h("h3", { class: "lil-subtitle" }, __("After import")),
			this.after_import_section(preview.rules),
			this.error,
			h(
				"div",
				{ class: "lil-execute-actions" },
				this.check_button,
				this.start_button,
				h(
					"p",
					{ class: "text-muted small" },
					__(
						"Check File runs the whole file through validation and duplicate checks without saving anything. The import is queued for background processing — you do not need to keep the page open."
					)
				)
			),
			this.dry_run
		);
	}

	mapping_review(preview) {
		const { state } = this.wizard;
		const labels = Object.fromEntries(preview.fields.map((f) => [f.fieldname, __(f.label)]));
		const mapped = [];
		const skipped = [];
		preview.header.forEach((header, index) => {
			const name = header || __("Column {0}", [index + 1]);
			const fieldname = state.mapping[index];
			if (fieldname) mapped.push([name, labels[fieldname] || fieldname]);
			else skipped.push(name);
		});
		return h(
			"div",
			{ class: "lil-review" },
			h(
				"p",
				{ class: "text-muted" },
				[
					__("File: {0}", [state.file.name]),
					state.sheet ? __("Sheet: {0}", [state.sheet]) : null,
					state.template ? __("Template: {0}", [state.template]) : null,
				]
					.filter(Boolean)
					.join(" · ")
			),
			h(
				"div",
				{ class: "lil-table-scroll" },
				h(
					"table",
					{ class: "table table-sm lil-table lil-review-table" },
					h("caption", { class: "sr-only" }, __("Columns that will be imported")),
					h(
						"thead",
						{},
						h(
							"tr",
							{},
							h("th", { scope: "col" }, __("File column")),
							h("th", { scope: "col" }, __("Lead field"))
						)
					),
					h(
						"tbody",
						{},
						mapped.map(([column, field]) =>
							h("tr", {}, h("td", {}, column), h("td", {}, field))
						)
					)
				)
			),
			skipped.length
				? h(
						"p",
						{ class: "lil-skipped small" },
						__("Skipped columns (not imported): {0}", [skipped.join(", ")])
				  )
				: null
		);
	}

	// The values set for every lead, and who wins where the file has a value of its own.
	constants_review(preview) {
		const rows = this.wizard.state.constants.filter((row) => row.fieldname);
		if (!rows.length) return null;
		const labels = Object.fromEntries(preview.fields.map((f) => [f.fieldname, __(f.label)]));
		return h(
			"div",
			{ class: "lil-review lil-constants-review" },
			h("h3", { class: "lil-subtitle" }, __("For every lead")),
			h(
				"div",
				{ class: "lil-table-scroll" },
				h(
					"table",
					{ class: "table table-sm lil-table lil-review-table" },
					h("caption", { class: "sr-only" }, __("Values set for every lead")),
					h(
						"thead",
						{},
						h(
							"tr",
							{},
							h("th", { scope: "col" }, __("Lead field")),
							h("th", { scope: "col" }, __("Value")),
							h("th", { scope: "col" }, __("If the file has a value"))
						)
					),
					h(
						"tbody",
						{},
						rows.map((row) =>
							h(
								"tr",
								{ dataset: { fieldname: row.fieldname } },
								h("td", {}, labels[row.fieldname] || row.fieldname),
								h("td", {}, row.value),
								h(
									"td",
									{},
									row.file_wins
										? __("The file's value is kept")
										: __("Replaced by this value")
								)
							)
						)
					)
				)
			)
		);
	}

	duplicate_review(rules) {
		const fields = (rules.match_labels || []).map((l) => __(l)).join(", ") || __("Email");
		const action = {
			Skip: __("the row is skipped and the existing lead is kept as it is."),
			Update: __("the existing lead is updated with the file's values."),
			"Fill empty fields": __(
				"only the empty fields of the existing lead are filled from the file."
			),
		}[rules.action];
		const in_file = {
			"Fail later rows": __("the first is imported and the later ones fail."),
			"Merge into first row": __("the later ones are merged into the first."),
		}[rules.in_file];
		return h(
			"div",
			{ class: "lil-duplicates" },
			h(
				"ul",
				{},
				h("li", {}, __("A duplicate is a lead with the same {0}.", [fields])),
				action ? h("li", {}, __("When a lead already exists, {0}", [action])) : null,
				in_file
					? h("li", {}, __("When the file itself repeats a lead, {0}", [in_file]))
					: null,
				h("li", {}, __("Any other row is created as a new lead."))
			),
			h(
				"p",
				{ class: "text-muted small" },
				__(
					"Duplicate handling is configured by your administrator in Lead Import Settings."
				)
			)
		);
	}

	async check_file() {
		const { state } = this.wizard;
		this.show_error(null);
		this.check_button.disabled = this.start_button.disabled = true;
		clear(this.dry_run).append(
			h("p", { class: "text-muted", role: "status" }, __("Checking the whole file…"))
		);
		try {
			const result = await call("check_file", {
				file_url: state.file.url,
				mapping: state.mapping,
				sheet: state.sheet,
				encoding: state.encoding,
				...choices_payload(state.choices),
				...this.after_import_payload(),
				constants: constants_payload(state),
			});
			this.render_dry_run(result);
		} catch (error) {
			clear(this.dry_run);
			this.show_error(error.message);
		} finally {
			this.check_button.disabled = this.start_button.disabled = false;
		}
	}

	// Tags for every imported or updated lead, the import's own tag, and who the new leads go to.
	after_import_section(rules) {
		const section = h("div", { class: "lil-after-import" });
		this.tags_input = h("input", {
			type: "text",
			class: "form-control lil-tags",
			placeholder: __("e.g. Trade Show 2026, Webinar"),
			"aria-label": __("Tags"),
		});
		this.import_tag_input = h("input", { type: "checkbox", class: "lil-import-tag", checked: true });
		const assign_parent = h("div", { class: "lil-assign-to" });
		append(section, [
			h("label", { class: "control-label" }, __("Tags (comma-separated)")),
			this.tags_input,
			h(
				"label",
				{ class: "checkbox lil-inline" },
				this.import_tag_input,
				" ",
				__("Tag the leads with the import's name, to list exactly this import's leads")
			),
			assign_parent,
			h(
				"p",
				{ class: "text-muted small" },
				__(
					"Assign to one user, or to several: the new leads are shared out in turn, in file order. An updated lead is assigned only if nobody has it."
				)
			),
			rules.assignment_rule
				? h("p", { class: "alert alert-info lil-assignment-rule" }, rules.assignment_rule)
				: null,
		]);
		this.assign_control = frappe.ui.form.make_control({
			parent: assign_parent,
			df: {
				fieldtype: "MultiSelectPills",
				fieldname: "assign_to",
				label: __("Assign To"),
				get_data: (txt) => frappe.db.get_link_options("User", txt),
			},
			render_input: true,
		});
		return section;
	}

	after_import_payload() {
		const users = (this.assign_control && this.assign_control.get_value()) || [];
		return {
			tags: this.tags_input ? this.tags_input.value : "",
			import_tag: this.import_tag_input && !this.import_tag_input.checked ? 0 : 1,
			assign_to: JSON.stringify(users),
		};
	}

	render_dry_run(result) {
		const counts = [
			[__("Rows in file"), result.total],
			[__("Would be imported"), result.imported],
			[__("Would update"), result.updated],
			[__("Would be skipped"), result.skipped],
			[__("Would fail"), result.failed],
		];
		const errors = (result.failed_rows || []).slice(0, FIRST_ERRORS);
		clear(this.dry_run).append(
			h("h3", { class: "lil-subtitle" }, __("Check result (nothing was saved)")),
			h(
				"dl",
				{ class: "lil-counts" },
				counts.map(([label, value]) =>
					h(
						"div",
						{ class: "lil-count" },
						h("dt", {}, label),
						h("dd", {}, format_count(value))
					)
				)
			),
			errors.length
				? h(
						"div",
						{},
						h("p", {}, __("First errors:")),
						h(
							"ul",
							{ class: "lil-first-errors" },
							errors.map((e) => h("li", {}, error_text(e)))
						)
				  )
				: h("p", { class: "text-success" }, __("No row would fail."))
		);
	}

	async start() {
		const { wizard } = this;
		const { state } = wizard;
		this.show_error(null);
		this.check_button.disabled = this.start_button.disabled = true;
		try {
			const answer = await call("start_import", {
				file_url: state.file.url,
				mapping: state.mapping,
				template: state.template,
				sheet: state.sheet,
				encoding: state.encoding,
				...choices_payload(state.choices),
				...this.after_import_payload(),
				constants: constants_payload(state),
			});
			state.job = answer.job;
			state.save();
			wizard.go("execute", { focus: false });
			this.status_heading && this.status_heading.focus();
		} catch (error) {
			this.show_error(error.message);
			this.check_button.disabled = this.start_button.disabled = false;
		}
	}

	render_job(body) {
		const { state } = this.wizard;
		const job = state.job;
		this.status_heading = h(
			"h3",
			{ class: "lil-subtitle", tabindex: "-1" },
			__("Import status")
		);
		this.finish_actions = h("div", { class: "lil-finish-actions" });
		const progress_parent = h("div", {});
		body.append(
			this.status_heading,
			h(
				"p",
				{},
				__("File: {0}", [state.file ? state.file.name : ""]),
				" · ",
				h(
					"a",
					{
						href: form_url("Lead Import Job", job),
						class: "lil-job-link",
					},
					__("Open import job {0}", [job])
				)
			),
			progress_parent,
			h(
				"p",
				{ class: "text-muted small lil-leave-note" },
				__(
					"The import continues in the background: you can leave this page. A notification appears when the import completes, and Batch Jobs keeps the full history."
				)
			),
			this.finish_actions
		);
		// While it runs, another file can be imported: this one goes on in the background.
		append(this.finish_actions, [this.import_another_button()]);
		this.progress = new ImportProgress(progress_parent);
		this.progress.render({ status: "Queued" });
		if (this.watcher) this.watcher.stop();
		this.watcher = new JobWatcher(job, (data) => this.update(data));
	}

	update(data) {
		this.progress.render(data);
		if (!FINAL_STATUSES.includes(data.status)) return;
		this.render_finish(data);
	}

	import_another_button() {
		return h(
			"button",
			{
				type: "button",
				class: "btn btn-default lil-import-another",
				onclick: () => this.wizard.start_over(),
			},
			__("Import Another File")
		);
	}

	render_finish(data) {
		const job = this.wizard.state.job;
		const buttons = [];
		if (data.failed) {
			buttons.push(
				h(
					"button",
					{
						type: "button",
						class: "btn btn-primary lil-download-failed",
						onclick: () => download(download_url(job)),
					},
					__("Download Failed Records")
				)
			);
		}
		if (data.tag_with_import && (data.imported || data.updated)) {
			buttons.push(
				h(
					"button",
					{
						type: "button",
						class: "btn btn-default lil-view-imported",
						onclick: () => show_imported_leads(job, data.lead_doctype),
					},
					__("View Imported Leads")
				)
			);
		}
		buttons.push(
			h("a", { class: "btn btn-default", href: leads_url() }, __("View Leads")),
			this.import_another_button()
		);
		append(clear(this.finish_actions), [
			data.failed
				? h(
						"p",
						{},
						__(
							"{0} rows failed. Download them: each row has an Error column that says why. Fix the issues in the file and import it again.",
							[format_count(data.failed)]
						)
				  )
				: null,
			h("div", { class: "lil-inline" }, buttons),
		]);
	}

	leave() {
		if (this.watcher) this.watcher.stop();
		this.watcher = null;
	}

	show_error(message) {
		this.error.hidden = !message;
		this.error.textContent = message || "";
	}
}

// Engine messages usually start with the row already ("Row 14, column ..."); add it where they don't.
function error_text(error) {
	const message = String(error.message || "");
	return /^row\s/i.test(message) ? message : __("Row {0}: {1}", [error.row, message]);
}
