// Building the page: elements from data, always as text (never markup),
// the status area, and the confirmation dialog.

// h('li', {class: 'row', dataset: {test: 'x'}, onclick: fn}, 'text', child)
// Strings and numbers become text nodes; null, undefined and false are
// skipped; arrays are flattened. Attributes whose value is null, undefined
// or false are left out; true sets an empty attribute.
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	if (attrs) {
		for (const [key, value] of Object.entries(attrs)) {
			if (value === null || value === undefined || value === false) {
				continue;
			}
			if (key === 'class') {
				el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
			} else if (key === 'dataset') {
				for (const [k, v] of Object.entries(value)) {
					if (v !== null && v !== undefined) {
						el.dataset[k] = String(v);
					}
				}
			} else if (key === 'text') {
				el.textContent = String(value);
			} else if (key.startsWith('on') && typeof value === 'function') {
				el.addEventListener(key.slice(2), value);
			} else if (key === 'value' && 'value' in el) {
				el.value = String(value);
			} else if (key === 'checked' || key === 'disabled' || key === 'hidden' ||
				   key === 'required' || key === 'selected') {
				el[key] = Boolean(value);
			} else {
				el.setAttribute(key, value === true ? '' : String(value));
			}
		}
	}
	append(el, children);
	return el;
}

// Appends children as h() does: text for strings, nothing for null.
export function add(el, ...children) {
	append(el, children);
	return el;
}

function append(el, children) {
	for (const child of children) {
		if (child === null || child === undefined || child === false) {
			continue;
		}
		if (Array.isArray(child)) {
			append(el, child);
		} else if (child instanceof Node) {
			el.appendChild(child);
		} else {
			el.appendChild(document.createTextNode(String(child)));
		}
	}
}

export function clear(el) {
	while (el.firstChild) {
		el.removeChild(el.firstChild);
	}
	return el;
}

// Replaces el's children.
export function fill(el, ...children) {
	clear(el);
	append(el, children);
	return el;
}

let uid = 0;
export function uniqueId(prefix) {
	uid += 1;
	return `${prefix}-${uid}`;
}

// A labelled form control: <div class="field"><label for>..</label><input></div>.
// control is an element made with h(); it gets an id when it has none.
export function field(label, control, hint) {
	if (!control.id) {
		control.id = uniqueId('f');
	}
	let hintEl = null;
	if (hint) {
		hintEl = h('small', {class: 'hint', id: control.id + '-hint'}, hint);
		control.setAttribute('aria-describedby', hintEl.id);
	}
	const wrap = control.type === 'checkbox' ? 'field check' : 'field';
	if (control.type === 'checkbox') {
		return h('div', {class: wrap}, control, h('label', {for: control.id}, label), hintEl);
	}
	return h('div', {class: wrap}, h('label', {for: control.id}, label), control, hintEl);
}

// A <button type=button>.
export function button(text, onclick, attrs = {}) {
	return h('button', {type: 'button', ...attrs, onclick}, text);
}

// A button that is disabled while the promise its handler returns runs, so a
// double click does not send a change twice.
export function actionButton(text, action, attrs = {}) {
	const b = button(text, async (ev) => {
		if (b.disabled) {
			return;
		}
		b.disabled = true;
		try {
			await action(ev);
		} finally {
			if (b.isConnected) {
				b.disabled = false;
			}
		}
	}, attrs);
	return b;
}

// A form whose submit handler gets (form, event) and whose submit buttons are
// disabled while it runs.
export function form(attrs, children, onsubmit) {
	const f = h('form', attrs, children);
	f.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const buttons = f.querySelectorAll('button[type=submit]');
		if ([...buttons].some((b) => b.disabled)) {
			return;
		}
		buttons.forEach((b) => { b.disabled = true; });
		try {
			await onsubmit(f, ev);
		} finally {
			buttons.forEach((b) => { b.disabled = false; });
		}
	});
	return f;
}

// The status area: one message at a time. kind is 'info' or 'ok' (they go
// after a few seconds), 'error' or 'notice' (they stay until dismissed or
// replaced).
let statusTimer = 0;

export function showStatus(text, kind = 'info') {
	const area = document.getElementById('status');
	const textEl = document.getElementById('status-text');
	if (!area || !textEl) {
		return;
	}
	clearTimeout(statusTimer);
	textEl.textContent = text;
	area.dataset.kind = kind;
	area.classList.remove('status-error', 'status-info', 'status-ok', 'status-notice');
	area.classList.add('status-' + kind);
	area.hidden = false;
	if (kind === 'info' || kind === 'ok') {
		statusTimer = setTimeout(hideStatus, 8000);
	}
}

export function showError(err) {
	if (err && err.name === 'AbortError') {
		return;
	}
	const text = err && err.message ? err.message : String(err);
	showStatus(text, 'error');
}

export function hideStatus() {
	clearTimeout(statusTimer);
	const area = document.getElementById('status');
	if (area) {
		area.hidden = true;
		document.getElementById('status-text').textContent = '';
	}
}

// Asks a yes/no question in the page's <dialog>; resolves true or false.
// Escape (the dialog's cancel) answers no.
export function confirmDialog(question, okText = 'OK') {
	const dlg = document.getElementById('confirm-dialog');
	const ok = document.getElementById('confirm-ok');
	const cancel = document.getElementById('confirm-cancel');
	document.getElementById('confirm-text').textContent = question;
	ok.textContent = okText;
	return new Promise((resolve) => {
		const done = (answer) => {
			ok.removeEventListener('click', onOk);
			cancel.removeEventListener('click', onCancel);
			dlg.removeEventListener('cancel', onCancel);
			if (dlg.open) {
				dlg.close();
			}
			resolve(answer);
		};
		const onOk = () => done(true);
		const onCancel = (ev) => {
			if (ev) {
				ev.preventDefault();
			}
			done(false);
		};
		ok.addEventListener('click', onOk);
		cancel.addEventListener('click', onCancel);
		dlg.addEventListener('cancel', onCancel);
		dlg.showModal();
		cancel.focus();
	});
}

// An empty-state or loading line.
export function note(text, attrs = {}) {
	return h('p', {class: 'muted', ...attrs}, text);
}
