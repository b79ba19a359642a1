// Live events: a WebSocket to /api/v1/events that reconnects with back-off
// and asks for what it missed (?since=LASTID).

const MIN_DELAY = 1000;
const MAX_DELAY = 30000;

export class EventStream {
	// onEvent(message) for each message; onState('connecting' | 'live' |
	// 'waiting', detail) as the connection comes and goes; onLost(failures)
	// after a connection failed or dropped (the app checks the session).
	constructor({onEvent, onState, onLost}) {
		this.onEvent = onEvent;
		this.onState = onState || (() => {});
		this.onLost = onLost || (() => {});
		this.ws = null;
		this.lastId = null;
		this.delay = MIN_DELAY;
		this.timer = 0;
		this.failures = 0;
		this.running = false;
		this.wake = () => {
			if (this.running && !this.ws) {
				this.connectNow();
			}
		};
	}

	start() {
		if (this.running) {
			return;
		}
		this.running = true;
		window.addEventListener('online', this.wake);
		document.addEventListener('visibilitychange', this.wake);
		this.connect();
	}

	stop() {
		this.running = false;
		clearTimeout(this.timer);
		window.removeEventListener('online', this.wake);
		document.removeEventListener('visibilitychange', this.wake);
		if (this.ws) {
			const ws = this.ws;
			this.ws = null;
			ws.onclose = null;
			ws.close(1000, 'logged out');
		}
	}

	connectNow() {
		clearTimeout(this.timer);
		this.delay = MIN_DELAY;
		this.connect();
	}

	url() {
		const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
		const since = this.lastId !== null ? `?since=${encodeURIComponent(this.lastId)}` : '';
		return `${scheme}//${location.host}/api/v1/events${since}`;
	}

	connect() {
		if (!this.running || this.ws) {
			return;
		}
		this.onState('connecting');
		let ws;
		try {
			ws = new WebSocket(this.url());
		} catch (err) {
			this.scheduleReconnect(String(err && err.message ? err.message : err));
			return;
		}
		this.ws = ws;
		let opened = false;
		ws.onopen = () => {
			opened = true;
			this.failures = 0;
			this.delay = MIN_DELAY;
			this.onState('live');
		};
		ws.onmessage = (msg) => {
			let data;
			try {
				data = JSON.parse(msg.data);
			} catch (err) {
				console.warn('ctid: an event that is not JSON was ignored', msg.data);
				return;
			}
			if (!data || typeof data !== 'object') {
				return;
			}
			if (typeof data.id === 'number') {
				this.lastId = data.id;
			}
			try {
				this.onEvent(data);
			} catch (err) {
				console.error('ctid: handling an event failed', err);
			}
		};
		ws.onerror = () => {
			// onclose follows and does the work.
		};
		ws.onclose = (ev) => {
			if (this.ws !== ws) {
				return;
			}
			this.ws = null;
			if (!this.running) {
				return;
			}
			this.failures += 1;
			this.onLost(this.failures, opened);
			const why = opened ? 'Live updates were cut off' : 'Live updates cannot connect';
			this.scheduleReconnect(`${why}${ev.reason ? ': ' + ev.reason : ''}`);
		};
	}

	scheduleReconnect(reason) {
		if (!this.running) {
			return;
		}
		const jitter = Math.floor(Math.random() * 0.3 * this.delay);
		const wait = this.delay + jitter;
		this.onState('waiting', {reason, seconds: Math.round(wait / 1000)});
		clearTimeout(this.timer);
		this.timer = setTimeout(() => this.connect(), wait);
		this.delay = Math.min(this.delay * 2, MAX_DELAY);
	}
}
