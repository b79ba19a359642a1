#!/usr/bin/python3
"""Hostile text in every sink: markup, spreadsheet formulas, control
characters, bidirectional overrides and 4 kB of text (tests/fixtures/
hostile.json), as contacts' names and notes and as callers' names from the
modem, through everything that writes them out:

- CSV for people (ctidctl calls --csv, export --format csv): no cell a
  spreadsheet would evaluate, numbers still usable, and ctid's own import
  reads its export back unchanged;
- the terminal (ctidctl on a pseudo-terminal): no control or bidirectional
  character reaches it;
- JSON (ctidctl --json): the text exactly, escaped;
- the HTML report: markup is text, no control or bidirectional character;
- the popup: markup escaped, no control or bidirectional character;
- the D-Bus API: the text exactly, valid UTF-8;
- the daemon's log: one line per message, no control or bidirectional
  character;
- the web API: the text exactly, as JSON, under a policy that runs no
  script and sniffs nothing; through the API, control characters are
  refused with a reason (the page's own DOM is tested in a real browser,
  test_browser.py).

Usage: test_hostile.py CTID CTIDCTL MODEMSIM FIXTURES_DIR
"""

import csv
import io
import json
import os
import pty
import re
import subprocess
import sys

import ctidtest

CTID, CTIDCTL, MODEMSIM = (os.path.abspath(p) for p in sys.argv[1:4])
FIXTURES = sys.argv[4]
tap = ctidtest.Tap()
if ctidtest.require('dbus-daemon'):
    tap.skip_all('dbus-daemon is not installed')

with open(os.path.join(FIXTURES, 'hostile.json')) as f:
    HOSTILE = json.load(f)
NAMES = HOSTILE['names']
LONG = ('Asked for black shoe cream. ' * 200)[:HOSTILE['long_note_bytes']]
# What must not reach a terminal, a log or a page: C0 and C1 controls but
# tab and line feed, DEL, and the bidirectional embeddings, overrides and
# isolates.
UNSAFE = re.compile('[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]')
FORMULA_START = ('=', '+', '-', '@', '\t', '\r')


def unsafe_in(text):
    """The unsafe characters of text, colour (SGR) sequences and a terminal's
    own line ends aside."""
    return UNSAFE.findall(re.sub('\x1b\\[[0-9;]*m', '', text).replace('\r\r\n', '\n')
                          .replace('\r\n', '\n'))


def evaluated(cell):
    """Whether a spreadsheet would evaluate the cell (OWASP's list), a number
    as people write one aside."""
    s = cell.lstrip(' ')
    if not s.startswith(FORMULA_START):
        return False
    return not (s[0] in '+-' and re.fullmatch(r'[0-9 +\-()./]+', s))


with ctidtest.Harness(timeout=180) as h:
    tmp = h.mkdtemp('hostile')
    db = os.path.join(tmp, 'ctid.db')
    env = dict(os.environ, XDG_CONFIG_HOME=tmp, TZ='UTC')

    def ctl(*args, stdin=None, database=db):
        p = subprocess.run([CTIDCTL, '--database', database, '--region', 'GB', *args],
                           capture_output=True, env=env, stdin=stdin)
        return p.returncode, p.stdout.decode('utf-8', 'replace'), \
            p.stderr.decode('utf-8', 'replace')

    def on_terminal(*args):
        """What ctidctl prints on a terminal (a pseudo-terminal)."""
        master, slave = pty.openpty()
        p = subprocess.Popen([CTIDCTL, '--database', db, '--region', 'GB', *args],
                             stdout=slave, stderr=slave, stdin=subprocess.DEVNULL, env=env)
        os.close(slave)
        out = b''
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        p.wait(20)
        os.close(master)
        return out.decode('utf-8', 'replace')

    # Names are one line of plain text: control characters are refused at
    # the door, with a reason. The rest is kept exactly.
    CONTROL = re.compile('[\x00-\x1f\x7f\x80-\x9f]')
    KEPT = [n for n in NAMES if not CONTROL.search(n)]
    ids = {}
    for k, name in enumerate(NAMES):
        status, out, err = ctl('contact', 'add', '--name', name, '--company', name,
                               '--phone', '+44 113 496 %04d' % k, '--field', 'note=' + name)
        if name not in KEPT:
            tap.ok(status == 1 and 'control character' in err and 'nothing was saved' in err,
                   'a name with a control character is refused: %r' % name, err)
            continue
        if status == 0:
            ids[name] = int(out)
            ctl('note', 'add', out.strip(), name)
            ctl('request', 'add', out.strip(), name)
    tap.is_(sorted(ids), sorted(KEPT), 'every other hostile name is a contact (%d)' % len(KEPT))
    # An older ctid, or a hand edit, may have left such names in the file:
    # every sink must still show them safely.
    import sqlite3
    with sqlite3.connect(db) as conn:
        for k, name in enumerate(n for n in NAMES if n not in KEPT):
            cur = conn.execute('INSERT INTO contacts (name, company, created, updated) '
                               "VALUES (?, ?, 0, 0)", (name, name))
            ids[name] = cur.lastrowid
            conn.execute("INSERT INTO notes (contact_id, kind, text, status, created) "
                         "VALUES (?, 'request', ?, 'open', 0)", (cur.lastrowid, name))
            digits = '1134969%03d' % k
            conn.execute('INSERT INTO phones (contact_id, label, raw, e164, digits, rdigits) '
                         'VALUES (?, NULL, ?, ?, ?, ?)',
                         (cur.lastrowid, '0' + digits, '+44' + digits, '44' + digits,
                          ('44' + digits)[::-1]))
    first = ids[NAMES[0]]
    status, _, err = ctl('note', 'add', str(first), LONG)
    tap.ok(status == 0, 'and 4 kB of text is a note', err)

    # JSON: the text, exactly.
    status, out, _ = ctl('contact', 'list', '--json')
    names = sorted(c['name'] for c in json.loads(out)) if status == 0 else []
    tap.is_(names, sorted(NAMES), 'JSON: every name comes back exactly, escaped')

    # Bytes that are not UTF-8 in a name, as a tool other than ctid may
    # have written them (an import of a Latin-1 file with sqlite3, say): the
    # sinks get whole characters, U+FFFD for each bad byte (libdbus and GLib
    # abort or refuse on a string that is not UTF-8).
    with sqlite3.connect(db) as conn:
        cur = conn.execute("INSERT INTO contacts (name, company, created, updated) "
                           "VALUES (CAST(? AS TEXT), 'Caf\xe9', 0, 0)", (b'Ren\xe9 L\xf6we',))
        latin1 = cur.lastrowid
        conn.execute("INSERT INTO notes (contact_id, kind, text, status, created) "
                     "VALUES (?, 'request', CAST(? AS TEXT), 'open', 0)",
                     (latin1, b'cr\xe8me noire'))
        conn.execute("INSERT INTO phones (contact_id, label, raw, e164, digits, rdigits) "
                     "VALUES (?, NULL, '01134968999', '+441134968999', '441134968999', "
                     "'999869431144')", (latin1,))

    # The daemon: calls from the contacts and from the modem, popups, D-Bus,
    # the log.
    devdir = h.mkdtemp('dev')
    bus = h.session_bus()
    server = h.notification_server(bus, caps=['actions', 'body', 'body-markup'])
    benv = bus.env(XDG_CONFIG_HOME=tmp, TZ='UTC')
    sim = h.spawn_lines([MODEMSIM, '--interval', '200', '--link',
                         os.path.join(devdir, 'conexant-ttyACM0')], log_name='sim.log')
    sim.expect('ready')
    monitor = h.monitor(CTIDCTL, benv)
    daemon = h.spawn([CTID, '--listen', '127.0.0.1:0', '--device-dir', devdir, '--database', db, '--region', 'GB',
                      '--ring-timeout', '1', '-v', '-v'], env=benv, log_name='ctid.log')
    tap.ok(monitor.expect('{"event":"ModemAdded"', 10), 'the daemon runs')
    # calls from two contacts: markup, and a right-to-left override
    calls = [('01134960000', None), ('0113496%04d' % NAMES.index('Ivan \u202eK0018'), None),
             ('01134968999', None)]
    calls += [('0161496%04d' % k, n) for k, n in enumerate(HOSTILE['modem_names'])]
    events = []
    for number, name in calls:
        sim.send('call %s rings=1' % number if name is None else
                 'call %s "%s" rings=1' % (number, name))
        line = monitor.expect('{"event":"CallEnded"', 10)
        events.append(json.loads(line) if line else {})
    want = [ids[NAMES[0]], ids['Ivan \u202eK0018']]
    tap.is_([e.get('contact_id') for e in events[:2]], want,
            'D-Bus: calls from the contacts carry them')
    tap.is_([e.get('contact_name') for e in events[:2]], [NAMES[0], 'Ivan \u202eK0018'],
            'D-Bus: the names exactly (data; clients escape)')
    tap.is_((events[2].get('contact_id'), events[2].get('contact_name')),
            (latin1, 'Ren\ufffd L\ufffdwe'),
            'D-Bus: bytes that are not UTF-8 in a name come as U+FFFD, the call goes on')
    tap.is_([e.get('name') for e in events[3:]], HOSTILE['modem_names'],
            "D-Bus: the telco's names exactly")
    pops = server.wait_notify(2 * len(calls), 10)
    texts = [p.summary + '\n' + p.body for p in pops]
    # The summary is plain text by the specification; the body is markup.
    tap.ok(pops and not any('<img' in p.body or '<b>Bold' in p.body for p in pops),
           'popup: markup from a name is escaped in the body, never markup', texts[:2])
    tap.ok(any('&lt;img src=x onerror=alert(1)&gt;' in t for t in texts),
           'popup: the name shows as its characters', texts[:2])
    tap.is_([c for t in texts for c in unsafe_in(t)], [],
            'popup: no control or bidirectional character')
    tap.ok(any('0018' in t and 'K' in t for t in texts), 'popup: the text around them stays')
    log = daemon.log()
    tap.is_(unsafe_in(log), [], 'log: no control or bidirectional character')

    # The web API.
    import requests  # noqa: E402  (python3-requests)
    url = re.findall(r'Web page at (http://\S+)', daemon.log())
    subprocess.run([CTIDCTL, '--database', db, 'user', 'add', 'anna', '--role', 'seller',
                    '--password-stdin'], input=b'anna-secret-1\n', env=env, capture_output=True)
    token = ctl('user', 'token', 'anna')[1].strip()
    api = (url[0] if url else 'http://127.0.0.1:1/') + 'api/v1/'
    auth = {'Authorization': 'Bearer ' + token}
    found = {}
    for name in NAMES:
        r = requests.get(api + 'contacts/%d' % ids[name], headers=auth, timeout=10)
        found[name] = r.json().get('name') if r.ok else r.status_code
        ctype, csp = r.headers.get('Content-Type'), r.headers.get('Content-Security-Policy', '')
    tap.is_(found, {n: n for n in NAMES}, 'web: every name exactly, as JSON')
    r = requests.get(api + 'contacts/%d' % latin1, headers=auth, timeout=10)
    tap.is_((r.status_code, r.json().get('name') if r.ok else r.text[:200]),
            (200, 'Ren\ufffd L\ufffdwe'), 'web: stray bytes in a name as U+FFFD, in valid JSON')
    tap.ok(ctype == 'application/json' and "default-src 'none'" in csp and
           r.headers.get('X-Content-Type-Options') == 'nosniff',
           'web: JSON under a policy that loads and runs nothing, never sniffed', r.headers)
    r = requests.get(api + 'contacts/%d' % ids[NAMES[0]], headers=auth, timeout=10)
    tap.ok(any(e.get('text') == LONG for e in r.json().get('timeline', [])),
           'web: the long note whole')
    r = requests.post(api + 'contacts', headers=auth, timeout=10,
                      json={'name': 'Bell \x07\x1b[31m Ringer'})
    tap.ok(r.status_code == 422 and 'control character' in r.json().get('error', ''),
           'web: a name with control characters is refused with a reason', r.text)
    r = requests.post(api + 'contacts', headers=auth, timeout=10,
                      json={'name': 'Ivan \u202eK0018 (web)'})
    tap.is_(r.json().get('name') if r.status_code == 201 else r.status_code,
            'Ivan \u202eK0018 (web)', 'web: a right-to-left override is text, kept exactly')
    if r.status_code == 201:
        requests.delete(api + 'contacts/%d' % r.json()['id'], headers=auth, timeout=10)

    # CSV for people, and the round trip.
    status, out, _ = ctl('calls', '--csv')
    rows = list(csv.reader(io.StringIO(out)))
    cells = [c for r in rows for c in r]
    tap.ok(status == 0 and len(rows) == len(calls) + 1, 'calls --csv: a row per call', out[:300])
    tap.is_([c for c in cells if evaluated(c)], [],
            'calls --csv: no cell a spreadsheet would evaluate')
    tap.ok(any(c.startswith('+44') for c in cells),
           'calls --csv: E.164 numbers stay numbers (+44...)')
    export = os.path.join(tmp, 'export.csv')
    status, _, err = ctl('export', '--format', 'csv', export)
    with open(export, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    cells = [c for r in rows for c in r]
    tap.is_([c for c in cells if evaluated(c)], [],
            'export --format csv: no cell a spreadsheet would evaluate')
    tap.ok(any(c.startswith('+44 113') for c in cells),
           'export: phone numbers as written stay usable')
    other = os.path.join(tmp, 'other.db')
    status, _, err = ctl('import', export, database=other)
    tap.ok(status == 0, 'the export imports', err)
    status, out, _ = ctl('contact', 'list', '--json', database=other)
    back = sorted(c['name'] for c in json.loads(out)) if status == 0 else []
    tap.is_([n for n in KEPT if n not in back], [], 'import reads its export back: every '
            "name exactly, ' and = included")
    tap.is_(unsafe_in(''.join(b for b in back if b not in KEPT)), [],
            'and the names an older file held with control characters come back without them')
    status, out, _ = ctl('contact', 'show', str(ids["'=not a formula"]), '--json')
    card = json.loads(out) if status == 0 else {}
    status, out, _ = ctl('contact', 'show', "'=not a formula", '--json', database=other)
    card_back = json.loads(out) if status == 0 else {}
    tap.is_((card_back.get('company'), card_back.get('fields')),
            (card.get('company'), card.get('fields')),
            "the round trip keeps companies and fields too")

    # The terminal.
    for args in (('contact', 'list'), ('contact', 'show', str(first)), ('calls',),
                 ('missed',), ('request', 'list'), ('calls', '--csv')):
        out = on_terminal(*args)
        tap.ok(out and not unsafe_in(out), 'terminal: ctidctl %s shows no control or '
               'bidirectional character' % ' '.join(args), unsafe_in(out)[:5])
    out = on_terminal('contact', 'show', str(ids['Ivan \u202eK0018']))
    tap.ok('Ivan \ufffdK0018' in out, 'terminal: an override shows as U+FFFD, the name stays',
           out[:300])
    p = subprocess.run([CTIDCTL, '--database', db, 'contact', 'list'], capture_output=True,
                       env=env)
    tap.ok('\u202e'.encode() in p.stdout, 'into a pipe the text goes as it is (data)')

    # The HTML report.
    page = os.path.join(tmp, 'report.html')
    status, _, err = ctl('report', '--html', page)
    with open(page, encoding='utf-8') as f:
        html = f.read()
    tap.ok(status == 0 and '<img src=x' not in html and '&lt;img src=x' in html,
           'report: markup is text', err)
    tap.is_(unsafe_in(html), [], 'report: no control or bidirectional character')

sys.exit(tap.done())
