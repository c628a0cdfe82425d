// Step 1: choose or drop a file; it is checked here, uploaded in chunks, and checked again on the server.
import { ALLOWED_EXTENSIONS, check_file, upload_file, upload_from_link } from "./api";
import { clear, format_size, h, uid } from "./dom";

export class UploadStep {
	constructor(wizard) {
		this.wizard = wizard;
	}

	title() {
		return __("Upload");
	}

	render(body) {
		const hint_id = uid("lil-upload-hint");
		this.input = h("input", {
			type: "file",
			class: "lil-file-input",
			accept: ALLOWED_EXTENSIONS.join(","),
			tabindex: "-1",
			"aria-hidden": "true",
			onchange: () => this.input.files[0] && this.choose(this.input.files[0]),
		});
		this.choose_button = h(
			"button",
			{
				type: "button",
				class: "btn btn-primary btn-sm lil-choose-file",
				"aria-describedby": hint_id,
				onclick: () => this.input.click(),
			},
			__("Choose File")
		);
		this.dropzone = h(
			"div",
			{ class: "lil-dropzone" },
			h("p", { class: "lil-dropzone-title" }, __("Drag and drop your file here")),
			h("p", { class: "text-muted" }, __("or")),
			this.choose_button,
			this.input,
			h(
				"p",
				{ class: "text-muted small", id: hint_id },
				__("CSV, XLSX or XLS, up to {0} MB, with the header row in the first row.", [
					this.max_mb(),
				])
			)
		);
		this.listen_for_drops(this.dropzone);
		this.status = h("div", { class: "lil-upload-status", role: "status" });
		this.error = h("div", {
			class: "alert alert-danger lil-error",
			role: "alert",
			hidden: true,
		});
		body.append(
			h(
				"p",
				{ class: "lil-intro" },
				__(
					"Choose the spreadsheet with your leads. The next steps show a preview and let you match its columns to lead fields before anything is imported."
				)
			),
			this.dropzone,
			this.link_form(),
			this.error,
			this.status,
			this.formats_table()
		);
		this.show_uploaded();
	}

	link_form() {
		const input_id = uid("lil-link");
		const hint_id = uid("lil-link-hint");
		this.link_input = h("input", {
			id: input_id,
			type: "url",
			class: "form-control input-sm lil-link-input",
			placeholder: "https://",
			autocomplete: "off",
			spellcheck: "false",
			"aria-describedby": hint_id,
		});
		this.link_button = h(
			"button",
			{ type: "submit", class: "btn btn-default btn-sm lil-link-button" },
			__("Import from Link")
		);
		return h(
			"form",
			{
				class: "lil-link-form",
				novalidate: true,
				onsubmit: (event) => {
					event.preventDefault();
					this.fetch_link(this.link_input.value.trim());
				},
			},
			h("label", { for: input_id, class: "lil-link-label" }, __("Or import from a link")),
			h("div", { class: "lil-inline" }, this.link_input, this.link_button),
			h(
				"p",
				{ class: "text-muted small", id: hint_id },
				__(
					"An https link to a CSV, XLSX or XLS file, or a Google Sheet shared with anyone with the link."
				)
			)
		);
	}

	async fetch_link(link) {
		if (this.uploading) return;
		this.show_error(null);
		if (!link) {
			this.link_input.focus();
			return this.show_error(
				__(
					"Paste the link to the file, starting with https://, then click Import from Link."
				)
			);
		}
		this.set_uploading(true);
		this.link_button.textContent = __("Importing…");
		clear(this.status).append(
			h("p", { class: "small" }, __("Fetching the file from {0}…", [link]))
		);
		if (await this.store(upload_from_link(link))) this.link_input.value = "";
		this.link_button.textContent = __("Import from Link");
	}

	// A file stored on the server, uploaded or fetched: the wizard's file, or the reason it is not.
	async store(request, size) {
		try {
			const answer = await request;
			this.wizard.state.set_file({
				url: answer.file_url,
				name: answer.file_name,
				size: size ?? answer.size,
			});
			this.wizard.preview = null;
			this.set_uploading(false);
			this.show_uploaded();
			return true;
		} catch (error) {
			clear(this.status);
			this.show_error(error.message);
			return false;
		} finally {
			this.set_uploading(false);
		}
	}

	// One file at a time: choosing, dropping and fetching wait for the one under way.
	set_uploading(uploading) {
		this.uploading = uploading;
		this.choose_button.disabled = uploading;
		this.link_button.disabled = uploading;
		this.link_input.readOnly = uploading;
		this.link_button.setAttribute("aria-busy", uploading ? "true" : "false");
		this.wizard.set_busy(uploading);
	}

	max_mb() {
		return String(Math.round(this.wizard.access.max_file_size / 1048576));
	}

	formats_table() {
		const rows = [
			[__("Comma-Separated Values"), ".csv"],
			[__("Excel Workbook"), ".xlsx"],
			[__("Legacy Excel"), ".xls"],
		];
		return h(
			"details",
			{ class: "lil-formats" },
			h("summary", {}, __("Supported formats and tips")),
			h(
				"table",
				{ class: "table table-sm lil-table" },
				h("caption", { class: "sr-only" }, __("Supported formats")),
				h(
					"thead",
					{},
					h(
						"tr",
						{},
						h("th", { scope: "col" }, __("Format")),
						h("th", { scope: "col" }, __("Extension")),
						h("th", { scope: "col" }, __("Max Size"))
					)
				),
				h(
					"tbody",
					{},
					rows.map(([format, ext]) =>
						h(
							"tr",
							{},
							h("td", {}, format),
							h("td", {}, ext),
							h("td", {}, __("{0} MB", [this.max_mb()]))
						)
					)
				)
			),
			h(
				"p",
				{ class: "text-muted small" },
				__(
					"For best results, use CSV or XLSX format with a header row in the first row. Clean your data before importing — remove empty rows, fix formatting issues, and ensure consistent data entry."
				)
			)
		);
	}

	listen_for_drops(zone) {
		const over = (event) => {
			event.preventDefault();
			zone.classList.add("is-dragover");
		};
		zone.addEventListener("dragenter", over);
		zone.addEventListener("dragover", over);
		zone.addEventListener("dragleave", () => zone.classList.remove("is-dragover"));
		zone.addEventListener("drop", (event) => {
			event.preventDefault();
			zone.classList.remove("is-dragover");
			const file = event.dataTransfer && event.dataTransfer.files[0];
			if (file) this.choose(file);
		});
	}

	async choose(file) {
		if (this.uploading) return;
		this.show_error(null);
		const problem = check_file(file, this.wizard.access.max_file_size);
		if (problem) {
			this.input.value = "";
			return this.show_error(problem);
		}
		this.set_uploading(true);
		const bar = this.show_progress(file);
		await this.store(
			upload_file(file, (done, total) => bar(done, total)),
			file.size
		);
		this.input.value = "";
	}

	show_progress(file) {
		const fill = h("div", { class: "progress-bar" });
		const track = h(
			"div",
			{
				class: "progress lil-progress-track",
				role: "progressbar",
				"aria-valuemin": "0",
				"aria-valuemax": "100",
				"aria-valuenow": "0",
				"aria-label": __("Upload progress"),
			},
			fill
		);
		const label = h("p", { class: "small" }, __("Uploading {0}…", [file.name]));
		clear(this.status).append(label, track);
		return (done, total) => {
			const percent = total ? Math.round((done / total) * 100) : 0;
			fill.style.width = `${percent}%`;
			track.setAttribute("aria-valuenow", String(percent));
			label.textContent = __("Uploading {0}… {1}%", [file.name, percent]);
		};
	}

	show_uploaded() {
		const { file } = this.wizard.state;
		if (!file || this.uploading) return;
		clear(this.status).append(
			h(
				"p",
				{ class: "lil-uploaded" },
				h("span", { class: "indicator-pill green" }, __("Uploaded")),
				" ",
				h("strong", { class: "lil-file-name" }, file.name),
				" ",
				h("span", { class: "text-muted" }, `(${format_size(file.size)})`)
			),
			h(
				"p",
				{ class: "text-muted small" },
				__("Click Next to see the preview, or choose another file.")
			)
		);
	}

	show_error(message) {
		if (!this.error) return;
		this.error.hidden = !message;
		this.error.textContent = message || "";
	}

	check() {
		if (this.uploading) return { ok: false, reason: __("Wait for the upload to finish.") };
		if (!this.wizard.state.file)
			return { ok: false, reason: __("Choose a file to continue.") };
		return { ok: true };
	}

	async before_next() {
		if (this.wizard.preview) return true;
		try {
			await this.wizard.load_preview();
			return true;
		} catch (error) {
			this.show_error(error.message);
			return false;
		}
	}
}
