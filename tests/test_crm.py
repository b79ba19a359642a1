#!/usr/bin/python3
"""ctidctl's CRM commands end to end, on real SQLite files.

Requests and orders (add, list, close, arrived), reminders (notice windows,
--days, the year boundary, birthdays with age), the call-back list (grouping,
order, who was reached), merging duplicates, the sales manager's report
(text, JSON, HTML), tags and fields, the fixes to 'calls', and exit codes:
0 success, 1 an error in one line on stderr, 2 a wrong command line.

Calls are written with sqlite3 at fixed times (TZ=UTC), as ctid logs them;
reminders are checked on fixed days with 'reminders --on'. Nothing sleeps.

Usage: test_crm.py CTIDCTL
"""

import calendar
import datetime
import html.parser
import json
import os
import pwd
import sqlite3
import stat
import subprocess
import sys
import tempfile

import ctidtest

CTIDCTL = sys.argv[1]
tap = ctidtest.Tap()
env = dict(os.environ, TZ='UTC', NO_COLOR='1', LC_ALL='C.UTF-8',
           XDG_CONFIG_HOME='/nonexistent')
tmp = tempfile.TemporaryDirectory(prefix='ctid-test-crm-')
DB = None


def use(name):
    global DB
    DB = os.path.join(tmp.name, name)


# Under -Db_sanitize=address,undefined, UBSan prints and carries on: its
# reports are collected from every command and must be none.
sanitizer_reports = []


def ctl(*args, db=None):
    p = subprocess.run([CTIDCTL, '--database', db or DB, '--region', 'GB', *args],
                       capture_output=True, text=True, env=env, timeout=30,
                       stdin=subprocess.DEVNULL)
    if 'runtime error:' in p.stderr or 'Sanitizer' in p.stderr:
        sanitizer_reports.append((args, p.stderr))
    return p.returncode, p.stdout, p.stderr


def ok(*args):
    """Runs a command that must succeed; returns its output."""
    rc, out, err = ctl(*args)
    if rc != 0:
        tap.diag('%s: exit %d: %s' % (' '.join(args), rc, err))
    return out


def js(*args):
    rc, out, err = ctl(*args, '--json')
    try:
        return json.loads(out)
    except ValueError:
        tap.diag('%s --json: exit %d, not JSON: %r %s' % (' '.join(args), rc, out, err))
        return None


def fails(args, status, needle, name):
    """The command exits with status; for 1 the error is one line."""
    rc, out, err = ctl(*args)
    lines = err.strip('\n').split('\n') if err.strip() else []
    tap.is_(rc, status, name + ': exit %d' % status)
    if status == 1:
        tap.ok(len(lines) == 1 and needle in lines[0] and lines[0].startswith('ctidctl: '),
               name + ': one line naming the problem', err)
    else:
        tap.contains(err, needle, name + ': says why')


def ts(y, m, d, hh=0, mm=0):
    return calendar.timegm((y, m, d, hh, mm, 0))


def add_calls(rows):
    con = sqlite3.connect(DB)
    ids = []
    for r in rows:
        cur = con.execute(
            'INSERT INTO calls (started, ended, number, e164, contact_id, state, withheld,'
            ' rings, handled, called_back) VALUES (?, ?, ?, ?, ?, ?, ?, 3, ?, ?)',
            (r['t'], r['t'] + 30, r.get('number'), r.get('e164'), r.get('contact'),
             r.get('state', 'missed'), r.get('withheld'), r.get('handled'),
             r.get('called_back')))
        ids.append(cur.lastrowid)
    con.commit()
    con.close()
    return ids


def sql(statement, *params):
    con = sqlite3.connect(DB)
    con.execute(statement, params)
    con.commit()
    con.close()


def contact(name, *phones, **fields):
    args = ['contact', 'add', '--name', name]
    for p in phones:
        args += ['--phone', p]
    for k, v in fields.items():
        args += ['--' + k, v]
    out = ok(*args)
    return int(out) if out.strip().isdigit() else None


def uk(national):
    """+44 E.164 of a national number written 0XXXX."""
    return '+44' + national.replace(' ', '')[1:]


# --------------------------------------------------------------------------
# Requests and orders
use('requests.db')
ivan = contact('Ivan Pozdniakov', '020 7946 0018=shop', '07700 900123=mobile')
maria = contact('Maria Ivanova', '+7 916 123-45-67')
olga = contact('Olga Nophone')

rc, out, err = ctl('request', 'add', 'pozd', 'black', 'shoe', 'cream,', '2', 'tins')
tap.ok(rc == 0 and out.strip().isdigit(), 'request add prints the new id', (rc, out, err))
r_ivan = int(out)
added = js('request', 'add', 'maria', 'brown shoe cream')
tap.ok(added is not None and set(added) == {'id', 'contact', 'kind'} and
       added['contact'] == maria and added['kind'] == 'request',
       'request add --json: {id, contact, kind}', added)
r_maria = added['id']
r_olga = int(ok('request', 'add', 'olga', 'black shoe cream'))
r_ivan2 = int(ok('request', 'add', str(ivan), 'shoe cream for suede'))
r_umbrella = int(ok('request', 'add', 'maria', 'green umbrella'))
o_book = int(ok('order', 'add', 'pozd', 'Pelevin, Generation P'))
note = int(ok('note', 'add', 'pozd', 'prefers mornings'))
# They asked in this order: Maria, Ivan, Olga, then Ivan again.
for nid, day in ((r_maria, 1), (r_ivan, 2), (r_olga, 3), (r_ivan2, 4), (r_umbrella, 5)):
    sql('UPDATE notes SET created = ? WHERE id = ?', ts(2026, 3, day, 10), nid)

out = ok('request', 'list')
tap.ok(out.splitlines()[0].split() == ['ID', 'CONTACT', 'PHONE', 'TEXT', 'AGE', 'STATUS'],
       'request list: a table with id, contact, phone, text, age, status', out)
tap.contains(out, '020 7946 0018', 'request list: the number formatted for reading')
tap.lacks(out, 'Generation P', 'request list: orders are not requests')
tap.lacks(out, 'prefers mornings', 'request list: notes are not requests')
listed = js('request', 'list')
tap.is_([r['id'] for r in listed], [r_umbrella, r_ivan2, r_olga, r_ivan, r_maria],
        'request list --json: every request, newest first')
tap.is_(set(listed[0]), {'id', 'kind', 'contact', 'phone', 'text', 'created', 'age_days',
                         'open', 'closed', 'author', 'closed_by'},
        'request list --json: the keys')
tap.is_(listed[0]['author'], pwd.getpwuid(os.getuid()).pw_name,
        'request list --json: who wrote it (the Unix user of ctidctl)')
tap.ok(listed[0]['contact'] == {'id': maria, 'name': 'Maria Ivanova'} and
       listed[0]['phone'] == '+7 916 123-45-67' and listed[0]['open'] is True and
       listed[0]['closed'] is None and listed[0]['created'].startswith('2026-03-05T10:00'),
       'request list --json: contact, phone, state and time', listed[0])
tap.is_(sorted(r['id'] for r in js('request', 'list', 'umbrel')), [r_umbrella],
        'request list QUERY: words of the text, as prefixes')
tap.is_(sorted(r['id'] for r in js('request', 'list', '--contact', 'maria')),
        sorted([r_maria, r_umbrella]), 'request list --contact')
tap.is_([r['id'] for r in js('order', 'list')], [o_book], 'order list: the orders')

arrived = js('request', 'arrived', 'shoe', 'cream')
tap.is_([c['contact']['name'] for c in arrived or []],
        ['Maria Ivanova', 'Ivan Pozdniakov', 'Olga Nophone'],
        'arrived: the clients who asked, in the order they asked, each once')
tap.is_(set(arrived[0]), {'contact', 'company', 'phones', 'requests', 'first_asked', 'closed'},
        'arrived --json: the keys')
tap.is_([r['id'] for r in arrived[1]['requests']], [r_ivan, r_ivan2],
        'arrived: a client with two matching requests has both, oldest first')
tap.is_([p['formatted'] for p in arrived[1]['phones']], ['020 7946 0018', '07700 900123'],
        'arrived: all their numbers, formatted for reading')
tap.is_(arrived[2]['phones'], [], 'arrived: a client without a number is still listed')
tap.ok(all(not c['closed'] for c in arrived), 'arrived without --close closes nothing')
out = ok('request', 'arrived', 'shoe cream')
tap.ok(0 <= out.find('Maria Ivanova') < out.find('Ivan Pozdniakov') < out.find('Olga Nophone'),
       'arrived: the table lists who asked first first', out)
tap.contains(out, '020 7946 0018 (shop), 07700 900123 (mobile)',
             'arrived: numbers with their labels, to choose which to call')
tap.lacks(out, 'umbrella', 'arrived: requests that do not match are not listed')

rc, out, err = ctl('request', 'arrived', 'shoe', 'cream', '--close')
tap.ok(rc == 0 and 'Maria Ivanova' in out and 'Closed 4 requests' in out,
       'arrived --close: prints the list, then closes those requests', (rc, out, err))
tap.is_(js('request', 'list', '--open', 'shoe'), [], 'arrived --close: they are closed')
tap.is_([r['id'] for r in js('request', 'list', '--open')], [r_umbrella],
        'arrived --close: other requests stay open')
rc, out, err = ctl('request', 'arrived', 'shoe', 'cream')
tap.ok(rc == 0 and 'No open requests match' in out, 'arrived with nothing open: says so, exit 0',
       (rc, out))
closed = [r for r in js('request', 'list') if r['id'] == r_ivan][0]
tap.ok(closed['open'] is False and closed['closed'] is not None,
       'request list shows closed requests with when', closed)
tap.contains(ok('request', 'list', 'suede'), 'closed 20', 'request list: the status column says closed')

fails(['request', 'close', '424242'], 1, 'no request #424242', 'request close: a missing id')
fails(['request', 'close', str(note)], 1, 'is a note', 'request close: a note is no request')
fails(['request', 'close', str(r_ivan)], 1, 'already closed', 'request close: closed twice')
fails(['request', 'close', 'x1'], 2, 'not an id', 'request close: not an id')
fails(['request', 'close', str(r_umbrella), '424242'], 1, '424242',
      'request close: one bad id among several')
tap.is_([r['id'] for r in js('request', 'list', '--open')], [r_umbrella],
        'request close: all or none, so the good one stays open')
closed = js('request', 'close', '#%d' % r_umbrella)
tap.is_(closed, [{'id': r_umbrella, 'kind': 'request',
                  'contact': {'id': maria, 'name': 'Maria Ivanova'}, 'text': 'green umbrella'}],
        'request close --json: what was closed ("#id" works)')
tap.contains(ok('order', 'close', str(o_book)), 'Closed order #%d' % o_book, 'order close')
tap.is_(js('order', 'list', '--open'), [], 'the order is closed')
fails(['request', 'arrived'], 2, 'say what arrived', 'arrived without QUERY')
fails(['request', 'add', 'pozd'], 2, 'TEXT', 'request add without TEXT')
fails(['request', 'add', 'nobody-at-all', 'x'], 1, "no contact matches 'nobody-at-all'",
      'request add for an unknown contact')
fails(['request', 'frobnicate'], 2, 'unknown request command', 'an unknown subcommand')
fails(['request', 'list', '--close'], 2, '--close is for', 'an option of another subcommand')

# --------------------------------------------------------------------------
# Reminders
use('reminders.db')
gift = contact('Gift Buyer', '0113 496 0000')
born = contact('Born Known', birthday='1971-07-11')
nodate = contact('Born Yearless', birthday='07-13')

rc, out, err = ctl('reminder', 'add', 'gift', '--date', '07-12', "Friend's", 'birthday:',
                   'offer', 'a', 'gift')
tap.ok(rc == 0 and out.strip().isdigit(), 'reminder add prints the new id', (rc, out, err))
r_gift = int(out)
due = js('reminders', '--on', '2026-07-10')
tap.is_([(r['contact']['name'], r['date'], r['days_left']) for r in due or []],
        [('Born Known', '2026-07-11', 1), ('Gift Buyer', '2026-07-12', 2)],
        'on 10 July: the 12 July reminder (2 days notice) and a birthday, soonest first')
tap.is_(set(due[0]), {'id', 'contact', 'phone', 'date', 'days_left', 'yearly', 'notice',
                      'birthday', 'age', 'text'}, 'reminders --json: the keys')
tap.ok(due[0]['birthday'] is True and due[0]['age'] == 55 and due[0]['id'] is None and
       due[0]['text'] == 'Birthday (55)', "a contact's birthday, with the age it brings", due[0])
tap.ok(due[1]['id'] == r_gift and due[1]['yearly'] is True and due[1]['notice'] == 2 and
       due[1]['phone'] == '0113 496 0000', 'the reminder, with the number to call', due[1])
tap.is_([r['contact']['name'] for r in js('reminders', '--on', '2026-07-09')], ['Born Known'],
        'on 9 July the gift reminder is not due yet (the birthday is)')
tap.is_([r['date'] for r in js('reminders', '--on', '2026-07-09', '--days', '3')],
        ['2026-07-11', '2026-07-12'], '--days widens the window')
tap.is_(js('reminders', '--on', '2026-07-13', '--days', '0')[0]['age'], None,
        'a birthday without a year has no age')
tap.is_(js('reminders', '--on', '2026-07-13'), [js('reminders', '--on', '2026-07-13')[0]],
        'a birthday without a year is still due')
out = ok('reminders', '--on', '2026-07-10')
tap.ok(out.splitlines()[0].split() == ['ID', 'DATE', 'WHEN', 'CONTACT', 'PHONE', 'REMINDER'] and
       'tomorrow' in out and 'in 2 days' in out and 'Birthday (55)' in out,
       'reminders: a table with when, contact, number and text', out)

r_ny = int(ok('reminder', 'add', 'gift', '--date', '01-02', '--notice', '3', 'New year call'))
tap.is_([(r['date'], r['days_left']) for r in js('reminders', '--on', '2026-12-30')],
        [('2027-01-02', 3)], 'a yearly reminder crosses the year boundary')
r_far = int(ok('reminder', 'add', 'gift', '--date', '2099-08-20', '--notice', '5',
               'renewal'))
tap.is_([r['id'] for r in js('reminders', '--on', '2099-08-15')], [r_far],
        'a one-off reminder is due within its own notice (5 days)')
tap.is_(js('reminders', '--on', '2099-08-14'), [], 'and not a day before')
tap.is_(js('reminders', '--on', '2099-08-21'), [], 'a one-off reminder is gone after its day')
tap.is_(js('reminders', '--on', '2100-08-15'), [], 'a one-off reminder does not come back')
r_yearly = int(ok('reminder', 'add', 'gift', '--date', '2026-09-01', '--yearly', 'anniversary'))
tap.is_([r['date'] for r in js('reminders', '--on', '2030-08-31')], ['2030-09-01'],
        'YYYY-MM-DD with --yearly comes back every year')
today = datetime.datetime.now(datetime.timezone.utc).date()
r_today = int(ok('reminder', 'add', 'gift', '--date', today.strftime('%m-%d'), 'today'))
tap.ok(r_today in [r['id'] for r in js('reminders')], 'without --on: what is due today', today)
tap.is_([r['contact']['name'] for r in js('reminders', '--on', '2026-07-10', '--contact',
                                          'born known')], ['Born Known'], 'reminders --contact')

tap.is_(js('reminder', 'delete', str(r_gift)), {'deleted': [r_gift]}, 'reminder delete (--json)')
tap.is_([r['contact']['name'] for r in js('reminders', '--on', '2026-07-10')], ['Born Known'],
        'a deleted reminder is gone')
fails(['reminder', 'delete', str(r_gift)], 1, 'no reminder #%d' % r_gift,
      'reminder delete: twice')
fails(['reminder', 'delete', str(r_ny), 'x'], 2, 'not a reminder id',
      'reminder delete: not an id')
tap.is_([r['id'] for r in js('reminders', '--on', '2026-12-30')], [r_ny],
        'reminder delete with a bad id deletes nothing')
fails(['reminder', 'add', 'gift', '--date', '02-30', 'x'], 2, "bad date '02-30'",
      'reminder add: an impossible date')
fails(['reminder', 'add', 'gift', '--date', '2020-01-01', 'x'], 1, 'in the past',
      'reminder add: a one-off date already past')
fails(['reminder', 'add', 'gift', 'x'], 2, '--date', 'reminder add: without --date')
fails(['reminder', 'add', 'gift', '--date', '07-12', '--notice', '400', 'x'], 2, '--notice',
      'reminder add: --notice out of range')
fails(['reminders', '--on', '2026-13-01'], 2, 'bad date', 'reminders --on: a bad date')
fails(['reminders', '--days', 'soon'], 2, '--days', 'reminders --days: not a number')
fails(['reminder'], 2, 'Usage', 'reminder without a subcommand')

# --------------------------------------------------------------------------
# The call-back list
use('missed.db')
xenia = contact('Xenia Client', '01632 960100')
yuri_number = '01632 960500'
X = dict(number='01632960100', e164=uk('01632 960100'), contact=xenia)
calls = add_calls([
    dict(t=ts(2026, 3, 2, 9, 0), **X),
    dict(t=ts(2026, 3, 2, 10, 0), number='01632960200', e164=uk('01632 960200')),
    dict(t=ts(2026, 3, 2, 11, 0), **X),
    dict(t=ts(2026, 3, 2, 11, 30), withheld='private'),
    dict(t=ts(2026, 3, 2, 11, 40), withheld='unavailable', state='unknown'),
    dict(t=ts(2026, 3, 2, 12, 0), number='01632960300', e164=uk('01632 960300'),
         state='unknown'),
    dict(t=ts(2026, 3, 2, 13, 0), number='01632960400', e164=uk('01632 960400')),
    dict(t=ts(2026, 3, 2, 14, 0), number='01632960400', e164=uk('01632 960400'),
         state='answered'),
    dict(t=ts(2026, 3, 2, 15, 0), handled=ts(2026, 3, 2, 16), **X),
    dict(t=ts(2026, 3, 2, 16, 0), number='01632960600', e164=uk('01632 960600'),
         state='ringing'),
    dict(t=ts(2026, 3, 1, 8, 0), number='01632960500', e164=uk(yuri_number)),
    dict(t=ts(2026, 3, 2, 17, 0), number='01632960700', e164=uk('01632 960700')),
    dict(t=ts(2026, 3, 2, 17, 5), number='01632960700', e164=uk('01632 960700'),
         state='unknown', called_back=ts(2026, 3, 2, 18)),
])
yuri = contact('Yuri Since', yuri_number)

missed = js('missed')
tap.is_([(m['name'], m['calls']) for m in missed or []],
        [('Yuri Since', 1), ('Xenia Client', 2), ('01632 960200', 1), ('01632 960300', 1),
         ('01632 960400', 1), ('01632 960700', 2), ('Withheld', 2)],
        'missed: by caller; waiting longest first, then those reached, withheld last')
tap.is_(set(missed[0]), {'contact', 'name', 'number', 'e164', 'formatted', 'withheld', 'calls',
                         'missed', 'unknown', 'maybe_missed', 'first', 'last', 'called_back',
                         'call_ids'}, 'missed --json: the keys')
x = missed[1]
tap.ok(x['contact'] == {'id': xenia, 'name': 'Xenia Client'} and
       x['first'].startswith('2026-03-02T09:00') and x['last'].startswith('2026-03-02T11:00') and
       x['call_ids'] == [calls[0], calls[2]] and x['called_back'] is None and
       x['formatted'] == '01632 960100',
       'a caller: how many times, first and last, nobody called back, its calls', x)
tap.ok(missed[0]['contact'] == {'id': yuri, 'name': 'Yuri Since'},
       'a stranger saved as a contact since is listed by name', missed[0])
tap.ok(missed[3]['maybe_missed'] is True and missed[3]['unknown'] == 1 and
       missed[3]['missed'] == 0, 'a call the modem could not tell: maybe missed', missed[3])
tap.ok(missed[4]['called_back'].startswith('2026-03-02T14:00'),
       'a later answered call counts as called back', missed[4])
tap.ok(missed[5]['called_back'].startswith('2026-03-02T18:00'),
       'called_back set after the last call counts as called back', missed[5])
tap.ok(missed[6]['withheld'] is True and missed[6]['number'] is None and
       missed[6]['missed'] == 1 and missed[6]['unknown'] == 1,
       'withheld and unavailable numbers are one group', missed[6])
tap.ok(calls[8] not in sum((m['call_ids'] for m in missed), []) and
       calls[9] not in sum((m['call_ids'] for m in missed), []),
       'handled calls and calls still ringing are not on the list')
tap.is_([m['name'] for m in js('missed', '--no-unknown')],
        ['Yuri Since', 'Xenia Client', '01632 960200', '01632 960400', '01632 960700',
         'Withheld'], '--no-unknown leaves the maybe-missed out')
tap.is_([m['name'] for m in js('missed', '--since', '2026-03-02')][:2],
        ['Xenia Client', '01632 960200'], 'missed --since')
out = ok('missed')
tap.ok(out.splitlines()[0].split() == ['CALLER', 'NUMBER', 'CALLS', 'FIRST', 'LAST', 'CALLED',
                                       'BACK'] and '1 maybe' in out and
       '2026-03-02 09:00' in out and 'yes, 2026-03-02 14:00' in out,
       'missed: a table a person reads', out)
# A USRobotics user: every call unknown, and still a call-back list.
use('usr.db')
ok('contact', 'list')  # creates the database
add_calls([dict(t=ts(2026, 3, 2, 9), number='01632960800', e164=uk('01632 960800'),
                state='unknown')])
tap.is_([(m['name'], m['maybe_missed']) for m in js('missed')], [('01632 960800', True)],
        'a modem that only logs unknown calls still gets a call-back list')
use('missed.db')

# calls handle clears groups; calls' other fixes
tap.is_(js('calls', 'handle', '--all-from', '01632 960200'), {'handled': 1},
        'calls handle --all-from NUMBER (--json)')
rc, out, err = ctl('calls', 'handle', '--all-from', 'withheld')
tap.ok(rc == 0 and '2 calls marked handled' in out, 'calls handle --all-from withheld',
       (out, err))
tap.is_([m['name'] for m in js('missed')],
        ['Yuri Since', 'Xenia Client', '01632 960300', '01632 960400', '01632 960700'],
        'handled groups leave the list')
fails(['calls', 'handle', str(calls[1]), '999999'], 1, 'no call 999999',
      'calls handle: a missing call among several')
tap.is_(ctl('calls', 'handle', '--all-from', 'xenia')[0], 0, 'calls handle --all-from CONTACT')
tap.is_(len(js('calls', '--since', '2026-03-02', '--until', '2026-03-02', '--limit', '0')), 12,
        'calls --since DATE --until DATE: that day (not "2026 days ago")')
tap.is_(js('calls', '--since', '2026-03-03'), [], 'calls --since: a later day has nothing')
tap.is_(len(js('calls', '--until', '2026-03-01')), 1, 'calls --until: up to that day')
tap.is_(sorted(c['number'] or '-' for c in js('calls', '--state', 'unknown')),
        ['-', '01632960300', '01632960700'], 'calls --state unknown')
tap.is_(len(js('calls', '--state', 'unknown', '--state', 'ringing')), 4, '--state twice')
tap.is_([c['id'] for c in js('calls', '--number', '01632 960400')], [calls[7], calls[6]],
        "calls --number: a stranger's calls")
fails(['calls', '--limit', 'abc'], 2, '--limit', 'calls --limit: not a number')
fails(['calls', '--since', '7'], 2, "bad date '7'", "calls --since: '7' is not '7d'")
fails(['calls', '--since', '2026-02-30'], 2, 'bad date', 'calls --since: an impossible date')
fails(['calls', '--state', 'lost'], 2, "bad state 'lost'", 'calls --state: unknown state')
fails(['missed', 'extra'], 2, 'unexpected argument', 'missed: an extra argument')

# --------------------------------------------------------------------------
# Tags and fields
use('tags.db')
t1 = contact('Tagged One', '0113 496 0001')
t2 = contact('Tagged Two')
tap.is_(ctl('contact', 'edit', 'tagged one', '--tag', 'vip', '--tag', 'Wholesale', '--field',
            'shoe size=43', '--field', 'source=fair')[0], 0, 'contact edit --tag --field')
ok('contact', 'edit', 'tagged two', '--tag', 'VIP')
tap.is_([c['name'] for c in js('contact', 'list', '--tag', 'vip')], ['Tagged One', 'Tagged Two'],
        'contact list --tag, case-insensitive')
card = js('contact', 'show', 'tagged one')
tap.ok(card['tags'] == ['vip', 'Wholesale'] and
       card['fields'] == {'shoe size': '43', 'source': 'fair'},
       'contact show: the tags and fields set', card)
ok('contact', 'edit', 'tagged one', '--untag', 'VIP', '--field', 'source=')
card = js('contact', 'show', 'tagged one')
tap.ok(card['tags'] == ['Wholesale'] and card['fields'] == {'shoe size': '43'},
       '--untag removes a tag; an empty --field value removes the field', card)
tap.is_([c['name'] for c in js('contact', 'list', '--tag', 'vip')], ['Tagged Two'],
        'contact list --tag after --untag')
tap.is_(js('contact', 'list', '--tag', 'nosuchtag'), [], 'contact list --tag with no match')
fails(['contact', 'edit', 'tagged one', '--field', '=x'], 2, 'KEY=VALUE',
      'contact edit --field without a key')

# --------------------------------------------------------------------------
# Merging duplicates
use('merge.db')
a = contact('Ivan Pozdniakov', '020 7946 0018=shop', email='ivan@shop.example')
b = contact('I. Pozdniakov', '+44 20 7946 0018', '07700 900123=mobile',
            company='Shoe Shine Ltd', email='ivan@old.example', birthday='1971-03-14',
            field='size=44', tag='wholesale')
ok('contact', 'edit', str(a), '--field', 'size=43', '--tag', 'vip')
ok('contact', 'edit', str(b), '--tag', 'VIP', '--field', 'source=fair')
ok('note', 'add', str(b), 'met at the fair')
rb = int(ok('request', 'add', str(b), 'black shoe cream'))
ok('order', 'add', str(b), 'Generation P')
ok('reminder', 'add', str(b), '--date', '07-12', "friend's birthday")
add_calls([dict(t=ts(2026, 3, 2, 9), number='07700900123', e164=uk('07700 900123'), contact=b),
           dict(t=ts(2026, 3, 3, 9), number='02079460018', e164=uk('020 7946 0018'), contact=b,
                state='answered')])

fails(['contact', 'merge', str(a), str(b)], 1, '--yes', 'merge without --yes off a terminal')
fails(['contact', 'merge', str(a), str(a), '--yes'], 1, 'the same contact',
      'merge a contact into itself')
fails(['contact', 'merge', str(a), '424242', '--yes'], 1, "no contact matches '424242'",
      'merge with a missing contact')
fails(['contact', 'merge', str(a)], 2, 'give the contact to keep', 'merge with one contact')
merged = js('contact', 'merge', str(a), str(b), '--yes')
tap.is_(merged, {'into': a, 'from': b,
                 'moved': {'phones': 1, 'notes': 3, 'calls': 2, 'reminders': 1, 'fields': 1,
                           'tags': 1, 'details': 2},
                 'dropped': [{'field': 'email', 'kept': 'ivan@shop.example',
                              'dropped': 'ivan@old.example'},
                             {'field': 'size', 'kept': '43', 'dropped': '44'}]},
        'merge --json: what moved, and what lost to the kept values')
fails(['contact', 'show', str(b)], 1, 'no contact matches', 'the duplicate is gone')
card = js('contact', 'show', str(a))
tap.ok(card['company'] == 'Shoe Shine Ltd' and card['email'] == 'ivan@shop.example' and
       card['birthday'] == '1971-03-14',
       "merge: the kept contact's fields win, the duplicate's fill the empty ones", card)
tap.is_([p['formatted'] for p in card['phones']], ['020 7946 0018', '07700 900123'],
        'merge: numbers move, one both had is kept once')
tap.ok(card['fields'] == {'size': '43', 'source': 'fair'} and
       card['tags'] == ['vip', 'wholesale'], 'merge: fields and tags move', card)
tap.is_([r['id'] for r in card['open_requests']], [rb], 'merge: the open request moves')
tap.is_(sorted(e['type'] for e in card['timeline']),
        ['call', 'call', 'note', 'order', 'request'], 'merge: notes, orders and calls move')
tap.is_([r['contact']['id'] for r in js('reminders', '--on', '2026-07-10', '--contact',
                                        str(a))], [a], 'merge: reminders move')
tap.is_(js('lookup', '07700 900123')['contact'], {'id': a, 'name': 'Ivan Pozdniakov'},
        "merge: the duplicate's number finds the kept contact")
rc, out, err = ctl('contact', 'merge', str(a), str(contact('Dup Two', company='X Ltd')), '--yes')
tap.ok(rc == 0 and 'Merged #' in out and 'into #%d Ivan Pozdniakov' % a in out and
       "kept company 'Shoe Shine Ltd'; dropped 'X Ltd'" in out,
       'merge: says what it did, and which values it dropped', out)

# --------------------------------------------------------------------------
# The report
use('report.db')
client = contact('Ivan Pozdniakov', '020 7946 0018')
evil = contact('<script>alert(1)</script>', '0113 496 0789', company='Evil & Co')
other = contact('Quiet Client', '0161 496 0123')
I = dict(number='02079460018', e164=uk('020 7946 0018'), contact=client)
E = dict(number='01134960789', e164=uk('0113 496 0789'), contact=evil)
add_calls([
    dict(t=ts(2026, 3, 1, 9), state='answered', **I),
    dict(t=ts(2026, 3, 1, 10), state='missed', **I),
    dict(t=ts(2026, 3, 1, 11), state='unknown', number='01632960900',
         e164=uk('01632 960900')),
    dict(t=ts(2026, 3, 3, 9), state='answered', **E),
    dict(t=ts(2026, 3, 3, 10), state='answered', **E),
    dict(t=ts(2026, 3, 3, 11), state='missed', **E),
    dict(t=ts(2026, 3, 4, 12), state='missed', number='01614960123', e164=uk('0161 496 0123'),
         contact=other, called_back=ts(2026, 3, 4, 13)),
    dict(t=ts(2026, 3, 7, 23, 59), state='answered', **I),
    dict(t=ts(2026, 3, 8, 0, 1), state='missed', **I),   # the day after the period
    dict(t=ts(2026, 2, 28, 23, 59), state='missed', **I),  # the day before
])
ok('request', 'add', str(evil), '<b>bold</b> & "quoted"')
ok('order', 'add', str(client), 'Generation P')
period = ['--since', '2026-03-01', '--until', '2026-03-07']
rep = js('report', *period)
tap.is_(set(rep or {}), {'since', 'until', 'totals', 'days', 'top_callers', 'unanswered',
                         'open_requests'}, 'report --json: the keys')
tap.ok(rep['since'] == '2026-03-01' and rep['until'] == '2026-03-07' and len(rep['days']) == 7,
       'report: the period, every day of it', (rep['since'], rep['until'], len(rep['days'])))
tap.is_(rep['totals'], {'calls': 8, 'answered': 4, 'missed': 3, 'unknown': 1,
                        'missed_rate': round(3 / 7, 6)},
        'report: totals; the missed rate of the calls with a known outcome')
tap.is_([(d['date'], d['calls'], d['answered'], d['missed'], d['unknown'])
         for d in rep['days'] if d['calls']],
        [('2026-03-01', 3, 1, 1, 1), ('2026-03-03', 3, 2, 1, 0), ('2026-03-04', 1, 0, 1, 0),
         ('2026-03-07', 1, 1, 0, 0)], 'report: calls per day, --until including its day')
tap.is_([(c['name'], c['calls']) for c in rep['top_callers']],
        [('Ivan Pozdniakov', 3), ('<script>alert(1)</script>', 3), ('Quiet Client', 1),
         ('01632 960900', 1)], 'report: top callers, most calls first')
tap.is_([c['name'] for c in rep['unanswered']], ['01632 960900', '<script>alert(1)</script>'],
        'report: callers missed and not called back (not those answered later or called back)')
tap.is_(sorted(q['text'] for q in rep['open_requests']), ['<b>bold</b> & "quoted"',
                                                          'Generation P'],
        'report: open requests and orders')
out = ok('report', *period)
tap.ok('8 calls: 4 answered, 3 missed, 1 unknown' in out and 'missed rate 43%' in out,
       'report without --html: a short text summary', out)
tap.is_(js('report', '--since', '2026-03-09', '--until', '2026-03-09')['totals']['missed_rate'],
        None, 'no calls: the missed rate is null, not a division by zero')

page = os.path.join(tmp.name, 'report.html')
rc, out, err = ctl('report', *period, '--html', page)
tap.ok(rc == 0 and os.path.exists(page), 'report --html FILE writes the page', (out, err))
with open(page, encoding='utf-8') as f:
    text = f.read()


class Checker(html.parser.HTMLParser):
    VOID = {'meta', 'link', 'br', 'hr', 'img', 'input', 'col', 'area', 'base', 'wbr', 'source'}
    SVG_EMPTY = {'rect', 'line', 'path', 'circle'}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags, self.attrs, self.text = [], [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append('</%s> closes %r' % (tag, self.stack[-1:]))
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


c = Checker()
c.feed(text)
c.close()
shown = ' '.join(' '.join(c.text).split())
tap.ok(text.startswith('<!DOCTYPE html>') and not c.errors and not c.stack,
       'the page is well-formed: every element closed in order', (c.errors, c.stack))
tap.ok('script' not in c.tags, 'no <script> element, although a contact is named <script>')
tap.contains(text, '&lt;script&gt;alert(1)&lt;/script&gt;', "the contact's name is escaped")
tap.contains(shown, '<script>alert(1)</script>', 'and reads as written')
tap.contains(text, '&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;', 'request text is escaped')
tap.ok(not any(k in ('src', 'href') for k, _ in c.attrs) and 'http://' not in text and
       'https://' not in text and '@import' not in text and 'url(' not in text,
       'self-contained: nothing is fetched')
tap.ok('style' in c.tags and 'svg' in c.tags and c.tags.count('rect') >= 5,
       'inline CSS and an SVG bar chart')
for label, value in (('Calls', '8'), ('Answered', '4'), ('Missed', '3'), ('Unknown', '1'),
                     ('Missed rate', '42.9%')):
    tap.contains(shown, '%s %s' % (label, value), 'the page shows %s %s' % (label, value))
tap.contains(shown, '1 Mar 2026 \u2013 7 Mar 2026', 'the page names the period')
for section in ('Calls per day', 'Not called back', 'Top callers', 'Open requests and orders'):
    tap.contains(shown, section, 'the page has "%s"' % section)
tap.contains(shown, 'maybe missed', 'maybe-missed callers are marked on the page')
tap.ok(oct(os.stat(page).st_mode & 0o777) == '0o600', 'the page is private (0600): it names clients')
rc, out, err = ctl('report', *period, '--html', '-')
tap.ok(rc == 0 and out.startswith('<!DOCTYPE html>') and out.rstrip().endswith('</html>') and
       '&lt;script&gt;' in out, '--html - writes the page to standard output')
# Through a symbolic link the file it names is replaced, the link stays; a
# FIFO is written, not replaced by a file (as export: what is not a file is
# written directly; before, the page was renamed over it, and as root over
# a device such as /dev/null).
target = os.path.join(tmp.name, 'shared.html')
with open(target, 'w') as f:
    f.write('old')
link = os.path.join(tmp.name, 'latest.html')
os.symlink('shared.html', link)
rc, out, err = ctl('report', *period, '--html', link)
with open(target, encoding='utf-8') as f:
    tap.ok(rc == 0 and os.path.islink(link) and f.read().startswith('<!DOCTYPE html>'),
           'report --html LINK: the link stays, the file it names has the page', (out, err))
fifo = os.path.join(tmp.name, 'page.fifo')
os.mkfifo(fifo)
reader = subprocess.Popen(['cat', fifo], stdout=subprocess.PIPE)
rc, out, err = ctl('report', *period, '--html', fifo)
try:
    got = reader.communicate(timeout=20)[0].decode()
except subprocess.TimeoutExpired:  # nobody opened the FIFO to write
    reader.kill()
    got = reader.communicate()[0].decode()
tap.ok(rc == 0 and got.startswith('<!DOCTYPE html>') and got.rstrip().endswith('</html>')
       and stat.S_ISFIFO(os.stat(fifo).st_mode),
       'report --html FIFO: the page goes through the FIFO, which stays one', (out, err))
fails(['report', '--html', tmp.name], 1, 'it is a folder', 'report: a folder')
fails(['report', '--since', '2026-03-07', '--until', '2026-03-01'], 2, 'ends before it begins',
      'report: a period backwards')
fails(['report', '--until', 'someday'], 2, "bad date 'someday'", 'report: a bad date')
fails(['report', '--html', os.path.join(tmp.name, 'no', 'such', 'dir.html')], 1,
      'could not write', 'report: a file that cannot be written')
fails(['report', '--top', '0'], 2, '--top', 'report: --top 0')

# Errors in general
bad = os.path.join(tmp.name, 'garbage.db')
with open(bad, 'w') as f:
    f.write('not a database at all\n' * 100)
rc, out, err = ctl('missed', db=bad)
tap.ok(rc == 1 and len(err.strip().splitlines()) == 1 and 'garbage.db' in err,
       'a file that is no database: exit 1, one line naming it', err)

tap.is_(sanitizer_reports, [], 'no sanitizer reports from any command')
tmp.cleanup()
sys.exit(tap.done())
