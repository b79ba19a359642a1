#!/usr/bin/python3
"""ctid --replay against every recorded transcript in tests/fixtures/modem.

Each NAME.txt holds the bytes a real modem printed (the source is named on
the first line of NAME.expect and in the fixtures README); NAME.expect lists
the calls ctid must find, in order. The replay must print exactly those
calls, with the keys scripts rely on, and log them when given a database.

Usage: test_replay.py CTID CTIDCTL FIXTURES_DIR
"""

import json
import os
import subprocess
import sys
import tempfile

import ctidtest

CTID, CTIDCTL, FIXTURES = sys.argv[1:4]
MODEM = os.path.join(FIXTURES, 'modem')
# The transcripts' dates are read as if recorded on 2026-11-27 (UTC), the day
# the expectations were written for.
NOW = '1795737600'
KEYS = {'number', 'name', 'withheld', 'e164', 'line', 'rings', 'date', 'state', 'contact'}
EXPECT_KEYS = ('number', 'name', 'withheld', 'line', 'rings', 'date', 'state')

tap = ctidtest.Tap()
env = dict(os.environ, TZ='UTC', CTID_REPLAY_NOW=NOW, XDG_CONFIG_HOME='/nonexistent')


def replay(path, *args):
    p = subprocess.run([CTID, '--replay', path, *args], env=env, capture_output=True,
                       timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def read_expect(path):
    source, calls = None, []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line.startswith('# source:'):
                source = line[len('# source:'):].strip()
            elif line and not line.startswith('#'):
                calls.append(json.loads(line))
    return source, calls


names = sorted(n[:-len('.expect')] for n in os.listdir(MODEM) if n.endswith('.expect'))
tap.ok(len(names) >= 30, 'at least 30 transcripts with expectations (%d)' % len(names))

for name in names:
    source, want = read_expect(os.path.join(MODEM, name + '.expect'))
    tap.ok(bool(source), '%s names its source' % name)
    status, out, err = replay(os.path.join(MODEM, name + '.txt'))
    try:
        got = [json.loads(l) for l in out.splitlines() if l.strip()]
    except ValueError:
        got = None
    tap.ok(status == 0 and got is not None, '%s: replay exits 0 with JSON lines' % name,
           err)
    if got is None:
        continue
    tap.ok(all(set(c) == KEYS for c in got), '%s: every call has exactly the keys' % name,
           got)
    trimmed = [{k: c.get(k) for k in EXPECT_KEYS} for c in got]
    tap.is_(trimmed, want, '%s: %d call(s) as recorded (%s)' % (name, len(want), source))

# E.164 and contacts: a region turns national numbers into E.164, and with a
# database the calls are matched and logged.
with tempfile.TemporaryDirectory() as tmp:
    transcript = os.path.join(tmp, 'uk.txt')
    # A BT line sends caller ID before the first ring (NCID's notes on UK lines).
    with open(transcript, 'wb') as f:
        f.write(b'\r\nDATE = 1127\r\nTIME = 0930\r\nNMBR = 02079460018\r\nNAME = POZDNIAKOV I\r\n'
                b'RING\r\n\r\nRING\r\n'
                b'\r\nDATE = 1127\r\nTIME = 0941\r\nNMBR = 01632960999\r\nRING\r\n')
    db = os.path.join(tmp, 'ctid.db')
    add = subprocess.run([CTIDCTL, '--database', db, '--region', 'GB', 'contact', 'add',
                          '--name', 'Ivan Pozdniakov', '--phone', '+44 20 7946 0018'],
                         capture_output=True, env=env)
    contact_id = int(add.stdout)
    status, out, err = replay(transcript, '--region', 'GB', '--database', db)
    calls = [json.loads(l) for l in out.splitlines()]
    tap.is_(len(calls), 2, 'two calls in the UK transcript')
    tap.is_(calls[0]['e164'], '+442079460018', 'national number in E.164 with --region GB')
    tap.is_(calls[0]['contact'], {'id': contact_id, 'name': 'Ivan Pozdniakov'},
            'the known client is matched')
    tap.is_(calls[0]['date'], '2026-11-27T09:30', 'the telco date gets its year')
    tap.is_(calls[1]['contact'], None, 'the stranger is not matched')
    log = subprocess.run([CTIDCTL, '--database', db, 'calls', '--json'], capture_output=True,
                         env=env)
    logged = json.loads(log.stdout)
    tap.is_(sorted(c['number'] for c in logged), ['01632960999', '02079460018'],
            'replay with --database logs the calls')
    status, out, _ = replay(transcript)
    tap.is_(json.loads(out.splitlines()[0])['e164'], None,
            'without a region a national number has no E.164')

    # A GSM dongle sends the number without "+" but with type 145
    # (international): it keeps its E.164 and matches a contact saved in
    # that form, though the Czech tables do not know +420 1...
    gsm = os.path.join(tmp, 'gsm.txt')
    with open(gsm, 'wb') as f:
        f.write(b'\r\nRING\r\n\r\n+CLIP: "420123456789",145,,,,0\r\n\r\nNO CARRIER\r\n')
    add = subprocess.run([CTIDCTL, '--database', db, '--region', 'GB', 'contact', 'add',
                          '--name', 'Petr Novak', '--phone', '+420 123 456 789'],
                         capture_output=True, env=env)
    petr = int(add.stdout)
    status, out, err = replay(gsm, '--region', 'GB', '--database', db)
    calls = [json.loads(l) for l in out.splitlines()]
    tap.ok(status == 0 and len(calls) == 1 and calls[0]['e164'] == '+420123456789' and
           calls[0]['contact'] == {'id': petr, 'name': 'Petr Novak'},
           'an international number (GSM type 145) keeps its E.164 and matches', out + err)

    # Garbage: skipped with a warning, never a crash; calls around it survive.
    junk = os.path.join(tmp, 'junk.bin')
    with open(junk, 'wb') as f:
        f.write(b'RING\r\nNMBR = 5551234\r\n' + bytes(range(256)) * 64 + b'\x00' * 5000 +
                b'A' * 100000 + b'\r\nNMBR=5559876\r\nRING\r\n')
    status, out, err = replay(junk)
    numbers = [json.loads(l)['number'] for l in out.splitlines()]
    tap.is_(status, 0, 'garbage: exit status 0')
    tap.is_(numbers, ['5551234', '5559876'], 'garbage: the calls around it are found')
    tap.contains(err, 'warning', 'garbage: a warning on stderr')

    status, out, err = replay(os.path.join(tmp, 'missing.txt'))
    tap.ok(status != 0 and 'missing.txt' in err, 'a missing file is a clear error')

sys.exit(tap.done())
