// The four-step lead import wizard: Upload → Preview → Map Fields → Execute.
import { call } from "./api";
import { clear, h, uid } from "./dom";
import { ExecuteStep } from "./execute_step";
import { MapStep } from "./map_step";
import { PreviewStep } from "./preview_step";
import { leads_url } from "./routes";
import { STEPS, SUB_STEPS, WizardState } from "./state";
import { UploadStep } from "./upload_step";
import { ValuesStep } from "./values_step";

export class LeadImportWizard {
	constructor(page) {
		this.page = page;
		this.state = WizardState.load();
		this.preview = null;
		this.root = h("div", { class: "lil-wizard" });
		page.main.get(0).append(this.root);
		this.start();
	}

	async start() {
		this.root.append(h("p", { class: "text-muted", role: "status" }, __("Loading…")));
		try {
			this.access = await call("import_access");
		} catch (error) {
			return this.show_message(error.message);
		}
		if (!this.access.allowed) {
			return this.show_message(
				__(
					"You are not allowed to import leads. Ask your administrator for a role that may import (Lead Import Settings) and permission to create Leads."
				),
				__("Not permitted")
			);
		}
		this.build();
		await this.restore();
	}

	show() {
		if (this.steps && this.current) this.refresh_nav();
	}

	show_message(message, title) {
		clear(this.root).append(
			h(
				"div",
				{ class: "lil-not-permitted", role: "alert" },
				title ? h("h2", { class: "lil-title" }, title) : null,
				h("p", {}, message),
				h("a", { class: "btn btn-default btn-sm", href: leads_url() }, __("Back to Leads"))
			)
		);
	}

	build() {
		this.steps = {
			upload: new UploadStep(this),
			preview: new PreviewStep(this),
			map: new MapStep(this),
			values: new ValuesStep(this),
			execute: new ExecuteStep(this),
		};
		this.stepper = h("ol", { class: "lil-stepper" });
		this.heading_id = uid("lil-step-title");
		this.heading = h("h2", {
			class: "lil-step-title",
			id: this.heading_id,
			tabindex: "-1",
		});
		this.body = h("div", { class: "lil-step-body" });
		this.reason = h("p", {
			class: "lil-next-reason",
			id: uid("lil-next-reason"),
		});
		this.back_button = h(
			"button",
			{
				type: "button",
				class: "btn btn-default lil-back",
				onclick: () => this.back(),
			},
			__("Back")
		);
		this.next_button = h(
			"button",
			{
				type: "button",
				class: "btn btn-primary lil-next",
				"aria-describedby": this.reason.id,
				onclick: () => this.next(),
			},
			__("Next")
		);
		clear(this.root).append(
			h("nav", { "aria-label": __("Import steps") }, this.stepper),
			h(
				"section",
				{ class: "lil-step", "aria-labelledby": this.heading_id },
				this.heading,
				this.body
			),
			h("div", { class: "lil-actions" }, this.back_button, this.reason, this.next_button)
		);
	}

	async restore() {
		const { state } = this;
		if (state.file && state.step !== "upload") {
			try {
				await this.load_preview();
			} catch (error) {
				state.clear();
				this.go("upload", { focus: false });
				this.steps.upload.show_error(
					__(
						"The file you uploaded earlier can no longer be read: {0} Upload it again.",
						[error.message]
					)
				);
				return;
			}
		}
		this.go(state.step, { focus: false });
	}

	// The preview of the uploaded file; the suggested mapping replaces the user's only when asked.
	async load_preview({ template = null, remap = false } = {}) {
		const { state } = this;
		const data = await call("preview", {
			file_url: state.file.url,
			sheet: state.sheet,
			encoding: state.encoding,
			template,
		});
		this.preview = data;
		state.sheet = data.sheet;
		const fits = state.mapping && state.mapping.length === data.header.length;
		if (template || remap || !fits) {
			state.set_mapping(data.mapping.columns.map((c) => c.fieldname || null));
			const used = data.mapping.columns.find((c) => c.method === "template");
			const best = data.templates[0];
			state.template = template || (used && best && best.score >= 1 ? best.name : null);
			state.apply_template_constants(state.template ? data.template_constants : {});
		}
		state.save();
		return data;
	}

	required_fields() {
		return (this.preview ? this.preview.fields : []).filter((f) => f.required && !f.default);
	}

	// Fields set for every lead: a required one needs no column.
	constant_fields() {
		return new Set(this.state.constants.map((row) => row.fieldname).filter(Boolean));
	}

	go(step, { focus = true } = {}) {
		if (this.current) this.steps[this.current].leave?.();
		this.current = step;
		this.state.step = step;
		this.state.save();
		const view = this.steps[step];
		this.heading.textContent = view.title();
		clear(this.body);
		view.render(this.body);
		this.render_stepper();
		this.refresh_nav();
		this.root.dataset.step = step;
		if (focus) this.heading.focus();
	}

	render_stepper() {
		clear(this.stepper);
		const shown = STEPS.filter((name) => !SUB_STEPS[name]);
		const current = shown.indexOf(SUB_STEPS[this.current] || this.current);
		shown.forEach((name, index) => {
			const reachable = this.can_reach(name);
			const button = h(
				"button",
				{
					type: "button",
					class: "lil-stepper-button",
					disabled: !reachable || index === current,
					"aria-current": index === current ? "step" : null,
					onclick: () => this.go(name),
				},
				h(
					"span",
					{ class: "lil-stepper-number", "aria-hidden": "true" },
					String(index + 1)
				),
				h("span", { class: "lil-stepper-label" }, this.steps[name].title()),
				h(
					"span",
					{ class: "sr-only" },
					index < current ? __("(done)") : index === current ? __("(current step)") : ""
				)
			);
			const state_class =
				index < current ? "is-done" : index === current ? "is-current" : "";
			this.stepper.append(h("li", { class: `lil-stepper-item ${state_class}` }, button));
		});
	}

	can_reach(step) {
		if (this.state.job) return step === "execute";
		const needs = {
			upload: true,
			preview: Boolean(this.state.file && this.preview),
			map: Boolean(this.state.file && this.preview),
			values: Boolean(this.preview) && this.steps.map.check().ok,
			execute:
				Boolean(this.preview) && this.steps.map.check().ok && this.steps.values.check().ok,
		};
		return needs[step];
	}

	refresh_nav() {
		const index = STEPS.indexOf(this.current);
		const view = this.steps[this.current];
		const check = view.check ? view.check() : { ok: true };
		const started = Boolean(this.state.job);
		this.back_button.hidden = index === 0 || started;
		this.next_button.hidden = index === STEPS.length - 1;
		this.next_button.disabled = !check.ok || this.busy;
		this.reason.textContent = check.ok ? "" : check.reason || "";
		this.render_stepper();
	}

	async next() {
		const index = STEPS.indexOf(this.current);
		const view = this.steps[this.current];
		if (this.busy || !view.check().ok) return;
		this.set_busy(true);
		try {
			if (view.before_next && !(await view.before_next())) return;
		} finally {
			this.set_busy(false);
		}
		this.go(STEPS[index + 1]);
	}

	back() {
		const index = STEPS.indexOf(this.current);
		if (index > 0) this.go(STEPS[index - 1]);
	}

	set_busy(busy) {
		this.busy = busy;
		this.root.setAttribute("aria-busy", busy ? "true" : "false");
		this.refresh_nav();
	}

	start_over() {
		this.state.clear();
		this.preview = null;
		this.go("upload");
	}
}
