// The call log, newest first, with filters: missed, unhandled, since.

import {get} from '../api.js';
import {linesQuery} from '../following.js';
import {add, field, fill, h, note} from '../dom.js';
import {callRow, errorLine, loadingLine, viewHeader} from './common.js';

const LIMIT = 300;
const SINCE = [
	['today', 'Today'],
	['yesterday', 'Since yesterday'],
	['7d', 'The last 7 days'],
	['30d', 'The last 30 days'],
	['365d', 'The last year'],
	['', 'Any time'],
];

export function render(main, route, ctx) {
	const p = route.params;
	const missed = h('input', {id: 'calls-missed', type: 'checkbox', checked: p.get('missed') === 'true'});
	const unhandled = h('input', {id: 'calls-unhandled', type: 'checkbox', checked: p.get('unhandled') === 'true'});
	const wanted = p.has('since') ? p.get('since') : '7d';
	const since = h('select', {id: 'calls-since'},
		SINCE.map(([v, label]) => h('option', {value: v, selected: v === wanted}, label)));
	if (![...since.options].some((o) => o.value === wanted)) {
		add(since, h('option', {value: wanted, selected: true}, `Since ${wanted}`));
	}
	const contact = /^[0-9]+$/.test(p.get('contact') || '') ? p.get('contact') : null;
	const listBox = h('div', {id: 'calls'}, loadingLine());

	add(main,
		viewHeader('Calls'),
		h('form', {class: 'toolbar', id: 'calls-filters', onsubmit: (ev) => { ev.preventDefault(); load(); }},
			field('Missed only', missed),
			field('Not handled only', unhandled),
			field('When', since)),
		contact ? h('p', {id: 'calls-contact'}, `Only the calls of contact #${contact}. `,
			h('a', {href: '#/calls'}, 'Show everyone’s')) : null,
		listBox);

	let seq = 0;
	async function load() {
		const mine = ++seq;
		const query = {
			missed: missed.checked ? 'true' : null,
			unhandled: unhandled.checked ? 'true' : null,
			since: since.value,
			contact,
		};
		const params = new URLSearchParams();
		for (const [k, v] of Object.entries(query)) {
			if (v !== null && !(k === 'since' && v === '7d')) {
				params.set(k, v);
			}
		}
		const qs = params.toString();
		history.replaceState(null, '', qs ? `#/calls?${qs}` : '#/calls');
		try {
			const data = await get('/api/v1/calls', {...query, limit: LIMIT, ...linesQuery()}, ctx.signal);
			if (mine !== seq) {
				return;
			}
			const calls = data.calls || [];
			if (!calls.length) {
				fill(listBox, note('No calls match.', {id: 'calls-empty'}));
				return;
			}
			fill(listBox,
				h('p', {class: 'muted', id: 'calls-count'}, calls.length >= LIMIT ?
					`The latest ${LIMIT} calls.` : (calls.length === 1 ? '1 call.' : `${calls.length} calls.`)),
				h('ul', {class: 'rows', id: 'calls-list'}, calls.map((c) => callRow(c, load))));
		} catch (err) {
			if (err.name !== 'AbortError') {
				fill(listBox, errorLine(err));
			}
		}
	}

	missed.addEventListener('change', load);
	unhandled.addEventListener('change', load);
	since.addEventListener('change', load);
	load();

	let timer = 0;
	return {
		onEvent(ev) {
			if (ev.event === 'call-started' || ev.event === 'call-ended') {
				clearTimeout(timer);
				timer = setTimeout(load, 300);
			}
		},
		destroy() {
			clearTimeout(timer);
		},
	};
}
