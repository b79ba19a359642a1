// The card's forms that change the contact: a reminder, the details
// (PATCH), a merge and the delete.

import {del, enc, get, patch, post} from '../api.js';
import {button, confirmDialog, field, fill, form, h, showError, showStatus} from '../dom.js';

// The add-a-reminder form; reload() after one was added.
export function reminderForm(base, reload) {
	const text = h('input', {id: 'reminder-text', type: 'text', required: true, autocomplete: 'off'});
	const date = h('input', {id: 'reminder-date', type: 'date', required: true});
	const yearly = h('input', {id: 'reminder-yearly', type: 'checkbox'});
	const notice = h('input', {id: 'reminder-notice', type: 'number', min: 0, max: 366, step: 1, inputmode: 'numeric'});
	const f = form({id: 'reminder-form', class: 'stack'}, [
		field('Remind me of', text),
		h('div', {class: 'form-row'},
			field('On', date),
			field('Days of notice', notice, 'Empty: the usual notice.')),
		field('Every year', yearly),
		h('button', {id: 'reminder-add', type: 'submit'}, 'Add reminder'),
	], async () => {
		const body = {text: text.value, date: date.value, yearly: yearly.checked};
		if (notice.value !== '') {
			body.notice = Number(notice.value);
		}
		try {
			await post(`${base}/reminders`, body);
			text.value = '';
			date.value = '';
			notice.value = '';
			yearly.checked = false;
			showStatus('Reminder added.', 'ok');
			await reload();
		} catch (err) {
			showError(err);
		}
	});
	return h('details', {class: 'inline-form', id: 'reminder-details'},
		h('summary', {}, 'Add a reminder'), f);
}

// The edit form in a <details>; built from the card each time it opens.
// paint(card) shows the card the server answers.
export function editSection(base, getCard, paint) {
	const formBox = h('div', {});
	const section = h('details', {class: 'panel inline-form', id: 'card-edit'},
		h('summary', {id: 'card-edit-toggle'}, 'Edit details, numbers, tags and fields'), formBox);
	section.addEventListener('toggle', () => {
		if (section.open) {
			build();
			const name = document.getElementById('edit-name');
			if (name) {
				name.focus();
			}
		} else {
			fill(formBox);
		}
	});
	section.addEventListener('keydown', (ev) => {
		if (ev.key === 'Escape' && section.open) {
			ev.stopPropagation();
			section.open = false;
			section.querySelector('summary').focus();
		}
	});

	function build() {
		const card = getCard();
		if (!card) {
			return;
		}
		const inputs = {
			name: h('input', {id: 'edit-name', type: 'text', required: true, value: card.name || ''}),
			company: h('input', {id: 'edit-company', type: 'text', value: card.company || ''}),
			email: h('input', {id: 'edit-email', type: 'email', value: card.email || ''}),
			birthday: h('input', {id: 'edit-birthday', type: 'text', value: card.birthday || '',
				pattern: '([0-9]{4}|-)-[0-9]{2}-[0-9]{2}', placeholder: 'YYYY-MM-DD or --MM-DD'}),
		};
		const phones = Array.isArray(card.phones) ? card.phones : [];
		const phoneChecks = phones.map((p) => ({id: p.id, box: h('input', {type: 'checkbox', dataset: {test: 'phone-remove'}})}));
		const tags = Array.isArray(card.tags) ? card.tags : [];
		const tagChecks = tags.map((t) => ({tag: t, box: h('input', {type: 'checkbox', dataset: {test: 'tag-remove'}})}));
		const fields = card.fields && typeof card.fields === 'object' ? Object.entries(card.fields) : [];
		const fieldInputs = fields.map(([k, v]) => ({key: k, old: v === null ? '' : String(v),
			input: h('input', {type: 'text', value: v === null ? '' : String(v)})}));
		const newNumber = h('input', {id: 'edit-phone-number', type: 'tel', autocomplete: 'off'});
		const newLabel = h('input', {id: 'edit-phone-label', type: 'text', placeholder: 'mobile, work…'});
		const newTags = h('input', {id: 'edit-tags', type: 'text', placeholder: 'wholesale, vip'});
		const newKey = h('input', {id: 'edit-field-key', type: 'text'});
		const newValue = h('input', {id: 'edit-field-value', type: 'text'});

		const f = form({id: 'edit-form', class: 'stack'}, [
			field('Name', inputs.name),
			field('Company', inputs.company),
			field('Email', inputs.email),
			field('Birthday', inputs.birthday, 'YYYY-MM-DD, or --MM-DD without the year. Empty clears it.'),
			h('fieldset', {},
				h('legend', {}, 'Numbers'),
				phones.map((p, i) => field(`Remove ${p.formatted || p.number}${p.label ? ' (' + p.label + ')' : ''}`, phoneChecks[i].box)),
				h('div', {class: 'form-row'}, field('Add a number', newNumber), field('Its label', newLabel))),
			h('fieldset', {},
				h('legend', {}, 'Tags'),
				tags.map((t, i) => field(`Remove “${t}”`, tagChecks[i].box)),
				field('Add tags', newTags, 'Separated by commas.')),
			h('fieldset', {},
				h('legend', {}, 'Fields'),
				fieldInputs.map((fi) => field(fi.key, fi.input, null)),
				fieldInputs.length ? h('small', {class: 'hint'}, 'Empty a field to remove it.') : null,
				h('div', {class: 'form-row'}, field('New field', newKey), field('Its value', newValue))),
			h('div', {class: 'form-row'},
				h('button', {id: 'edit-save', type: 'submit', class: 'primary'}, 'Save'),
				button('Cancel', () => { section.open = false; }, {id: 'edit-cancel'})),
		], async () => {
			const body = {};
			for (const k of ['name', 'company', 'email', 'birthday']) {
				const v = inputs[k].value.trim();
				if (v !== (card[k] || '')) {
					body[k] = v;
				}
			}
			if (body.name === '') {
				showStatus('A contact needs a name.', 'error');
				return;
			}
			const remove = phoneChecks.filter((p) => p.box.checked).map((p) => p.id);
			if (remove.length) {
				body.phones_remove = remove;
			}
			if (newNumber.value.trim()) {
				const p = {number: newNumber.value.trim()};
				if (newLabel.value.trim()) {
					p.label = newLabel.value.trim();
				}
				body.phones_add = [p];
			}
			const add = newTags.value.split(',').map((t) => t.trim()).filter((t) => t && !tags.includes(t));
			if (add.length) {
				body.tags_add = [...new Set(add)];
			}
			const drop = tagChecks.filter((t) => t.box.checked).map((t) => t.tag);
			if (drop.length) {
				body.tags_remove = drop;
			}
			const changes = {};
			for (const fi of fieldInputs) {
				if (fi.input.value !== fi.old) {
					changes[fi.key] = fi.input.value === '' ? null : fi.input.value;
				}
			}
			if (newKey.value.trim()) {
				changes[newKey.value.trim()] = newValue.value;
			}
			if (Object.keys(changes).length) {
				body.fields = changes;
			}
			if (!Object.keys(body).length) {
				showStatus('Nothing was changed.', 'info');
				section.open = false;
				return;
			}
			try {
				const updated = await patch(base, body);
				section.open = false;
				paint(updated);
				showStatus('Saved.', 'ok');
				section.querySelector('summary').focus();
			} catch (err) {
				showError(err);
			}
		});
		fill(formBox, f);
	}

	return {
		section,
		refresh() {
			if (section.open) {
				build();
			}
		},
	};
}

// Merging another contact (by id) into this one.
export function mergeSection(base, getCard, paint) {
	const from = h('input', {id: 'merge-from', type: 'number', min: 1, step: 1, required: true, inputmode: 'numeric'});
	const f = form({id: 'merge-form', class: 'stack'}, [
		field('The other contact’s id', from, 'The number at the end of its card’s address (…#/contacts/42). Its numbers, notes, calls and reminders move here, and it is deleted.'),
		h('button', {id: 'merge-submit', type: 'submit'}, 'Merge into this contact'),
	], async () => {
		const card = getCard();
		const other = Number(from.value);
		if (!card || !Number.isInteger(other) || other < 1) {
			showStatus('Give the id of the contact to merge, a whole number.', 'error');
			return;
		}
		if (other === card.id) {
			showStatus('A contact cannot be merged into itself.', 'error');
			return;
		}
		let otherCard;
		try {
			otherCard = await get(`/api/v1/contacts/${enc(other)}`);
		} catch (err) {
			showError(err);
			return;
		}
		const ok = await confirmDialog(
			`Merge “${otherCard.name}” (#${other}) into “${card.name}” (#${card.id})? ` +
			`Its numbers, notes, calls and reminders move here, and “${otherCard.name}” is deleted.`, 'Merge');
		if (!ok) {
			return;
		}
		try {
			const res = await post(`${base}/merge`, {from: other});
			from.value = '';
			paint(res.card);
			const m = res.moved || {};
			const names = {phones: ['number', 'numbers'], notes: ['note', 'notes'], calls: ['call', 'calls'], reminders: ['reminder', 'reminders']};
			const parts = Object.keys(names).filter((k) => m[k]).map((k) => `${m[k]} ${names[k][m[k] === 1 ? 0 : 1]}`);
			showStatus(`Merged “${otherCard.name}” into this contact${parts.length ? ': ' + parts.join(', ') + ' moved' : ''}.`, 'ok');
		} catch (err) {
			showError(err);
		}
	});
	return h('details', {class: 'panel inline-form', id: 'card-merge'},
		h('summary', {}, 'Merge another contact into this one'), f);
}

export function deleteButton(base, getCard) {
	return button('Delete this contact', async () => {
		const card = getCard();
		if (!card) {
			return;
		}
		const ok = await confirmDialog(`Delete “${card.name}” and everything written about them? This cannot be undone.`, 'Delete');
		if (!ok) {
			return;
		}
		try {
			await del(base);
			showStatus(`Deleted “${card.name}”.`, 'ok');
			location.hash = '#/search';
		} catch (err) {
			showError(err);
		}
	}, {id: 'card-delete', class: 'danger'});
}
