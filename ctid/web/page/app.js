// ctid's web page: logging in, the hash routes, the navigation, the live
// events and the Now banner. Each view is a module under views/.

import {api, get, may, onUnauthorized, session, setSession} from './api.js';
import {followed, follows, linesQuery, setFollowed} from './following.js';
import {add, clear, h, hideStatus, showError, showStatus} from './dom.js';
import {EventStream} from './events.js';
import {clearBanner, handleCallEvent, initBanner} from './banner.js';
import {renderLogin} from './views/login.js';
import * as nowView from './views/now.js';
import * as callbacksView from './views/callbacks.js';
import * as searchView from './views/search.js';
import * as cardView from './views/card.js';
import * as newContactView from './views/contact_new.js';
import * as requestsView from './views/requests.js';
import * as callsView from './views/calls.js';
import * as reportView from './views/report.js';
import * as usersView from './views/users.js';

const $ = (id) => document.getElementById(id);

let current = null; // {name, instance, controller}
let stream = null;
let started = false;

// '#/contacts/12/note?x=1' → {name, path: ['contacts', '12', 'note'], params}
export function parseHash(hash = location.hash) {
	let s = hash || '';
	if (!s.startsWith('#/')) {
		s = '#/now';
	}
	s = s.slice(2);
	const qi = s.indexOf('?');
	const pathPart = qi >= 0 ? s.slice(0, qi) : s;
	const params = new URLSearchParams(qi >= 0 ? s.slice(qi + 1) : '');
	const path = pathPart.split('/').filter(Boolean).map((p) => {
		try {
			return decodeURIComponent(p);
		} catch (err) {
			return p;
		}
	});
	if (path.length === 0) {
		path.push('now');
	}
	return {path, params, hash: '#/' + s};
}

// The view for a route, and the role it needs.
function resolve(route) {
	const [first, second, third] = route.path;
	switch (first) {
	case 'now':
		return {name: 'now', view: nowView};
	case 'callbacks':
		return {name: 'callbacks', view: callbacksView};
	case 'search':
		return {name: 'search', view: searchView};
	case 'contacts':
		if (second === 'new' && !third) {
			return {name: 'search', view: newContactView};
		}
		if (second && /^[0-9]+$/.test(second) && (!third || third === 'note')) {
			return {name: 'search', view: cardView};
		}
		if (!second) {
			return {name: 'search', view: searchView};
		}
		return null;
	case 'requests':
		return {name: 'requests', view: requestsView};
	case 'calls':
		return {name: 'calls', view: callsView};
	case 'report':
		return {name: 'report', view: reportView, role: 'manager'};
	case 'users':
		return {name: 'users', view: usersView, role: 'admin'};
	default:
		return null;
	}
}

function renderRoute() {
	if (!started) {
		return;
	}
	const route = parseHash();
	const found = resolve(route);
	if (current) {
		current.controller.abort();
		if (current.instance && current.instance.destroy) {
			current.instance.destroy();
		}
	}
	const controller = new AbortController();
	const main = $('main');
	clear(main);
	closeNav();
	markNav(found ? found.name : null);
	current = {name: found ? found.name : null, instance: null, controller};
	if (!found) {
		add(main, h('h1', {}, 'No such page'),
			h('p', {}, 'The address does not name a page of ctid. ', h('a', {href: '#/now'}, 'Go to Now'), '.'));
		main.focus({preventScroll: true});
		return;
	}
	if (found.role && !may(found.role)) {
		add(main, h('h1', {}, 'Not allowed'),
			h('p', {id: 'not-allowed'}, `This page is for the ${found.role} role and above; you are logged in as ${session.user} (${session.role}).`));
		return;
	}
	const ctx = {
		route,
		signal: controller.signal,
		refreshCallbackCount,
		session,
	};
	try {
		current.instance = found.view.render(main, route, ctx) || null;
	} catch (err) {
		console.error(err);
		showStatus(`This page could not be shown: ${err.message || err}`, 'error');
	}
	if (document.activeElement === document.body || !document.activeElement) {
		main.focus({preventScroll: true});
	}
	window.scrollTo(0, 0);
}

function markNav(name) {
	for (const a of document.querySelectorAll('#nav a[data-route]')) {
		if (a.dataset.route === name) {
			a.setAttribute('aria-current', 'page');
		} else {
			a.removeAttribute('aria-current');
		}
	}
}

function closeNav() {
	$('nav').classList.remove('nav-open');
	$('nav-toggle').setAttribute('aria-expanded', 'false');
}

function toggleNav() {
	const open = !$('nav').classList.contains('nav-open');
	$('nav').classList.toggle('nav-open', open);
	$('nav-toggle').setAttribute('aria-expanded', String(open));
}

// The count of callers waiting on the nav's "Call back".
let countTimer = 0;
export function refreshCallbackCount() {
	clearTimeout(countTimer);
	countTimer = setTimeout(async () => {
		if (!started) {
			return;
		}
		try {
			const data = await get('/api/v1/missed', linesQuery());
			const waiting = (data.callers || []).filter((c) => !c.called_back).length;
			const badge = $('callback-count');
			badge.textContent = waiting ? String(waiting) : '';
			badge.hidden = waiting === 0;
			badge.title = `${waiting} waiting to be called back`;
		} catch (err) {
			// the session may have ended meanwhile: logging out says so itself
			if (started && err.status !== 401) {
				showError(err);
			}
		}
	}, 200);
}

function setLiveState(state, detail) {
	const el = $('live-state');
	el.dataset.state = state;
	if (state === 'live') {
		el.textContent = 'Live';
		el.title = 'Calls appear here as they ring';
	} else if (state === 'connecting') {
		el.textContent = 'Connecting…';
		el.title = 'Connecting to live updates';
	} else {
		el.textContent = detail && detail.seconds ? `Offline, retry in ${detail.seconds} s` : 'Offline';
		el.title = detail && detail.reason ? `${detail.reason}. Calls will not appear until it reconnects.` :
			'Calls will not appear until it reconnects.';
	}
}

function onEvent(ev) {
	switch (ev.event) {
	case 'call-started':
	case 'call-updated':
	case 'call-ended':
		if (!follows(ev.call)) {
			return;
		}
		handleCallEvent(ev);
		if (ev.event === 'call-ended') {
			refreshCallbackCount();
		}
		break;
	case 'reminder': {
		const r = ev.reminder || {};
		const who = r.contact && r.contact.name ? ` (${r.contact.name})` : '';
		showStatus(`Reminder: ${r.text || (r.birthday ? 'birthday' : '')}${who}`, 'notice');
		break;
	}
	case 'modem-added':
	case 'modem-removed': {
		const m = ev.modem || {};
		const what = m.line || m.path || 'a modem';
		showStatus(ev.event === 'modem-added' ? `Line ${what} is connected.` : `Line ${what} was unplugged.`, 'info');
		break;
	}
	case 'resync':
		// More happened than the server kept: read everything again. A
		// call still ringing comes back with its next call-updated.
		clearBanner();
		refreshCallbackCount();
		renderRoute();
		return;
	default:
		break;
	}
	if (current && current.instance && current.instance.onEvent) {
		try {
			current.instance.onEvent(ev);
		} catch (err) {
			console.error(err);
		}
	}
}

async function onStreamLost(failures, opened) {
	// A dropped connection may be a session that ended: ask once in a while.
	if (!opened && (failures <= 2 || failures % 4 === 0)) {
		try {
			await api('GET', '/api/v1/session');
		} catch (err) {
			if (err.status === 401) {
				endSession('Your session has ended. Log in again.');
			}
		}
	}
}

function startApp(s) {
	setSession(s);
	started = true;
	$('boot').hidden = true;
	$('login').hidden = true;
	clear($('login'));
	$('app').hidden = false;
	$('session-user').textContent = `${s.user} (${s.role})`;
	for (const li of document.querySelectorAll('#nav [data-role]')) {
		li.hidden = !may(li.dataset.role);
	}
	stream = new EventStream({onEvent, onState: setLiveState, onLost: onStreamLost});
	stream.start();
	refreshCallbackCount();
	renderRoute();
	loadLines();
}

// The lines and departments the server has, to choose which to follow.
async function loadLines() {
	const select = $('lines-select');
	try {
		const status = await get('/api/v1/status');
		const names = new Set();
		for (const l of status.lines || []) {
			if (l.department) {
				names.add(l.department);
			}
			if (l.line) {
				names.add(l.line);
			}
		}
		const chosen = followed();
		if (chosen) {
			names.add(chosen);
		}
		clear(select);
		add(select, h('option', {value: ''}, 'all'),
			[...names].sort().map((n) => h('option', {value: n}, n)));
		select.value = chosen;
	} catch (err) {
		// without the list, the page follows what it followed
	}
}

function onLinesChanged() {
	setFollowed($('lines-select').value);
	clearBanner();
	refreshCallbackCount();
	renderRoute();
}

function showLogin(message) {
	$('boot').hidden = true;
	$('app').hidden = true;
	renderLogin($('login'), (s) => {
		hideStatus();
		startApp(s);
	}, message);
}

function endSession(message) {
	if (!started) {
		return;
	}
	started = false;
	if (stream) {
		stream.stop();
		stream = null;
	}
	if (current) {
		current.controller.abort();
		if (current.instance && current.instance.destroy) {
			current.instance.destroy();
		}
		current = null;
	}
	clearBanner();
	clear($('main'));
	setSession(null);
	showLogin(message);
}

async function logout() {
	try {
		await api('POST', '/api/v1/logout');
	} catch (err) {
		if (err.status !== 401) {
			showError(err);
			return;
		}
	}
	endSession(null);
	showStatus('Logged out.', 'ok');
}

function isTyping(el) {
	if (!el) {
		return false;
	}
	const tag = el.tagName;
	return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

function onKey(ev) {
	if (!started) {
		return;
	}
	if (ev.key === '/' && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !isTyping(ev.target) &&
	    !$('confirm-dialog').open) {
		ev.preventDefault();
		const input = $('search-input');
		if (input) {
			input.focus();
			input.select();
		} else {
			location.hash = '#/search';
		}
	} else if (ev.key === 'Escape' && $('nav').classList.contains('nav-open')) {
		closeNav();
		$('nav-toggle').focus();
	} else if (ev.key === 'Escape' && ev.target.closest) {
		// Escape closes the open form it is typed in.
		const open = ev.target.closest('details.inline-form[open]');
		if (open) {
			open.open = false;
			open.querySelector('summary').focus();
		}
	}
}

function boot() {
	$('lines-select').addEventListener('change', onLinesChanged);
	$('status-dismiss').addEventListener('click', hideStatus);
	$('nav-toggle').addEventListener('click', toggleNav);
	$('logout').addEventListener('click', logout);
	$('nav').addEventListener('click', (ev) => {
		if (ev.target.closest('a')) {
			closeNav();
		}
	});
	document.addEventListener('keydown', onKey);
	window.addEventListener('hashchange', renderRoute);
	initBanner($('now-banner'));
	onUnauthorized((message) => endSession(`${message} Log in again.`));
	api('GET', '/api/v1/session').then(startApp, (err) => {
		if (err.status !== 401) {
			showError(err);
		}
		showLogin(null);
	});
}

boot();
