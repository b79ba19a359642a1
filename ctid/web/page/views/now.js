// Now: what needs doing today — the call-back list in short, reminders due
// soon and today's calls. The banner above shows a call as it rings.

import {get} from '../api.js';
import {linesQuery} from '../following.js';
import {add, fill, h, note} from '../dom.js';
import {formatCalendarDate, formatDaysLeft, timeEl} from '../format.js';
import {callRow, contactLink, errorLine, loadingLine, viewHeader} from './common.js';

const SUMMARY_MAX = 5;

export function render(main, route, ctx) {
	const callbacksBox = h('div', {id: 'now-callbacks'}, loadingLine());
	const remindersBox = h('div', {id: 'now-reminders'}, loadingLine());
	const callsBox = h('div', {id: 'now-calls'}, loadingLine());

	add(main,
		viewHeader('Now'),
		h('p', {class: 'muted intro'}, 'When the phone rings, who is calling appears at the top of every page.'),
		h('div', {class: 'now-grid'},
			h('section', {class: 'panel', 'aria-labelledby': 'now-cb-title'},
				h('h2', {id: 'now-cb-title'}, 'To call back'), callbacksBox),
			h('section', {class: 'panel', 'aria-labelledby': 'now-rem-title'},
				h('h2', {id: 'now-rem-title'}, 'Reminders this week'), remindersBox)),
		h('section', {class: 'panel', 'aria-labelledby': 'now-calls-title'},
			h('h2', {id: 'now-calls-title'}, 'Today’s calls'), callsBox));

	async function loadCallbacks() {
		try {
			const data = await get('/api/v1/missed', linesQuery(), ctx.signal);
			const callers = data.callers || [];
			const waiting = callers.filter((c) => !c.called_back);
			if (!callers.length) {
				fill(callbacksBox, note('Nobody is waiting for a call back.'));
				return;
			}
			const rows = waiting.slice(0, SUMMARY_MAX).map((c) => h('li', {class: 'mini-row', dataset: {test: 'now-callback'}},
				c.contact ? contactLink(c.contact) : h('span', {}, c.name || c.formatted || 'Withheld'),
				h('span', {class: 'muted'}, ' — ', c.calls === 1 ? '1 call' : `${c.calls} calls`, ', last ', timeEl(c.last, h))));
			const reached = callers.length - waiting.length;
			fill(callbacksBox,
				h('p', {id: 'now-callback-count'}, waiting.length === 1 ? '1 caller waiting.' : `${waiting.length} callers waiting.`,
					reached ? ` ${reached} reached, to mark handled.` : ''),
				rows.length ? h('ul', {class: 'mini-list'}, rows) : null,
				h('p', {}, h('a', {href: '#/callbacks'}, 'Open the call-back list')));
		} catch (err) {
			if (err.name !== 'AbortError') {
				fill(callbacksBox, errorLine(err));
			}
		}
	}

	async function loadReminders() {
		try {
			const data = await get('/api/v1/reminders', {days: 7}, ctx.signal);
			const list = data.reminders || [];
			if (!list.length) {
				fill(remindersBox, note('Nothing due in the next 7 days.'));
				return;
			}
			fill(remindersBox, h('ul', {class: 'mini-list'}, list.map((r) => h('li', {class: 'mini-row', dataset: {test: 'now-reminder'}},
				h('span', {class: 'when', title: formatCalendarDate(r.date)}, capitalise(formatDaysLeft(r.days_left))),
				' ', r.birthday ? `Birthday${r.age ? ` (${r.age})` : ''}` : (r.text || ''),
				r.birthday && r.text ? ` — ${r.text}` : '',
				r.contact ? h('span', {class: 'muted'}, ' — ', contactLink(r.contact)) : null))));
		} catch (err) {
			if (err.name !== 'AbortError') {
				fill(remindersBox, errorLine(err));
			}
		}
	}

	async function loadCalls() {
		try {
			const data = await get('/api/v1/calls', {since: 'today', limit: 100, ...linesQuery()}, ctx.signal);
			const calls = data.calls || [];
			if (!calls.length) {
				fill(callsBox, note('No calls yet today.'));
				return;
			}
			fill(callsBox, h('ul', {class: 'rows', id: 'now-calls-list'}, calls.map((c) => callRow(c, reload))));
		} catch (err) {
			if (err.name !== 'AbortError') {
				fill(callsBox, errorLine(err));
			}
		}
	}

	let timer = 0;
	function reload() {
		clearTimeout(timer);
		timer = setTimeout(() => {
			loadCallbacks();
			loadCalls();
			ctx.refreshCallbackCount();
		}, 300);
	}

	loadCallbacks();
	loadReminders();
	loadCalls();

	return {
		onEvent(ev) {
			if (ev.event === 'call-started' || ev.event === 'call-ended') {
				reload();
			}
		},
		destroy() {
			clearTimeout(timer);
		},
	};
}

function capitalise(s) {
	return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}
