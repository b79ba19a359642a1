// A new contact: #/contacts/new?number=NUMBER (from the banner or the
// call-back list) or ?name=NAME (from the search box).

import {get, post} from '../api.js';
import {add, field, fill, form, h, showError, showStatus} from '../dom.js';
import {contactHref} from './common.js';

export function render(main, route, ctx) {
	const number = route.params.get('number') || '';
	const name = route.params.get('name') || '';
	const inputs = {
		name: h('input', {id: 'new-name', type: 'text', required: true, value: name, autocomplete: 'off'}),
		company: h('input', {id: 'new-company', type: 'text', autocomplete: 'off'}),
		email: h('input', {id: 'new-email', type: 'email', autocomplete: 'off'}),
		birthday: h('input', {id: 'new-birthday', type: 'text', pattern: '([0-9]{4}|-)-[0-9]{2}-[0-9]{2}',
			placeholder: 'YYYY-MM-DD or --MM-DD'}),
		number: h('input', {id: 'new-number', type: 'tel', value: number, autocomplete: 'off'}),
		label: h('input', {id: 'new-label', type: 'text', placeholder: 'mobile, work…'}),
		tags: h('input', {id: 'new-tags', type: 'text', placeholder: 'wholesale, vip'}),
	};
	const known = h('div', {id: 'new-known', 'aria-live': 'polite'});

	const f = form({id: 'new-contact-form', class: 'stack panel'}, [
		field('Name', inputs.name),
		field('Company', inputs.company),
		h('div', {class: 'form-row'}, field('Number', inputs.number), field('Its label', inputs.label)),
		known,
		field('Email', inputs.email),
		field('Birthday', inputs.birthday, 'YYYY-MM-DD, or --MM-DD without the year.'),
		field('Tags', inputs.tags, 'Separated by commas.'),
		h('div', {class: 'form-row'},
			h('button', {id: 'new-save', type: 'submit', class: 'primary'}, 'Add contact'),
			h('a', {href: '#/search', class: 'button'}, 'Cancel')),
	], async () => {
		const body = {name: inputs.name.value.trim()};
		if (!body.name) {
			showStatus('A contact needs a name.', 'error');
			inputs.name.focus();
			return;
		}
		for (const k of ['company', 'email', 'birthday']) {
			const v = inputs[k].value.trim();
			if (v) {
				body[k] = v;
			}
		}
		const n = inputs.number.value.trim();
		if (n) {
			const phone = {number: n};
			if (inputs.label.value.trim()) {
				phone.label = inputs.label.value.trim();
			}
			body.phones = [phone];
		}
		const tags = inputs.tags.value.split(',').map((t) => t.trim()).filter(Boolean);
		if (tags.length) {
			body.tags = [...new Set(tags)];
		}
		try {
			const card = await post('/api/v1/contacts', body);
			showStatus(`Added “${card.name}”.`, 'ok');
			location.hash = contactHref(card.id);
		} catch (err) {
			showError(err);
		}
	});

	add(main, h('h1', {}, 'New contact'), f);
	(name ? inputs.company : inputs.name).focus();

	// Say so when the number already belongs to someone.
	async function check() {
		const value = inputs.number.value.trim();
		if (!/[0-9]/.test(value)) {
			fill(known);
			return;
		}
		try {
			const res = await get('/api/v1/lookup', {number: value}, ctx.signal);
			if (value !== inputs.number.value.trim()) {
				return;
			}
			if (res && res.contact && res.contact.id) {
				fill(known, h('p', {class: 'notice', id: 'new-known-text'},
					res.ambiguous ? 'This number belongs to several contacts, for example ' : 'This number belongs to ',
					h('a', {href: contactHref(res.contact.id)}, res.contact.name || `#${res.contact.id}`),
					res.match === 'suffix' ? ' (its last digits match).' : '.'));
			} else {
				fill(known);
			}
		} catch (err) {
			if (err.name !== 'AbortError' && err.status !== 422 && err.status !== 400) {
				showError(err);
			}
			fill(known);
		}
	}
	let timer = 0;
	inputs.number.addEventListener('input', () => {
		clearTimeout(timer);
		timer = setTimeout(check, 300);
	});
	check();

	return {
		destroy() {
			clearTimeout(timer);
		},
	};
}
