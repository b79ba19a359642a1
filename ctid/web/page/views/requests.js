// Requests and orders: the open list with filters, and "It arrived": who
// asked for something that has just come in, with their numbers to call.

import {enc, get, post} from '../api.js';
import {actionButton, add, field, fill, form, h, note, showError, showStatus} from '../dom.js';
import {formatDateTime, timeEl} from '../format.js';
import {contactLink, errorLine, loadingLine, numberLink, phoneLink, viewHeader} from './common.js';

const LIMIT = 200;

function kindSelect(id) {
	return h('select', {id},
		h('option', {value: ''}, 'Requests and orders'),
		h('option', {value: 'request'}, 'Requests'),
		h('option', {value: 'order'}, 'Orders'));
}

async function closeNote(id) {
	try {
		await post(`/api/v1/notes/${enc(id)}/close`);
		return true;
	} catch (err) {
		showError(err);
		return false;
	}
}

export function render(main, route, ctx) {
	// It arrived.
	const arrivedQ = h('input', {id: 'arrived-q', type: 'search', required: true, autocomplete: 'off',
		value: route.params.get('arrived') || ''});
	const arrivedKind = kindSelect('arrived-kind');
	const arrivedBox = h('div', {id: 'arrived'});
	const arrivedForm = form({id: 'arrived-form', class: 'toolbar'}, [
		field('What arrived?', arrivedQ, 'Words of what was asked for: “shoe cream”.'),
		field('Of', arrivedKind),
		h('button', {id: 'arrived-submit', type: 'submit', class: 'primary'}, 'Who asked?'),
	], () => arrived());

	// The list.
	const q = h('input', {id: 'requests-q', type: 'search', autocomplete: 'off', value: route.params.get('q') || ''});
	const kind = kindSelect('requests-kind');
	const openOnly = h('input', {id: 'requests-open', type: 'checkbox', checked: route.params.get('open') !== 'false'});
	const listBox = h('div', {id: 'requests'}, loadingLine());

	add(main,
		viewHeader('Requests and orders'),
		h('section', {class: 'panel', 'aria-labelledby': 'arrived-title'},
			h('h2', {id: 'arrived-title'}, 'It arrived: who to call'),
			arrivedForm, arrivedBox),
		h('section', {class: 'panel', 'aria-labelledby': 'requests-title'},
			h('h2', {id: 'requests-title'}, 'The list'),
			h('form', {class: 'toolbar', role: 'search', onsubmit: (ev) => { ev.preventDefault(); load(); }},
				field('Words', q), field('Show', kind), field('Open ones only', openOnly)),
			listBox));

	let seq = 0;
	async function load() {
		const mine = ++seq;
		try {
			const data = await get('/api/v1/requests', {
				open: openOnly.checked ? 'true' : null,
				kind: kind.value,
				q: q.value.trim(),
				limit: LIMIT,
			}, ctx.signal);
			if (mine !== seq) {
				return;
			}
			const list = data.requests || [];
			if (!list.length) {
				fill(listBox, note(openOnly.checked ? 'Nothing open.' : 'Nothing found.', {id: 'requests-empty'}));
				return;
			}
			fill(listBox, h('ul', {class: 'rows', id: 'requests-list'}, list.map(requestRow)),
				list.length >= LIMIT ? note(`The first ${LIMIT} are shown; narrow it down with words.`) : null);
		} catch (err) {
			if (err.name !== 'AbortError') {
				fill(listBox, errorLine(err));
			}
		}
	}

	function requestRow(r) {
		const facts = [
			h('span', {}, r.contact ? contactLink(r.contact) : 'No contact'),
			r.phone ? numberLink(r.phone) : null,
			h('span', {class: 'muted'}, 'asked ', timeEl(r.created, h), r.author ? ` by ${r.author}` : ''),
		];
		if (!r.open) {
			facts.push(h('span', {class: 'badge badge-done', title: formatDateTime(r.closed)},
				`closed${r.closed_by ? ' by ' + r.closed_by : ''}`));
		}
		return h('li', {class: 'row', dataset: {test: 'request-row', noteId: r.id}},
			h('div', {class: 'row-main'},
				h('span', {class: `badge kind-${r.kind}`}, r.kind === 'order' ? 'Order' : 'Request'),
				h('p', {class: 'text', dataset: {test: 'request-text'}}, r.text || ''),
				h('div', {class: 'row-facts'}, facts)),
			r.open ? h('div', {class: 'row-actions'}, actionButton('Close', async () => {
				if (await closeNote(r.id)) {
					showStatus('Closed.', 'ok');
					load();
				}
			}, {dataset: {test: 'request-close'}})) : null);
	}

	async function arrived() {
		const words = arrivedQ.value.trim();
		if (!words) {
			return;
		}
		fill(arrivedBox, loadingLine());
		try {
			const data = await get('/api/v1/requests/arrived', {q: words, kind: arrivedKind.value}, ctx.signal);
			const callers = data.callers || [];
			if (!callers.length) {
				fill(arrivedBox, note(`Nobody is waiting for “${words}”.`, {id: 'arrived-empty'}));
				return;
			}
			fill(arrivedBox,
				h('p', {id: 'arrived-count'}, callers.length === 1 ? '1 client to call:' : `${callers.length} clients to call, first asked first:`),
				h('ol', {class: 'rows', id: 'arrived-list'}, callers.map(callerRow)));
		} catch (err) {
			if (err.name !== 'AbortError') {
				fill(arrivedBox, errorLine(err));
			}
		}
	}

	function callerRow(c) {
		const phones = Array.isArray(c.phones) ? c.phones : [];
		const reqs = Array.isArray(c.requests) ? c.requests : [];
		const li = h('li', {class: 'row arrived-row', dataset: {test: 'arrived-caller', contactId: c.contact ? c.contact.id : null}});
		const reqList = h('ul', {class: 'plain'}, reqs.map((r) => {
			const item = h('li', {dataset: {test: 'arrived-request', noteId: r.id}},
				h('span', {class: 'text'}, r.text || ''), ' ',
				h('span', {class: 'muted'}, 'asked ', timeEl(r.created, h)), ' ');
			add(item, actionButton('Close', async () => {
				if (await closeNote(r.id)) {
					item.classList.add('done');
					item.querySelector('button').remove();
					add(item, h('span', {class: 'badge badge-done'}, 'closed'));
					showStatus('Closed.', 'ok');
					load();
				}
			}, {class: 'small', dataset: {test: 'arrived-close'}}));
			return item;
		}));
		const closeAll = reqs.length > 1 ? actionButton(`Close all ${reqs.length}`, async () => {
			let ok = true;
			for (const r of reqs) {
				ok = ok && await closeNote(r.id);
			}
			if (ok) {
				showStatus(`Closed ${reqs.length}.`, 'ok');
			}
			arrived();
			load();
		}, {dataset: {test: 'arrived-close-all'}}) : null;
		add(li,
			h('div', {class: 'row-main'},
				h('span', {class: 'row-title'}, contactLink(c.contact)),
				c.company ? h('span', {class: 'muted'}, ` — ${c.company}`) : null,
				h('ul', {class: 'plain phones', dataset: {test: 'arrived-phones'}},
					phones.length ? phones.map((p) => h('li', {}, phoneLink(p))) : h('li', {class: 'muted'}, 'No number')),
				reqList),
			closeAll ? h('div', {class: 'row-actions'}, closeAll) : null);
		return li;
	}

	let timer = 0;
	q.addEventListener('input', () => {
		clearTimeout(timer);
		timer = setTimeout(load, 250);
	});
	kind.addEventListener('change', load);
	openOnly.addEventListener('change', load);

	load();
	if (arrivedQ.value) {
		arrived();
	}

	return {
		destroy() {
			clearTimeout(timer);
		},
	};
}
