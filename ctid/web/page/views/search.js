// Search as you type: names first, then words of names, companies and
// notes, or three or more digits of a number. Arrow keys move through the
// results; Enter opens one.

import {get} from '../api.js';
import {add, fill, h, note} from '../dom.js';
import {contactHref, errorLine} from './common.js';

const DEBOUNCE_MS = 120;
const LIMIT = 20;

function looksLikeNumber(q) {
	return /^[+0-9 ()./-]+$/.test(q) && (q.match(/[0-9]/g) || []).length >= 3;
}

export function render(main, route, ctx) {
	const initial = route.params.get('q') || '';
	const input = h('input', {id: 'search-input', type: 'search', name: 'q', value: initial,
		autocomplete: 'off', spellcheck: 'false', 'aria-controls': 'search-results',
		'aria-describedby': 'search-help'});
	const results = h('ul', {id: 'search-results', class: 'results', 'aria-label': 'Contacts found'});
	const count = h('p', {id: 'search-count', class: 'muted', 'aria-live': 'polite'});
	const more = h('button', {type: 'button', id: 'search-more', hidden: true}, 'More');
	const newLink = h('a', {id: 'search-new', class: 'button', href: '#/contacts/new'}, 'New contact');
	const errorBox = h('div', {id: 'search-error'});

	const searchForm = h('form', {role: 'search', class: 'search-form', onsubmit: (ev) => {
		ev.preventDefault();
		const first = results.querySelector('a.result');
		if (first) {
			location.hash = first.getAttribute('href');
		}
	}},
	h('label', {for: 'search-input'}, 'Find a contact'),
	h('div', {class: 'search-row'}, input, newLink),
	h('small', {id: 'search-help', class: 'hint'},
		'Name, company, a word of a note, or three or more digits of a number. ↓ and ↑ move through the results, Enter opens one.'));

	add(main, h('h1', {class: 'visually-hidden'}, 'Search'), searchForm, count, errorBox, results, more);

	let controller = null;
	let timer = 0;
	let lastName = null;
	const abortOnLeave = () => controller && controller.abort();
	ctx.signal.addEventListener('abort', abortOnLeave);

	function updateNewLink(q) {
		const t = q.trim();
		if (!t) {
			newLink.setAttribute('href', '#/contacts/new');
		} else if (looksLikeNumber(t)) {
			newLink.setAttribute('href', `#/contacts/new?number=${encodeURIComponent(t)}`);
		} else {
			newLink.setAttribute('href', `#/contacts/new?name=${encodeURIComponent(t)}`);
		}
	}

	async function search(q, after) {
		if (controller) {
			controller.abort();
		}
		controller = new AbortController();
		const signal = controller.signal;
		const query = q ? {q, limit: LIMIT} : {limit: LIMIT, after};
		try {
			const data = await get('/api/v1/contacts', query, signal);
			if (signal.aborted) {
				return;
			}
			fill(errorBox);
			const contacts = data.contacts || [];
			if (!after) {
				fill(results);
			}
			add(results, ...contacts.map(item));
			lastName = contacts.length ? contacts[contacts.length - 1].name : lastName;
			more.hidden = Boolean(q) || contacts.length < LIMIT;
			const n = results.children.length;
			if (n === 0) {
				count.textContent = '';
				fill(errorBox, note(q ? `No contact matches “${q}”.` : 'No contacts yet.', {id: 'search-empty'}));
			} else if (q) {
				count.textContent = n === 1 ? '1 contact' : (n >= LIMIT ? `The first ${n} contacts` : `${n} contacts`);
			} else {
				count.textContent = `Contacts by name (${n} shown)`;
			}
		} catch (err) {
			if (err.name === 'AbortError') {
				return;
			}
			fill(errorBox, errorLine(err));
		}
	}

	function item(c) {
		const phones = Array.isArray(c.phones) ? c.phones : [];
		return h('li', {},
			h('a', {class: 'result', href: contactHref(c.id), dataset: {test: 'search-result', contactId: c.id}},
				h('span', {class: 'result-name', dataset: {test: 'search-result-name'}}, c.name || `#${c.id}`),
				c.company ? h('span', {class: 'result-company'}, c.company) : null,
				phones.length ? h('span', {class: 'result-phones muted'},
					phones.map((p) => p.formatted || p.number).filter(Boolean).join(', ')) : null));
	}

	function schedule() {
		clearTimeout(timer);
		const q = input.value.trim();
		updateNewLink(q);
		history.replaceState(null, '', q ? `#/search?q=${encodeURIComponent(q)}` : '#/search');
		timer = setTimeout(() => search(q, null), DEBOUNCE_MS);
	}

	input.addEventListener('input', schedule);
	input.addEventListener('keydown', (ev) => {
		if (ev.key === 'ArrowDown') {
			const first = results.querySelector('a.result');
			if (first) {
				ev.preventDefault();
				first.focus();
			}
		}
	});
	results.addEventListener('keydown', (ev) => {
		const links = [...results.querySelectorAll('a.result')];
		const i = links.indexOf(document.activeElement);
		if (i < 0) {
			return;
		}
		if (ev.key === 'ArrowDown') {
			ev.preventDefault();
			links[Math.min(i + 1, links.length - 1)].focus();
		} else if (ev.key === 'ArrowUp') {
			ev.preventDefault();
			if (i === 0) {
				input.focus();
			} else {
				links[i - 1].focus();
			}
		} else if (ev.key === 'Home') {
			ev.preventDefault();
			links[0].focus();
		} else if (ev.key === 'End') {
			ev.preventDefault();
			links[links.length - 1].focus();
		} else if (ev.key === 'Escape') {
			input.focus();
		}
	});
	more.addEventListener('click', () => search('', lastName));

	updateNewLink(initial);
	search(initial.trim(), null);
	input.focus();
	input.setSelectionRange(input.value.length, input.value.length);

	return {
		destroy() {
			clearTimeout(timer);
			ctx.signal.removeEventListener('abort', abortOnLeave);
			abortOnLeave();
		},
	};
}
