// The call-back list: unhandled missed calls grouped by caller, in the
// server's order (the longest waiting first, those already reached after).

import {get} from '../api.js';
import {linesQuery} from '../following.js';
import {actionButton, add, field, fill, h, note} from '../dom.js';
import {formatDateTime, timeEl} from '../format.js';
import {callBack, contactHref, errorLine, loadingLine, markHandled, newContactHref, numberLink, viewHeader} from './common.js';

export function render(main, route, ctx) {
	const maybe = h('input', {type: 'checkbox', id: 'callbacks-maybe', checked: route.params.get('unknown') !== 'false'});
	const list = h('div', {id: 'callbacks'}, loadingLine());
	maybe.addEventListener('change', () => load());

	add(main,
		viewHeader('Call back'),
		h('p', {class: 'muted intro'}, 'Missed calls nobody has dealt with, by caller: the longest waiting first.'),
		h('div', {class: 'toolbar'},
			field('Include calls whose outcome is unknown (maybe missed)', maybe)),
		list);

	let seq = 0;
	async function load() {
		const mine = ++seq;
		try {
			const data = await get('/api/v1/missed', {unknown: maybe.checked ? null : 'false', ...linesQuery()}, ctx.signal);
			if (mine !== seq) {
				return;
			}
			const callers = data.callers || [];
			if (!callers.length) {
				fill(list, note('Nobody is waiting for a call back.', {id: 'callbacks-empty'}));
				return;
			}
			fill(list, h('ol', {class: 'rows', id: 'callbacks-list'}, callers.map(row)));
		} catch (err) {
			if (err.name !== 'AbortError') {
				fill(list, errorLine(err));
			}
		}
	}

	function changed() {
		load();
		ctx.refreshCallbackCount();
	}

	function row(c) {
		const ids = Array.isArray(c.call_ids) ? c.call_ids : [];
		const lastId = ids.length ? Math.max(...ids) : null;
		const who = c.name || (c.contact && c.contact.name) || c.formatted || 'Withheld';
		const number = c.e164 || c.number;
		const title = c.contact && c.contact.id ?
			h('a', {href: contactHref(c.contact.id), class: 'row-title', dataset: {test: 'callback-name'}}, who) :
			h('span', {class: 'row-title', dataset: {test: 'callback-name'}}, who);

		const count = c.calls === 1 ? '1 call' : `${c.calls} calls`;
		const facts = [h('span', {}, c.maybe_missed ? `${count}, outcome unknown (maybe missed)` :
			c.unknown ? `${count} (${c.unknown} maybe)` : count)];
		if (c.formatted && c.formatted !== who) {
			facts.unshift(numberLink(number, c.formatted));
		}
		facts.push(c.calls > 1 ? h('span', {class: 'muted'}, 'first ', timeEl(c.first, h))
			: h('span', {class: 'muted'}, timeEl(c.first, h)));
		if (c.calls > 1) {
			facts.push(h('span', {class: 'muted'}, 'last ', timeEl(c.last, h)));
		}

		const badges = [];
		if (c.called_back) {
			badges.push(h('span', {class: 'badge badge-done', title: formatDateTime(c.called_back)},
				'Reached ', timeEl(c.called_back, h)));
		} else if (c.withheld) {
			badges.push(h('span', {class: 'badge'}, 'Withheld: cannot call back'));
		} else {
			badges.push(h('span', {class: 'badge state-missed'}, 'Waiting'));
		}

		const actions = [];
		if (!c.withheld && lastId) {
			actions.push(actionButton(c.called_back ? 'Call again' : 'Call back', async () => {
				if (await callBack(lastId, who)) {
					changed();
				}
			}, {class: 'primary', dataset: {test: 'callback-call'}}));
		}
		actions.push(actionButton('Mark handled', async () => {
			if (await markHandled(ids)) {
				changed();
			}
		}, {dataset: {test: 'callback-handled'}, title: ids.length > 1 ? `Marks all ${ids.length} calls handled` : null}));
		if (c.contact && c.contact.id) {
			actions.push(h('a', {class: 'button', href: contactHref(c.contact.id), dataset: {test: 'callback-open'}}, 'Open card'));
		} else if (number) {
			actions.push(h('a', {class: 'button', href: newContactHref(number), dataset: {test: 'callback-open'}}, 'Add contact'));
		}

		return h('li', {class: 'row callback-row' + (c.called_back ? ' reached' : ''),
			dataset: {test: 'callback-row', callIds: ids.join(' '), contactId: c.contact ? c.contact.id : null}},
		h('div', {class: 'row-main'}, title, h('div', {class: 'row-facts'}, facts)),
		h('div', {class: 'row-badges'}, badges),
		h('div', {class: 'row-actions'}, actions));
	}

	load();

	let timer = 0;
	return {
		onEvent(ev) {
			if (ev.event === 'call-ended') {
				clearTimeout(timer);
				timer = setTimeout(load, 300);
			}
		},
		destroy() {
			clearTimeout(timer);
		},
	};
}
