// What the user did in the wizard, kept in localStorage per user so that a reload loses nothing.

const VERSION = 1;

export const STEPS = ["upload", "preview", "map", "values", "execute"];
// Matching values is the second part of Map Fields: the stepper shows the spec's four steps.
export const SUB_STEPS = { values: "map" };

export class WizardState {
	constructor(values = {}) {
		this.step = STEPS.includes(values.step) ? values.step : "upload";
		this.file = values.file || null; // {url, name, size}
		this.sheet = values.sheet || null;
		this.encoding = values.encoding || null; // chosen by the user for a text file; null = detected
		this.template = values.template || null;
		this.mapping = Array.isArray(values.mapping) ? values.mapping : null; // fieldname|null per column
		this.manual = Array.isArray(values.manual) ? values.manual : []; // true where the user picked
		this.job = values.job || null;
		this.choices = values.choices || {}; // fieldname -> file value -> {action, value, reason}
		// Values for every lead: {fieldname, value, file_wins} each, in the order the user added them.
		this.constants = Array.isArray(values.constants) ? values.constants : [];
		// The fields the applied template sets for every lead: one the user removed is sent as null.
		this.template_constants = Array.isArray(values.template_constants)
			? values.template_constants
			: [];
	}

	static key() {
		return `intellicon_leads:lead_import:${frappe.session.user}`;
	}

	static load() {
		try {
			const saved = JSON.parse(localStorage.getItem(WizardState.key()) || "null");
			if (saved && saved.version === VERSION) return new WizardState(saved);
		} catch (e) {
			// unreadable: start afresh
		}
		return new WizardState();
	}

	save() {
		const { step, file, sheet, encoding, template, mapping, manual, job, choices } = this;
		const { constants, template_constants } = this;
		const values = {
			version: VERSION,
			step,
			file,
			sheet,
			encoding,
			template,
			mapping,
			manual,
			job,
			choices,
			constants,
			template_constants,
		};
		try {
			localStorage.setItem(WizardState.key(), JSON.stringify(values));
		} catch (e) {
			// storage full or disabled: the wizard still works, only a reload forgets
		}
	}

	clear() {
		Object.assign(this, new WizardState());
		localStorage.removeItem(WizardState.key());
	}

	set_file(file) {
		Object.assign(this, new WizardState({ file }));
		this.save();
	}

	set_choices(choices) {
		this.choices = choices;
		this.save();
	}

	// A template's values for every lead ({fieldname: {value, file_wins}}) replace the user's for the
	// same fields; the user's other values stay.
	apply_template_constants(constants) {
		const fields = Object.keys(constants || {});
		this.constants = [
			...this.constants.filter((row) => !fields.includes(row.fieldname)),
			...fields.map((fieldname) => ({
				fieldname,
				value: constants[fieldname].value,
				file_wins: Boolean(constants[fieldname].file_wins),
			})),
		];
		this.template_constants = fields;
		this.save();
	}

	set_mapping(mapping, manual) {
		this.mapping = mapping.slice();
		this.manual = manual ? manual.slice() : mapping.map(() => false);
		this.save();
	}
}
