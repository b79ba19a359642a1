#!/usr/bin/python3
"""The web API end to end, with real parts only.

ctid on a private dbus-daemon with python3-dbusmock's notification server,
the modem simulator on a pseudo-terminal, a real SQLite file; HTTP through
python3-requests, live events through python3-websocket. Checks that the
route table and the OpenAPI document are the same list, that every route
refuses without a login, that roles, CSRF tokens, throttling and limits
hold, that the API gives what ctidctl gives, that call events reach
WebSocket clients with the D-Bus keys and the popup's card (and what a
client missed when it reconnects), that a non-loopback address is served
over TLS only, and that one-time login links work once.

Usage: test_web.py CTID CTIDCTL MODEMSIM WEB_ROUTES
"""

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import ssl
import socket
import stat
import subprocess
import sys
import time
import urllib.parse

import ctidtest

CTID, CTIDCTL, MODEMSIM, WEB_ROUTES = (os.path.abspath(p) for p in sys.argv[1:5])
tap = ctidtest.Tap()

missing = ctidtest.require('dbus-daemon', ctidtest.PYTHON)
if missing:
    tap.skip_all('%s is not installed' % missing)

import requests  # noqa: E402  (python3-requests)
import websocket  # noqa: E402  (python3-websocket)

PASSWORDS = {'anna': 'anna-secret-1', 'mark': 'mark-secret-1', 'boss': 'boss-secret-1'}


def web_url(daemon, scheme='http', timeout=10):
    """The URL the daemon's log says it serves the page at."""
    found = ctidtest.wait_for(
        lambda: re.findall(r'Web page at (%s://\S+)' % scheme, daemon.log()), timeout)
    return found[0] if found else None


def polled_fds(pid):
    """How many descriptors pid's main thread is waiting on in poll(), from
    /proc/PID/syscall (x86_64's poll and ppoll, aarch64's ppoll: the count
    is the second argument); None while it is not in one, or elsewhere."""
    calls = {'x86_64': ('7', '271'), 'aarch64': ('73',)}.get(os.uname().machine, ())
    try:
        with open('/proc/%d/syscall' % pid) as f:
            fields = f.read().split()
    except OSError:
        return None
    if len(fields) < 3 or fields[0] not in calls:
        return None
    return int(fields[2], 16)


def web_status_clients(api, token):
    return requests.get(api + 'status', timeout=10, headers={
        'Authorization': 'Bearer ' + token}).json()['web']['clients']


def substitute(path):
    return path.replace('{id}', '1').replace('{name}', 'anna')


with ctidtest.Harness(timeout=240) as h:
    tmp = h.mkdtemp('web')
    db = os.path.join(tmp, 'ctid.db')
    devdir = os.path.join(tmp, 'dev')
    os.mkdir(devdir)
    state = os.path.join(tmp, 'state')
    opened = os.path.join(tmp, 'opened')
    browser = os.path.join(tmp, 'browser')
    with open(browser, 'w') as f:
        # $BROWSER: records the URL it is asked to open
        f.write('#!/bin/sh\necho "$1" >> %s\n' % opened)
    os.chmod(browser, 0o755)
    bus = h.session_bus()
    stages = os.path.join(tmp, 'stages.txt')
    env = bus.env(XDG_CONFIG_HOME=os.path.join(tmp, 'config'), XDG_STATE_HOME=state,
                  XDG_DATA_HOME=os.path.join(tmp, 'data'), TZ='UTC', LC_ALL='C.UTF-8',
                  BROWSER=browser, CTID_STAGES=stages,
                  # a sanitizer build keeps what it frees in quarantine (256 MB):
                  # the memory a refused body costs (below) must be what it
                  # holds, not what it freed
                  ASAN_OPTIONS=':'.join(filter(None, [os.environ.get('ASAN_OPTIONS'),
                                                      'quarantine_size_mb=4'])))

    def ctl(*args, stdin=None):
        p = subprocess.run([CTIDCTL, '--database', db, '--region', 'GB', *args], env=env,
                           input=stdin, capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def ctl_json(*args):
        code, out, err = ctl(*args, '--json')
        return json.loads(out) if code == 0 else err

    ivan = int(ctl('contact', 'add', '--name', 'Ivan Pozdniakov', '--company',
                   'Pozdniakov & Sons', '--phone', '020 7946 0018')[1])
    ctl('note', 'add', str(ivan), 'asked for black shoe cream')
    ctl('request', 'add', str(ivan), 'Generation P')
    olga = int(ctl('contact', 'add', '--name', 'Olga Ivanova', '--phone', '0113 496 0000')[1])

    # Users: the CLI's checks first.
    code, _, err = ctl('user', 'add', 'anna', '--role', 'seller')
    tap.ok(code == 1 and 'password-stdin' in err,
           'user add off a terminal wants --password-stdin', err)
    code, _, err = ctl('user', 'add', 'anna', '--role', 'seller', '--password-stdin',
                       stdin='short\n')
    tap.ok(code == 1 and '8 characters' in err, 'a short password is refused', err)
    code, _, err = ctl('user', 'add', '-x', '--role', 'seller')
    tap.ok(code != 0, 'a name starting with a dash is refused', err)
    for name, role in (('boss', 'admin'), ('anna', 'seller'), ('mark', 'manager')):
        code, _, err = ctl('user', 'add', name, '--role', role, '--password-stdin',
                           stdin=PASSWORDS[name] + '\n')
        tap.is_(code, 0, 'user add %s --role %s' % (name, role))
    users = ctl_json('user', 'list')
    tap.is_(sorted((u['name'], u['role']) for u in users),
            [('anna', 'seller'), ('boss', 'admin'), ('mark', 'manager')],
            'user list --json names them with their roles')
    code, _, err = ctl('user', 'role', 'boss', 'seller')
    tap.ok(code == 1 and 'last admin' in err, 'the last admin stays one', err)
    with contextlib.closing(sqlite3.connect(db)) as sql, sql:
        stored = dict(sql.execute('SELECT name, password FROM users'))
    tap.ok(all(v.startswith('$y$') and PASSWORDS[k] not in v for k, v in stored.items()),
           'passwords are stored as yescrypt hashes', stored)
    tokens = {n: ctl('user', 'token', n)[1].strip() for n in PASSWORDS}
    with contextlib.closing(sqlite3.connect(db)) as sql, sql:
        kept = [r[0] for r in sql.execute("SELECT hash FROM tokens WHERE kind = 'api'")]
    tap.ok(len(kept) == 3 and not set(tokens.values()) & set(kept)
           and hashlib.sha256(tokens['anna'].encode()).hexdigest() in kept,
           'API tokens are stored as their SHA-256 only', kept)

    server = h.notification_server(bus, caps=['actions', 'body'])
    sim = h.spawn_lines([MODEMSIM, '--dialect', 'conexant', '--interval', '200',
                         '--link', os.path.join(devdir, 'ttyACM0')], log_name='modemsim.log')
    sim.expect('ready')
    monitor = h.monitor(CTIDCTL, env)
    daemon = h.spawn([CTID, '--listen', '127.0.0.1:0', '--device-dir', devdir, '--database', db,
                      '--region', 'GB', '--ring-timeout', '1', '-v', '-v'], env=env,
                     log_name='ctid.log')
    url = web_url(daemon)
    if not tap.ok(url, 'the daemon serves the page', daemon.log()):
        tap.bail('no web page')
    api = url + 'api/v1/'

    def get(path, who=None, **kw):
        headers = kw.pop('headers', {})
        if who:
            headers['Authorization'] = 'Bearer ' + tokens[who]
        return requests.get(api + path, headers=headers, timeout=10, **kw)

    def send(method, path, who=None, **kw):
        headers = kw.pop('headers', {})
        if who:
            headers['Authorization'] = 'Bearer ' + tokens[who]
        return requests.request(method, api + path, headers=headers, timeout=10, **kw)

    # The route table and the document are one list.
    routes = [json.loads(line) for line in
              subprocess.run([WEB_ROUTES], capture_output=True, text=True).stdout.splitlines()]
    r = requests.get(api + 'openapi.json', timeout=10)
    doc = r.json() if r.status_code == 200 else {}
    tap.is_(r.status_code, 200, 'the OpenAPI document is served without a login')
    tap.ok(str(doc.get('openapi', '')).startswith('3.'), 'it is OpenAPI 3')
    documented = sorted((m.upper(), '/api/v1' + p if not p.startswith('/api') else p,
                         op.get('x-ctid-role'))
                        for p, ops in doc.get('paths', {}).items()
                        for m, op in ops.items() if m in ('get', 'post', 'patch', 'delete', 'put'))
    served = sorted((rt['method'], rt['path'], rt['role']) for rt in routes)
    tap.is_(documented, served, 'every route is documented with its role, and nothing else')
    tap.ok(len(served) >= 30, '%d routes' % len(served))

    # Without a login, every route but login and the document is refused.
    refused = []
    for method, path, role in served:
        if role == 'none':
            continue
        r = send(method, substitute(path)[len('/api/v1/'):], json={})
        if r.status_code != 401 or 'error' not in r.json():
            refused.append((method, path, r.status_code))
    tap.is_(refused, [], 'every route answers 401 with an error without a session or token')
    r = get('contacts/1', headers={'Authorization': 'Bearer ' + '0' * 64})
    tap.is_(r.status_code, 401, 'a made-up token is refused')
    r = get('contacts/1', headers={'Authorization': 'Basic cm9vdDpyb290'})
    tap.is_(r.status_code, 401, 'so is another kind of Authorization')
    tap.ok(ctidtest.wait_for(lambda: 'refused GET /api/v1/contacts/1' in daemon.log(), 5),
           'refusals are logged')

    # Roles.
    denied = []
    for method, path, role in served:
        if role in ('manager', 'admin'):
            r = send(method, substitute(path)[len('/api/v1/'):], 'anna', json={})
            if r.status_code != 403:
                denied.append((method, path, r.status_code))
    tap.is_(denied, [], 'a seller is refused every manager and admin route (403)')
    r = get('users', 'mark')
    tap.is_(r.status_code, 403, 'a manager is refused the users (admin)')
    r = get('report', 'mark')
    tap.ok(r.status_code == 200 and r.headers['Content-Type'].startswith('text/html')
           and 'Pozdniakov' not in r.headers.get('Content-Security-Policy', '')
           and "script-src" not in r.headers.get('Content-Security-Policy', 'script-src'),
           'a manager gets the HTML report, under a policy that runs no script',
           r.headers.get('Content-Security-Policy'))
    r = get('report?format=json', 'mark')
    tap.is_(r.json() if r.ok else r.text, ctl_json('report'),
            'the report as JSON is ctidctl report --json')
    r = get('users/mark/activity', 'anna')
    tap.is_(r.status_code, 403, 'a seller may not see another user\'s activity')
    tap.is_(get('users/anna/activity', 'anna').status_code, 200, 'but may see their own')
    r = get('export?format=csv', 'mark')
    tap.ok(r.status_code == 200 and 'Ivan,,Pozdniakov' in r.text, 'a manager exports CSV')

    # Reading: what ctidctl gives.
    r = get('lookup?number=02079460018', 'anna')
    tap.is_(r.json(), ctl_json('lookup', '02079460018'), 'lookup is ctidctl lookup --json')
    r = get('contacts/%d' % ivan, 'anna')
    tap.is_(r.json(), ctl_json('contact', 'show', str(ivan)),
            'the card is ctidctl contact show --json')
    tap.is_(r.json()['history'], {'calls': 0, 'missed_unhandled': 0, 'last_call': None,
                                  'last_state': None}, 'with the call history')
    r = get('contacts?q=poz', 'anna')
    tap.is_([c['name'] for c in r.json()['contacts']], ['Ivan Pozdniakov'],
            'search as you type: a name\'s start')
    tap.is_(set(r.json()['contacts'][0]), {'id', 'name', 'company', 'phones'},
            'each with id, name, company and phones')
    tap.is_([c['name'] for c in get('contacts?q=cream', 'anna').json()['contacts']],
            ['Ivan Pozdniakov'], 'a word of a note')
    tap.is_([c['name'] for c in get('contacts?q=4960', 'anna').json()['contacts']],
            ['Olga Ivanova'], 'digits of a number')
    tap.is_([c['name'] for c in get('contacts?q=ivan', 'anna').json()['contacts']],
            ['Ivan Pozdniakov', 'Olga Ivanova'], 'names that start with it first, then words')
    tap.is_(get('contacts?limit=0', 'anna').status_code, 400, 'a limit out of range is 400')
    tap.is_([get('contacts?limit=' + v, 'anna').status_code for v in ('%205', '%2B5', '5x', '-5')],
            [400] * 4, 'a limit with a blank, a sign or a letter is 400, as ?since= is')
    tap.is_(get('contacts?limit=2', 'anna').status_code, 200, 'a limit of digits is fine')
    tap.is_(get('requests?open=true', 'anna').json()['requests'],
            ctl_json('request', 'list', '--open'), 'requests are ctidctl request list --json')

    # Session, CSRF.
    s = requests.Session()
    r = s.post(api + 'login', json={'user': 'anna', 'password': 'wrong one'}, timeout=10)
    tap.is_(r.status_code, 401, 'a wrong password is 401')
    # a form on another site, logging the browser in as the site's own user
    r = requests.post(api + 'login', data={'user': 'anna', 'password': PASSWORDS['anna']},
                      headers={'Origin': 'http://evil.example'}, timeout=10)
    tap.ok(r.status_code == 403 and 'Set-Cookie' not in r.headers,
           'a login posted from another site is 403, no cookie', r.text)
    r = s.post(api + 'login', json={'user': 'anna', 'password': PASSWORDS['anna']}, timeout=10)
    tap.is_(r.status_code, 200, 'anna logs in')
    cookie = r.headers.get('Set-Cookie', '')
    tap.ok('HttpOnly' in cookie and 'SameSite=Strict' in cookie and 'Secure' not in cookie,
           'the session cookie is HttpOnly, SameSite=Strict (no Secure over plain HTTP)', cookie)
    csrf = r.json().get('csrf')
    tap.ok(csrf and len(csrf) == 64, 'the login returns a CSRF token')
    tap.is_(s.get(api + 'session', timeout=10).json(),
            {'user': 'anna', 'role': 'seller', 'csrf': csrf}, 'the session says who and the token')
    r = s.post(api + 'contacts/%d/notes' % ivan, json={'text': 'no token'}, timeout=10)
    tap.is_(r.status_code, 403, 'a change without the CSRF token is refused')
    r = s.post(api + 'contacts/%d/notes' % ivan, json={'text': 'wrong token'},
               headers={'X-CSRF-Token': '0' * 64}, timeout=10)
    tap.is_(r.status_code, 403, 'with a wrong token too')
    r = s.post(api + 'contacts/%d/notes' % ivan, json={'text': 'other site'},
               headers={'X-CSRF-Token': csrf, 'Origin': 'http://evil.example'}, timeout=10)
    tap.is_(r.status_code, 403, 'with the token but from another origin too')
    r = s.post(api + 'contacts/%d/notes' % ivan, json={'text': 'Offered the new cream'},
               headers={'X-CSRF-Token': csrf}, timeout=10)
    tap.is_(r.status_code, 201, 'with the token the note is added (201)')
    note = r.json()
    tap.is_((note.get('author'), note.get('kind'), note.get('contact')),
            ('anna', 'note', {'id': ivan, 'name': 'Ivan Pozdniakov'}),
            'the note says who wrote it')
    timeline = ctl_json('contact', 'show', str(ivan))['timeline']
    tap.ok(any(e.get('text') == 'Offered the new cream' and e.get('author') == 'anna'
               for e in timeline), 'ctidctl contact show has it, by anna')
    r = s.post(api + 'logout', headers={'X-CSRF-Token': csrf}, timeout=10)
    tap.is_(r.status_code, 204, 'logout')
    # libsoup 3.2 closes the connection after a 204: the reply must say so,
    # else the next request on it may be reset
    tap.is_(r.headers.get('Connection'), 'close', 'a 204 says the connection closes')
    tap.is_(s.get(api + 'session', timeout=10).status_code, 401, 'and the session is gone')

    # Bad input: refused with a reason, nothing cut.
    r = send('POST', 'contacts/%d/notes' % ivan, 'anna', data=b'{"text": ',
             headers={'Content-Type': 'application/json'})
    tap.ok(r.status_code == 400 and 'JSON' in r.json()['error'], 'bad JSON is 400', r.text)
    r = send('POST', 'contacts/%d/notes' % ivan, 'anna', json=['text'])
    tap.is_(r.status_code, 400, 'JSON that is not an object is 400')
    r = send('POST', 'contacts/%d/notes' % ivan, 'anna', json={'text': 42})
    tap.is_(r.status_code, 422, 'a number for a text is 422')
    r = send('POST', 'contacts/%d/notes' % ivan, 'anna', json={'text': 'x' * 65537})
    tap.ok(r.status_code == 413 and '65536' in r.json()['error'],
           'a note over 65,536 bytes is 413, saying the limit', r.text)
    r = send('POST', 'contacts/%d/notes' % ivan, 'anna', data=b'{"text": "' + b'y' * 1100000
             + b'"}', headers={'Content-Type': 'application/json'})
    tap.is_(r.status_code, 413, 'a body over 1 MiB is 413')

    # A huge body is refused before it is read, and what libsoup still reads
    # of it is not kept: one 300 MiB login took the daemon to 320 MB.
    def rss_kb():
        with open('/proc/%d/status' % daemon.pid) as f:
            return next(int(line.split()[1]) for line in f if line.startswith('VmRSS:'))

    def flood(path, chunked=False, total=48 << 20):
        """POSTs a body of total bytes to path (chunked, or with its
        Content-Length); returns the status line the daemon answered and
        its VmRSS growth (kB) meanwhile. (libsoup reads a body it refused
        before it answers, unless the client asked to be told first.)"""
        host = urllib.parse.urlsplit(url)
        before = rss_kb()
        with socket.create_connection((host.hostname, host.port), timeout=30) as sock:
            sock.sendall(('POST %s HTTP/1.1\r\nHost: x\r\n%s\r\n' % (
                path, 'Transfer-Encoding: chunked\r\n' if chunked else
                'Content-Length: %d\r\n' % total)).encode())
            piece = b'{' * (1 << 20)
            if chunked:
                piece = b'%x\r\n%s\r\n' % (len(piece), piece)
            try:
                for _ in range(total >> 20):
                    sock.sendall(piece)
                if chunked:
                    sock.sendall(b'0\r\n\r\n')
            except OSError:
                pass  # closed by the daemon: better still
            try:
                status = sock.recv(200).split(b'\r\n')[0].decode()
            except OSError as e:
                status = str(e)
        return status, rss_kb() - before

    for path in ('/api/v1/login', '/api/v1/events'):
        status, grew = flood(path)
        tap.ok(' 413 ' in status and grew < 16384,
               'a body of 48 MiB to %s: 413, %d kB more memory' % (path, grew), status)
    status, grew = flood('/api/v1/login', chunked=True)
    tap.ok(' 411 ' in status and grew < 16384,
           'a chunked body of 48 MiB: 411, %d kB more memory' % grew, status)
    # A NUL would end a text early, unseen: refused wherever it can come
    r = send('POST', 'contacts/%d/notes' % ivan, 'anna',
             data=b'{"text": "json\\u0000this part was lost"}',
             headers={'Content-Type': 'application/json'})
    tap.ok(r.status_code == 422 and 'u0000' in r.json()['error'],
           'a \\u0000 in a JSON string is 422', r.text)
    r = requests.post(api + 'login', data=b'name=anna%00x&password=y', timeout=10,
                      headers={'Content-Type': 'application/x-www-form-urlencoded'})
    tap.ok(r.status_code == 422 and '%00' in r.json()['error'], 'a %00 in a form is 422', r.text)
    r = get('lookup?number=0207946%000018', 'anna')
    tap.ok(r.status_code == 400 and '%00' in r.json()['error'],
           'a %00 in a query is 400', r.text)
    r = get('lookup?number=%ff', 'anna')
    tap.ok(r.status_code == 400 and 'UTF-8' in r.json()['error'], 'a query not UTF-8 is 400',
           r.text)
    # JSON nested beyond reason is refused, not parsed until the stack ends
    deep = b'[' * 100000 + b']' * 100000
    r = requests.post(api + 'login', data=deep, headers={'Content-Type': 'application/json'},
                      timeout=10)
    tap.ok(r.status_code == 400 and 'deep' in r.json()['error'] and daemon.alive(),
           'JSON nested 100,000 deep is 400, and the daemon lives on', r.text[:200])
    # json-glib also reads single-quoted strings and comments, where a '"'
    # hid the brackets after it from the count
    for prefix in (b"['\"',", b'[/* " */'):
        r = requests.post(api + 'login', data=prefix + deep + b']', timeout=10,
                          headers={'Content-Type': 'application/json'})
        tap.ok(r.status_code == 400 and daemon.alive(),
               'nesting behind %r is 400, and the daemon lives on' % prefix, r.text[:200])
    r = send('POST', 'contacts/%d/notes' % ivan, 'anna',
             data=b'/* " */ {"text": "a\\u0000b"}', headers={'Content-Type': 'application/json'})
    tap.is_(r.status_code, 400, 'a \\u0000 behind a comment is refused too')
    r = send('POST', 'contacts', 'anna', json={'name': 'Bell\x07 Ringer'})
    tap.is_(r.status_code, 422, 'a control character in a name is 422')
    r = send('POST', 'contacts', 'anna', json={'name': 'Sam', 'birthday': '1970-02-30'})
    tap.is_(r.status_code, 422, 'a birthday that does not exist is 422')
    r = send('POST', 'contacts/%d/notes' % ivan, 'anna', json={'text': 'x', 'kind': 'memo'})
    tap.is_(r.status_code, 422, 'an unknown kind is 422')
    tap.is_(get('contacts/999999', 'anna').status_code, 404, 'an unknown contact is 404')
    tap.is_(get('contacts/abc', 'anna').status_code, 404, 'an id that is not one is 404')
    tap.is_(get('nothing', 'anna').status_code, 404, 'an unknown route is 404')
    tap.is_(send('PUT', 'contacts/1', 'anna').status_code, 405, 'an unknown method is 405')
    notes = [e for e in ctl_json('contact', 'show', str(ivan))['timeline']
             if e['type'] == 'note']
    tap.is_(len(notes), 2, 'none of the refused notes was saved')

    # Writing: contacts, requests, reminders.
    r = send('POST', 'contacts', 'anna', json={
        'name': 'Sam Spade', 'company': 'Spade & Archer', 'birthday': '--05-06',
        'phones': [{'number': '+1 415 555 0100', 'label': 'work'}],
        'tags': ['detective'], 'fields': {'hat': 'fedora'}})
    sam = r.json() if r.status_code == 201 else {}
    tap.is_(r.status_code, 201, 'a contact is added (201)')
    tap.is_((sam.get('company'), sam.get('tags'), sam.get('fields'), sam.get('birthday')),
            ('Spade & Archer', ['detective'], {'hat': 'fedora'}, '--05-06'),
            'with company, tags, fields and birthday')
    sid = sam.get('id', 0)
    phone_id = sam['phones'][0]['id'] if sam.get('phones') else 0
    r = send('PATCH', 'contacts/%d' % sid, 'anna', json={
        'company': '', 'phones_add': [{'number': '+1 415 555 0199'}],
        'phones_remove': [phone_id], 'tags_remove': ['detective'], 'fields': {'hat': None}})
    card = r.json() if r.ok else {}
    tap.is_((card.get('company'), [p['e164'] for p in card.get('phones', [])],
             card.get('tags'), card.get('fields')),
            (None, ['+14155550199'], [], {}), 'PATCH clears, adds, removes')
    r = send('POST', 'contacts/%d/notes' % ivan, 'anna', json={'text': 'Brown laces',
                                                               'kind': 'request'})
    req = r.json()
    tap.ok(r.status_code == 201 and req['open'], 'a request is added, open')
    r = send('POST', 'notes/%d/close' % req['id'], 'mark')
    tap.ok(r.status_code == 200 and not r.json()['open'] and r.json()['closed_by'] == 'mark',
           'closed by mark', r.text)
    tap.is_(send('POST', 'notes/%d/close' % req['id'], 'mark').status_code, 409,
            'closing it again is 409')
    r = get('requests/arrived?q=generation', 'anna')
    tap.is_(r.json().get('callers'), ctl_json('request', 'arrived', 'generation'),
            'who asked for it is ctidctl request arrived --json')
    r = send('POST', 'contacts/%d/reminders' % ivan, 'anna',
             json={'text': "friend's birthday", 'date': '12-24', 'yearly': True, 'notice': 30})
    rem = r.json()
    tap.ok(r.status_code == 201 and rem.get('yearly') and rem.get('date', '').endswith('-12-24'),
           'a yearly reminder is added', r.text)
    r = send('POST', 'contacts/%d/reminders' % ivan, 'anna', json={'text': 'x',
                                                                   'date': '2001-01-01'})
    tap.is_(r.status_code, 422, 'a reminder in the past is 422')
    tap.is_(send('DELETE', 'reminders/%d' % rem['id'], 'anna').status_code, 204,
            'the reminder is deleted')
    r = send('POST', 'contacts/%d/merge' % ivan, 'anna', json={'from': sid})
    tap.ok(r.status_code == 200 and r.json()['moved']['phones'] == 1,
           'Sam merges into Ivan, moving his number', r.text)
    tap.is_(get('contacts/%d' % sid, 'anna').status_code, 404, 'and Sam is gone')
    gone = send('POST', 'contacts', 'anna', json={'name': 'Passing Trade'}).json()
    tap.is_(send('DELETE', 'contacts/%d' % gone['id'], 'anna').status_code, 204,
            'a contact is deleted (204)')
    tap.is_(get('contacts/%d' % gone['id'], 'anna').status_code, 404, 'and then 404')

    # Users through the API (admin).
    r = send('POST', 'users', 'boss', json={'name': 'vera', 'role': 'seller',
                                            'password': 'vera-secret-1'})
    tap.is_((r.status_code, r.json().get('role')), (201, 'seller'), 'an admin adds a user')
    tap.is_(send('POST', 'users', 'boss', json={'name': 'vera', 'role': 'seller',
                                                 'password': 'vera-secret-1'}).status_code,
            409, 'twice is 409')
    tap.is_(send('POST', 'users', 'boss', json={'name': 'bad name', 'role': 'seller',
                                                 'password': 'vera-secret-1'}).status_code,
            422, 'a bad name is 422')
    tap.is_(send('POST', 'users', 'boss', json={'name': 'lev', 'role': 'seller',
                                                 'password': 'short'}).status_code,
            422, 'a short password is 422')
    r = send('PATCH', 'users/mark', 'boss', json={'extension': '23'})
    tap.ok(r.status_code == 200 and r.json().get('extension') == '23',
           'an admin gives mark the PBX extension his calls back ring', r.text)
    r = send('PATCH', 'users/mark', 'boss', json={'extension': '23\r\nAction: Logoff'})
    tap.is_(r.status_code, 422, 'an extension that is not one is 422')
    r = send('PATCH', 'users/mark', 'boss', json={'extension': None})
    tap.ok(r.status_code == 200 and r.json().get('extension') is None, 'null clears it', r.text)
    tap.is_(send('PATCH', 'users/boss', 'boss', json={'role': 'seller'}).status_code, 409,
            'the last admin may not stop being one')
    # one's own new password ends one's other browsers' sessions, not this one's
    def browser(user):
        b = requests.Session()
        r = b.post(api + 'login', json={'user': user, 'password': PASSWORDS[user]}, timeout=10)
        b.headers['X-CSRF-Token'] = r.json().get('csrf', '')
        return b

    here, there = browser('boss'), browser('boss')
    r = here.patch(api + 'users/boss', json={'password': 'boss-secret-2'}, timeout=10)
    tap.ok(r.status_code == 200 and here.get(api + 'session', timeout=10).status_code == 200
           and there.get(api + 'session', timeout=10).status_code == 401,
           'a new password of one\'s own logs one\'s other browser out, not this one', r.text)
    here.patch(api + 'users/boss', json={'password': PASSWORDS['boss']}, timeout=10)
    ctl('user', 'token', 'vera')
    vtok = ctl('user', 'token', 'vera')[1].strip()
    ok_before = requests.get(api + 'session', headers={'Authorization': 'Bearer ' + vtok},
                             timeout=10).status_code
    tap.is_(send('DELETE', 'users/vera', 'boss').status_code, 204, 'a user is deleted')
    ok_after = requests.get(api + 'session', headers={'Authorization': 'Bearer ' + vtok},
                            timeout=10).status_code
    tap.is_((ok_before, ok_after), (200, 401), 'and their token stops working')
    st = get('settings', 'boss').json()['settings']
    tap.is_(st.get('listen'), ['127.0.0.1:0'], 'settings: listen as a list')
    status = get('status', 'boss').json()
    tap.ok(status['web']['urls'] == [url] and status['web']['fingerprint'] is None
           and status['modems'] and status['database']['writable'],
           'status: the web page, its modems and database', status)
    ctl_status = subprocess.run([CTIDCTL, 'status', '--json'], env=env, capture_output=True,
                                text=True, timeout=20)
    tap.is_(json.loads(ctl_status.stdout).get('web') if ctl_status.returncode == 0 else None,
            {'urls': [url], 'fingerprint': None}, 'ctidctl status --json says where the page is')
    r = get('backup', 'boss')
    tap.ok(r.status_code == 200 and r.content.startswith(b'SQLite format 3'),
           'an admin downloads a backup')
    backup = r.content
    added = send('POST', 'contacts', 'anna', json={'name': 'After The Backup'}).json()
    r = send('POST', 'restore', 'boss', data=b'not a database at all' * 100,
             headers={'Content-Type': 'application/vnd.sqlite3'})
    tap.ok(r.status_code == 422 and 'Not restored' in r.json().get('error', ''),
           'a file that is no database is refused, saying why', r.text)
    tap.is_(get('contacts/%d' % added['id'], 'anna').status_code, 200,
            'and the database in use stays as it was')
    r = send('POST', 'restore', 'anna', data=backup,
             headers={'Content-Type': 'application/vnd.sqlite3'})
    tap.is_(r.status_code, 403, 'a seller may not restore (refused before the body is read)')
    r = send('POST', 'restore', 'boss', data=backup,
             headers={'Content-Type': 'application/vnd.sqlite3'})
    done = r.json() if r.ok else {}
    tap.ok(r.status_code == 200 and done.get('restored') and done.get('contacts', 0) >= 2
           and os.path.exists(done.get('previous', '')),
           'an admin restores the backup; the old database is kept', r.text)
    tap.is_(get('contacts/%d' % added['id'], 'anna').status_code, 404,
            'what came after the backup is gone')
    tap.is_(get('contacts/%d' % ivan, 'anna').json().get('name'), 'Ivan Pozdniakov',
            'what it held is there, through the same daemon')
    tap.is_([f for f in os.listdir(tmp) if '.upload-' in f], [],
            'the uploads leave no file behind')

    # Live events.
    def ws(path='events', headers=None, who='anna'):
        hdrs = dict(headers or {})
        if who:
            hdrs['Authorization'] = 'Bearer ' + tokens[who]
        return websocket.create_connection(api.replace('http', 'ws') + path, timeout=10,
                                           header=['%s: %s' % kv for kv in hdrs.items()])

    def refused_handshake(**kw):
        try:
            ws(**kw).close()
            return None
        except websocket.WebSocketBadStatusException as e:
            return e.status_code

    tap.is_(refused_handshake(who=None), 401, 'events without a login: 401')
    s = requests.Session()
    s.post(api + 'login', json={'user': 'anna', 'password': PASSWORDS['anna']}, timeout=10)
    cookie = 'ctid_session=' + s.cookies['ctid_session']
    tap.is_(refused_handshake(who=None, headers={'Cookie': cookie, 'Origin': 'http://evil.example'}),
            403, 'events with the cookie from another site: 403')
    first = ws(who=None, headers={'Cookie': cookie, 'Origin': url.rstrip('/')})
    second = ws()

    def tcp_timer(local_port, remote_port):
        """The kernel's timer on the daemon's end of a connection (the
        "tr" column of /proc/net/tcp: 2 is the keep-alive timer)."""
        for name in ('/proc/net/tcp', '/proc/net/tcp6'):
            with open(name) as f:
                for row in f.read().splitlines()[1:]:
                    cols = row.split()
                    if (int(cols[1].rsplit(':', 1)[1], 16) == local_port
                            and int(cols[2].rsplit(':', 1)[1], 16) == remote_port):
                        return int(cols[5].split(':')[0], 16)
        return None
    web_port = urllib.parse.urlparse(url).port
    tap.is_(tcp_timer(web_port, second.sock.getsockname()[1]), 2,
            'a page is watched by the kernel\'s keep-alives (no ping timer of its own)')

    def messages(conn, until_event, limit=30):
        out = []
        for _ in range(limit):
            msg = json.loads(conn.recv())
            msg['_received'] = time.time()
            out.append(msg)
            if msg.get('event') == until_event:
                break
        return out

    sim.send('call 02079460018 "POZDNIAKOV I" rings=2 name_delay=0.2')
    got = messages(first, 'call-ended')
    names = [m['event'] for m in got]
    tap.ok(names[0] == 'call-started' and names[-1] == 'call-ended' and 'call-updated' in names,
           'a call: started, updated, ended', names)
    started = got[0].get('call', {})
    signal = json.loads(monitor.expect('{"event":"CallStarted"', 10) or '{}')
    dbus_keys = set(signal) - {'event'}
    tap.is_(set(started) - {'card'}, dbus_keys, 'the call has the keys it has on D-Bus')
    tap.is_((started.get('contact_name'), started.get('contact_id'), started.get('number')),
            ('Ivan Pozdniakov', ivan, '02079460018'), 'who is calling')
    card = started.get('card', {})
    pops = server.wait_notify(1)
    tap.ok(pops and card.get('summary') == pops[0].summary and card.get('body') == pops[0].body,
           'the card is what the popup shows', (card, pops[:1]))
    # the pages' events wait for the popup: sending them to many pages must
    # not take the CPU the popup needs at that moment (the daemon's own
    # stage marks, common/stages.h, in the order it made them)
    # (or, when the popup takes longer than that, as under the sanitizers
    # on a busy machine, once WEB_WAIT_MS = 20 ms passed)
    with open(stages) as f:
        stamped = [(line.split()[0], int(line.split()[1])) for line in f if len(line.split()) > 1]
    marks = [name for name, _ in stamped]
    handed = marks.index('handed') if 'handed' in marks else len(marks)
    after = marks[handed:]
    waited = None
    if 'web-sent' in after:
        sent_at = stamped[handed + after.index('web-sent')][1]
        waited = (sent_at - stamped[handed][1]) / 1e6
    tap.ok('web-sent' in after and 'notify-reply' in after
           and (after.index('notify-reply') < after.index('web-sent') or waited >= 20),
           'the page gets the call once the popup reached the server (or 20 ms passed): '
           'after %s ms' % (None if waited is None else round(waited, 1)), after[:12])
    # the popup goes to its thread before the D-Bus signals are built, so
    # that it is built on the other core meanwhile
    tap.ok('signal' in marks and handed < marks.index('signal'),
           'the popup is handed over before the D-Bus signal is sent', marks[:8])
    tap.ok(card.get('company') == 'Pozdniakov & Sons'
           and 'Offered the new cream' in [n['text'] for n in card.get('notes', [])]
           and card.get('requests') == ['Generation P'],
           'with the company, the latest note and the open request', card)
    ended = got[-1]['call']
    tap.ok(ended['state'] == 'missed' and ended['ended'] > 0, 'ended: missed', ended)
    got2 = messages(second, 'call-ended')
    tap.is_([m['id'] for m in got2], [m['id'] for m in got], 'every client gets every event')
    ids = [m['id'] for m in got]
    tap.ok(ids == sorted(ids) and len(set(ids)) == len(ids), 'numbered in order', ids)
    first.close()
    second.close()

    # Reconnecting: what was missed, or a resync.
    again = ws(path='events?since=%d' % ids[0])
    replay = [json.loads(again.recv()) for _ in ids[1:]]
    tap.is_([m['id'] for m in replay], ids[1:], '?since= gives the events missed, in order')
    again.close()
    later = ws(path='events?since=%d' % (ids[-1] + 1000))
    tap.is_(json.loads(later.recv()).get('event'), 'resync',
            'a client from before a restart is told to resync')
    later.close()
    # not an id: refused, not read as 0 (every kept event again) or past
    # what an id can be (an overflow in the replay's arithmetic)
    tap.is_([refused_handshake(path='events?since=' + v)
             for v in ('abc', '-5', '1x', '9223372036854775807')], [400] * 4,
            '?since= that is not an event id is 400')

    # A page whose login ended gets no more calls: closed when its user is
    # deleted (here, or by ctidctl) or it logs out, the others kept.
    def closed(conn, timeout=10):
        """Whether the daemon closed conn within timeout s (a close frame)."""
        conn.settimeout(timeout)
        try:
            while True:
                op, data = conn.recv_data(control_frame=True)
                if op == websocket.ABNF.OPCODE_CLOSE:
                    return int.from_bytes(data[:2], 'big') if len(data) >= 2 else True
        except (websocket.WebSocketException, OSError):
            return True

    kept = ws()
    for user, remove in (('eve', lambda: send('DELETE', 'users/eve', 'boss').status_code),
                         ('ivy', lambda: ctl('user', 'delete', 'ivy')[0])):
        ctl('user', 'add', user, '--role', 'seller', '--password-stdin', stdin='%s-secret-1\n'
            % user)
        page = ws(who=None, headers={'Authorization': 'Bearer ' + ctl('user', 'token',
                                                                        user)[1].strip()})
        removed = remove()
        tap.ok(removed in (0, 204) and closed(page) == 1008,
               '%s deleted: their open page is closed (1008)' % user, removed)
    leaving = requests.Session()
    csrf = leaving.post(api + 'login', json={'user': 'anna', 'password': PASSWORDS['anna']},
                        timeout=10).json().get('csrf', '')
    page = websocket.create_connection(
        api.replace('http', 'ws') + 'events', timeout=10, origin=url.rstrip('/'),
        cookie='; '.join('%s=%s' % kv for kv in leaving.cookies.items()))
    leaving.post(api + 'logout', headers={'X-CSRF-Token': csrf}, timeout=10)
    tap.ok(closed(page) == 1008 and kept.connected, 'a page that logged out is closed, the '
           'others kept')
    kept.close()

    # A page that opens while a call rings sees it at once.
    sim.send('call 01134960000 rings=6')
    watcher = ws()
    tap.is_(json.loads(watcher.recv()).get('event'), 'call-started', 'the watcher sees the call')
    late = ws()
    msg = json.loads(late.recv())
    tap.ok(msg.get('event') in ('call-started', 'call-updated')
           and msg['call'].get('contact_name') == 'Olga Ivanova',
           'a page that connects while it rings gets it first', msg)
    messages(watcher, 'call-ended')
    watcher.close()
    late.close()

    # Calls: handled through the API, recorded with who.
    # a period before 1970 was "no start" and "no end" to the log: a
    # report of calls counted in none of its days divided by zero (SIGFPE)
    r = get('report?since=1969-01-01&until=1969-06-01', 'mark')
    tap.ok(r.status_code == 400 and '1970' in r.json()['error'] and daemon.alive(),
           'a report of 1969 is 400, and the daemon lives on', r.text[:200])
    calls = get('calls?missed=true&unhandled=true', 'anna').json()['calls']
    tap.is_([c['contact']['name'] for c in calls][:2], ['Olga Ivanova', 'Ivan Pozdniakov'],
            'the missed calls, newest first')
    tap.is_(calls, ctl_json('calls', '--missed', '--unhandled'),
            'calls are ctidctl calls --json')
    tap.is_(get('missed', 'anna').json()['callers'], ctl_json('missed'),
            'the call-back list is ctidctl missed --json')
    line = calls[0]['line']
    tap.is_(get('calls?missed=true&unhandled=true&lines=%s' % line, 'anna').json()['calls'],
            calls, 'calls of the line followed')
    tap.is_(get('calls?lines=service,elsewhere', 'anna').json()['calls'], [],
            'none of lines and departments that have no calls')
    tap.is_(get('missed?lines=elsewhere', 'anna').json()['callers'], [],
            'the call-back list of another department is empty')
    tap.is_(len(get('missed?lines=' + line, 'anna').json()['callers']),
            len(get('missed', 'anna').json()['callers']), 'and of this line, whole')
    tap.is_(get('status', 'anna').json().get('lines'), [{'line': line, 'department': None}],
            'status lists the lines and their departments')
    r = send('POST', 'calls/%d/handled' % calls[0]['id'], 'anna')
    tap.ok(r.status_code == 200 and r.json()['handled'] and r.json()['handled_by'] == 'anna',
           'a call is marked handled, by anna', r.text)
    r = send('POST', 'calls/%d/callback' % calls[1]['id'], 'anna')
    tap.ok(r.status_code == 200 and r.json()['dialled'] is True
           and r.json()['call']['called_back'] is not None,
           'call back dials (the modem can) and records it', r.text)
    tap.ok(sim.expect('event dial', 10) is not None, 'the modem dialled (ATD)')
    tap.is_(get('calls/%d' % calls[0]['id'], 'anna').json(),
            ctl_json('calls', '--missed', '--limit', '1'
                     )[0] if ctl_json('calls', '--missed', '--limit', '1') else None,
            'one call by its id, as ctidctl calls --json writes it')
    tap.is_(get('calls/987654', 'anna').status_code, 404, 'a call that is not there is 404')
    tap.is_(get('calls?state=missed,unknown&number=0113%20496%200000', 'anna').json()['calls'],
            ctl_json('calls', '--state', 'missed', '--state', 'unknown', '--number',
                     '0113 496 0000'), 'state= and number= filter as ctidctl calls does')
    tap.is_(get('calls?state=lost', 'anna').status_code, 400, 'a state that is not one is 400')
    r = send('POST', 'dial', 'anna', json={'number': '020 7946-0018'})
    tap.ok(r.status_code == 409 and 'busy' in r.json()['error'],
           'POST dial while the modem still holds the call back is 409, busy', r.text)
    r = ctidtest.wait_for(lambda: (lambda r: r if r.status_code != 409 else None)(
        send('POST', 'dial', 'anna', json={'number': '020 7946-0018'})), 30, 0.25)
    tap.ok(r is not None and r.status_code == 200 and r.json() == {'dialled': '02079460018'}
           and sim.expect('event dial', 10) is not None,
           'once it hangs up, POST dial dials the number on the modem',
           r.text if r is not None else None)
    r = send('POST', 'dial', 'anna', json={'number': 'call Ivan'})
    tap.ok(r.status_code == 400 and 'phone number' in r.json()['error'],
           'a dial of what is not a number is 400', r.text)
    act = get('users/anna/activity', 'mark').json()
    tap.ok(any(c['id'] == calls[0]['id'] for c in act['handled'])
           and any(n['text'] == 'Offered the new cream' for n in act['notes']),
           'a manager sees what anna wrote and handled', act)

    # What a desk asks for: a token of its own, and links for its popups.
    r = send('POST', 'tokens', 'anna')
    desk_token = r.json().get('token', '') if r.status_code == 201 else ''
    tap.ok(len(desk_token) == 64 and r.json().get('user') == 'anna',
           'a user gets a new API token of their own (201)', r.text)
    r = requests.get(api + 'session', headers={'Authorization': 'Bearer ' + desk_token},
                     timeout=10)
    tap.is_(r.json().get('user') if r.ok else r.status_code, 'anna', 'and it works')
    r = send('POST', 'links', 'anna', json={'next': '/#/contacts/%d' % ivan})
    rel = r.json().get('url', '') if r.ok else ''
    tap.ok(re.match(r'/login/[0-9a-f]{64}\?next=/%23/contacts/' + str(ivan) + '$', rel),
           'a one-time link of the caller, to a path', r.text)
    s = requests.Session()
    r = s.get(url.rstrip('/') + rel, allow_redirects=False, timeout=10)
    tap.ok(r.status_code == 303 and s.get(api + 'session', timeout=10).json().get('user') ==
           'anna', 'which logs the caller in')
    # a "%" that is no escape: the redirect could not be made (500, the
    # link spent); the link leads to the page instead
    bare = send('POST', 'links', 'anna').json()['url']
    r = requests.get(url.rstrip('/') + bare + '?next=/%23/search?q=50%', allow_redirects=False,
                     timeout=10)
    tap.ok(r.status_code == 303 and r.headers.get('Location', '').endswith('/'),
           'a next that is no address leads to the page', (r.status_code, r.headers))
    r = send('POST', 'links', 'anna', json={'next': 'https://evil.example/'})
    tap.ok(r.ok and r.json()['url'].endswith('/login/' + r.json()['url'].split('/login/')[1]
                                              .split('?')[0] + '?next=/'),
           'a link never leads to another site', r.text)

    # One-time login links.
    code, out, err = ctl('open', str(ivan), '--print', '--url', url)
    tap.is_((code, out.strip()), (0, url + '#/contacts/%d' % ivan),
            'ctidctl open --print for a Unix user who is not a user of the page: the card')
    tap.contains(err, 'not a user of the web page', 'and the page will ask for a password')
    user = subprocess.run(['id', '-un'], capture_output=True, text=True).stdout.strip()
    ctl('user', 'add', user, '--role', 'seller', '--password-stdin', stdin='desk-secret-1\n')
    code, out, err = ctl('open', str(ivan), '--print', '--url', url)
    link = out.strip()
    tap.ok(re.match(re.escape(url) + r'login/[0-9a-f]{64}\?next=/%23/contacts/' + str(ivan)
                    + '$', link), 'a user of the page gets a login link', out + err)
    s = requests.Session()
    r = s.get(link, allow_redirects=False, timeout=10)
    tap.ok(r.status_code == 303 and r.headers.get('Location') == url + '#/contacts/%d' % ivan
           and 'ctid_session' in s.cookies, 'the link logs in and goes to the card',
           (r.status_code, r.headers))
    tap.is_(s.get(api + 'session', timeout=10).json().get('user'), user, 'as the Unix user')
    r = requests.get(link, allow_redirects=False, timeout=10)
    tap.ok(r.status_code == 401 and 'cannot be used' in r.text, 'the link works once')
    code, out, _ = ctl('open', '--print', '--url', url)
    with contextlib.closing(sqlite3.connect(db)) as sql, sql:
        sql.execute("UPDATE tokens SET expires = 1 WHERE kind = 'link'")
    tap.is_(requests.get(out.strip(), allow_redirects=False, timeout=10).status_code, 401,
            'an expired link does not work')
    r = requests.get(url + 'login/x?next=//evil.example', allow_redirects=False, timeout=10)
    tap.is_(r.status_code, 401, 'a made-up link does not work')
    code, out, _ = ctl('open', '--print', '--url', url)
    r = requests.get(out.strip().split('?')[0] + '?next=//evil.example/x', allow_redirects=False,
                     timeout=10)
    tap.is_(r.headers.get('Location'), url, 'a link never sends the browser to another site')

    # ctidctl open and the popup's Open card open the browser there.
    code, _, err = ctl('open', str(olga))
    tap.ok(code == 0 and ctidtest.wait_for(lambda: os.path.exists(opened), 5),
           '$BROWSER is run', err)
    with open(opened) as f:
        tap.ok(re.search(r'/login/[0-9a-f]{64}\?next=/%23/contacts/' + str(olga), f.read()),
               'with a login link to the card')
    os.unlink(opened)
    missed = re.compile(r'The popup of call (\d+) \(missed\) is notification (\d+)')
    before = len(missed.findall(daemon.log()))
    sim.send('call 02079460018 rings=1')
    shown = ctidtest.wait_for(lambda: missed.findall(daemon.log())[before:], 10)
    nid = int(shown[-1][1]) if shown else 0
    server.action_invoked(nid, 'open-card')
    tap.ok(ctidtest.wait_for(lambda: os.path.exists(opened), 10),
           'Open card on the popup opens the browser',
           (nid, server.notify_calls()[-1:], daemon.log()[-2000:]))
    if os.path.exists(opened):
        with open(opened) as f:
            tap.ok(re.search(r'/login/[0-9a-f]{64}\?next=/%23/contacts/' + str(ivan), f.read()),
                   'at the card, logged in')

    # A notification server that answers late holds the pages up no longer
    # than a moment (WEB_WAIT_MS).
    server.answer_notify_after(3)
    page = ws()
    sim.send('call 02079460018 rings=1')
    t_nmbr = time.time()
    first_msg = json.loads(page.recv())
    waited = time.time() - t_nmbr
    tap.ok(first_msg.get('event') == 'call-started' and waited < 1.5,
           'a slow notification server does not hold the page up', (first_msg.get('event'), waited))
    messages(page, 'call-ended')
    page.close()
    server.answer_notify_after(0)

    # Throttling: failed logins from an address (links too), then for a user name.
    import http.client

    def login_from(source, user, password):
        host, port = url.split('//')[1].strip('/').split(':')
        conn = http.client.HTTPConnection(host, int(port), timeout=10,
                                          source_address=(source, 0))
        conn.request('POST', '/api/v1/login', json.dumps({'user': user, 'password': password}),
                     {'Content-Type': 'application/json'})
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return resp.status, resp.getheader('Retry-After')

    codes = [login_from('127.0.0.1', 'mark', 'nope%d' % i)[0] for i in range(12)]
    fails = codes.count(401)
    tap.ok(0 < fails <= 10 and codes == [401] * fails + [429] * (12 - fails),
           'wrong passwords are 401 until the address failed ten times, then 429', codes)
    status, retry = login_from('127.0.0.1', 'anna', PASSWORDS['anna'])
    tap.ok(status == 429 and int(retry or 0) > 0,
           'then even the right password of another user is 429, with Retry-After',
           (status, retry))
    tap.is_(login_from('127.0.0.2', 'anna', PASSWORDS['anna'])[0], 200,
            'another address logs in')
    for i in range(10 - fails):
        login_from('127.0.0.3', 'mark', 'nope again %d' % i)
    tap.is_(login_from('127.0.0.2', 'mark', PASSWORDS['mark'])[0], 429,
            'a user name that failed ten times waits, from any address')
    tap.ok(len(re.findall(r'refused POST /api/v1/login', daemon.log())) >= 12,
           'every refused login is logged')
    tap.is_(get('session', 'mark').status_code, 200, 'tokens still work meanwhile')

    daemon.stop()

    # A page that stops reading is dropped once WEB_CLIENT_QUEUE (256)
    # events wait for it; a page that reads gets every event meanwhile.
    # The events come from an NCID gateway (sip2ncid's CALL:/CALLINFO:
    # lines, doc/ncid.md §4), the fastest source of calls there is.
    busy = h.spawn([CTID, '--listen', '127.0.0.1:0', '--ncid-listen', '127.0.0.1:0',
                    '--device-dir', devdir, '--database', db, '--region', 'GB', '--bus',
                    'none', '--no-notify', '-v'], env=env, log_name='ctid-stuck.log')
    busy_url = web_url(busy)
    found = ctidtest.wait_for(lambda: re.search(r'NCID server at 127\.0\.0\.1:(\d+)',
                                                busy.log()), 10)
    if tap.ok(busy_url and found, 'a daemon with the page and an NCID port', busy.log()):
        busy_api = busy_url + 'api/v1/'
        # the pages live on a thread of their own: the loop that reads
        # the modems and pops the calls up polls no page's socket
        polled_before = ctidtest.wait_for(lambda: polled_fds(busy.pid), 10)
        pages = [websocket.create_connection(busy_api.replace('http', 'ws') + 'events',
                                             timeout=10,
                                             header=['Authorization: Bearer ' + tokens['anna']])
                 for _ in range(30)]
        threads = sorted(name for _, name in ctidtest.threads(busy.pid))
        tap.ok('ctid-web' in threads, 'the pages have a thread of their own', threads)
        if os.uname().machine not in ('x86_64', 'aarch64'):
            tap.skip('poll()\'s system call number is not known on %s' % os.uname().machine)
        else:
            polled_with = ctidtest.wait_for(
                lambda: (polled_fds(busy.pid)
                         if web_status_clients(busy_api, tokens['anna']) == 30 else None), 10)
            tap.ok(polled_before and polled_with and polled_with < polled_before + 5,
                   'with 30 pages open the main loop polls %s descriptors, %d without'
                   % (polled_with, polled_before))
        for page in pages:
            page.close()
        ctidtest.wait_for(lambda: web_status_clients(busy_api, tokens['anna']) == 0, 10)
        port = urllib.parse.urlparse(busy_url).port
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # before connect
        stuck.connect(('127.0.0.1', port))
        stuck.sendall(('GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n'
                       'Upgrade: websocket\r\nConnection: Upgrade\r\n'
                       'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
                       'Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n'
                       % (port, tokens['anna'])).encode())
        head = b''
        while b'\r\n\r\n' not in head:
            head += stuck.recv(1)  # the handshake only: not a byte of an event
        tap.ok(head.startswith(b'HTTP/1.1 101'), 'the stuck page is connected', head[:40])
        reader = websocket.create_connection(
            busy_api.replace('http', 'ws') + 'events', timeout=30,
            header=['Authorization: Bearer ' + tokens['anna']])
        tap.is_(web_status_clients(busy_api, tokens['anna']), 2, 'two pages are connected')
        gw = socket.create_connection(('127.0.0.1', int(found.group(1))), 10)
        gw.sendall(b'HELLO: IDENT: gateway sip2ncid (NCID) 1.6\nHELLO: CMD: no_log\n')
        calls = ended = events = 0
        # 50 calls at a time until the page is dropped (200 calls, 400
        # events here), 2,000 at most
        while calls < 2000 and 'stopped reading' not in busy.log():
            for i in range(calls, calls + 50):
                gw.sendall(b'CALL: ###DATE05311233...LINE1122...NMBR0113496%04d...NAMEX+++\r\n'
                           b'CALLINFO: ###CANCEL...LINE1122...NMBR0113496%04d+++\r\n' % (i, i))
            calls += 50
            while ended < calls:
                msg = json.loads(reader.recv())
                events += 1
                ended += msg.get('event') == 'call-ended'
        tap.ok(ended == calls, 'the page that reads got all %d calls (%d events)'
               % (calls, events))
        tap.ok('stopped reading' in busy.log(),
               'the page that stopped reading was dropped, and the log says so',
               busy.log()[-1500:])
        tap.ok(ctidtest.wait_for(lambda: web_status_clients(busy_api, tokens['anna']) == 1, 20),
               'one page is left connected')
        gw.close()
        reader.close()
        stuck.close()
        busy.stop()

    # Another address than loopback: TLS only, with a certificate made once.
    tls = h.spawn([CTID, '--listen', '127.0.0.1:0', '--listen', '0.0.0.0:0', '--device-dir',
                   devdir, '--database', db, '--region', 'GB', '--bus', 'none', '--no-notify',
                   '-v'], env=env, log_name='ctid-tls.log')
    https = web_url(tls, 'https')
    if tap.ok(https, 'a daemon listening on 0.0.0.0 serves https', tls.log()):
        port = int(https.rsplit(':', 1)[1].strip('/'))
        crt = os.path.join(state, 'ctid', 'web.crt')
        key = os.path.join(state, 'ctid', 'web.key')
        tap.ok(os.path.exists(crt) and stat.S_IMODE(os.stat(key).st_mode) == 0o600
               and stat.S_IMODE(os.stat(crt).st_mode) == 0o600,
               'the self-signed pair is kept in the state folder, mode 0600')
        r = requests.get('https://127.0.0.1:%d/api/v1/session' % port, verify=False, timeout=10,
                         headers={'Authorization': 'Bearer ' + tokens['anna']})
        tap.is_(r.status_code, 200, 'the API answers over TLS')
        cookie = requests.post('https://127.0.0.1:%d/api/v1/login' % port, verify=False,
                               json={'user': 'anna', 'password': PASSWORDS['anna']},
                               timeout=10).headers.get('Set-Cookie', '')
        tap.contains(cookie, 'Secure', 'the cookie is Secure on TLS')
        der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(('127.0.0.1', port)))
        fp = ':'.join('%02X' % b for b in hashlib.sha256(der).digest())
        tap.contains(tls.log(), fp, 'the log says the certificate\'s SHA-256 fingerprint')
        try:
            plain = requests.get('http://127.0.0.1:%d/api/v1/session' % port, timeout=5)
            answer = plain.status_code
        except requests.exceptions.RequestException:
            answer = None
        tap.is_(answer, None, 'plain HTTP to the TLS address gets no answer')
        tls.stop()
        again = h.spawn([CTID, '--listen', '0.0.0.0:0', '--device-dir', devdir, '--database',
                         db, '--bus', 'none', '--no-notify', '-v'], env=env,
                        log_name='ctid-tls2.log')
        tap.ok(web_url(again, 'https') and fp in again.log(),
               'started again, the same certificate', again.log())
        again.stop()

    # A port in use is a clear error.
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        busy = subprocess.run([CTID, '--listen', '127.0.0.1:%d' % taken.getsockname()[1],
                               '--device-dir', devdir, '--database', db, '--bus', 'none',
                               '--no-notify'], env=env, capture_output=True, text=True,
                              timeout=20)
    tap.ok(busy.returncode != 0 and '--listen none' in busy.stderr,
           'a port in use: ctid says so and how to choose another', busy.stderr)

tap.done()
