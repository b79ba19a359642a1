#!/usr/bin/python3
"""Nothing is cut silently: text is kept whole up to its documented limit
(DB_NAME_MAX 1,024 bytes for names, DB_NUMBER_MAX 64 for numbers,
DB_TEXT_MAX 65,536 for notes, requests, reminders and fields' values) and
refused past it with a clear error, by ctidctl, by imports and by the D-Bus
API. Each limit is tried at its size and one byte over, with a two-byte
character ("é") at the boundary.

Usage: test_limits.py CTID CTIDCTL
"""

import json
import os
import pty
import subprocess
import sys

import ctidtest

CTID, CTIDCTL = (os.path.abspath(p) for p in sys.argv[1:3])
tap = ctidtest.Tap()
NAME_MAX, NUMBER_MAX, TEXT_MAX = 1024, 64, 65536


def text_of(n):
    """n bytes of UTF-8 ending in the two-byte é."""
    return 'a' * (n - 2) + 'é'


with ctidtest.Harness(timeout=120) as h:
    tmp = h.mkdtemp('limits')
    db = os.path.join(tmp, 'ctid.db')
    env = dict(os.environ, XDG_CONFIG_HOME=tmp, TZ='UTC')

    def ctl(*args, stdin=None):
        p = subprocess.run([CTIDCTL, '--database', db, '--region', 'GB', *args],
                           capture_output=True, env=env, stdin=stdin)
        return p.returncode, p.stdout.decode('utf-8', 'replace'), \
            p.stderr.decode('utf-8', 'replace')

    def timeline(contact):
        status, out, _ = ctl('contact', 'show', str(contact), '--json')
        return [t.get('text') for t in json.loads(out)['timeline']] if status == 0 else None

    status, out, err = ctl('contact', 'add', '--name', text_of(NAME_MAX), '--phone',
                           '020 7946 0018')
    tap.ok(status == 0, 'a name of 1,024 bytes is taken', err)
    ivan = int(out.strip()) if status == 0 else 0
    status, out, _ = ctl('contact', 'show', str(ivan), '--json')
    tap.is_(json.loads(out)['name'] if status == 0 else None, text_of(NAME_MAX),
            'and kept whole')
    status, _, err = ctl('contact', 'add', '--name', text_of(NAME_MAX + 1))
    tap.ok(status == 1 and 'the name is 1025 bytes long; ctid keeps up to 1024' in err,
           'a name of 1,025 bytes is refused, saying so', err)
    status, _, err = ctl('contact', 'edit', str(ivan), '--company', text_of(NAME_MAX + 1))
    tap.ok(status == 1 and 'company' in err and '1024' in err, 'so is such a company', err)
    status, _, err = ctl('contact', 'add', '--name', 'X', '--field',
                         'notes=' + text_of(TEXT_MAX + 1))
    tap.ok(status == 1 and "a field's value is 65537 bytes" in err,
           'a field of 65,537 bytes is refused', err)
    status, out, _ = ctl('contact', 'list', '--json')
    tap.is_(len(json.loads(out)) if status == 0 else None, 1,
            'nothing refused was saved (one contact)')

    # The note that used to be cut at 4,095 bytes, and the limits.
    note = ('Asked for black shoe cream. ' * 200).strip()
    status, _, err = ctl('note', 'add', str(ivan), *note.split(' '))
    tap.ok(status == 0 and note in (timeline(ivan) or []),
           'a note of 5,600 bytes in words is kept whole', err)
    status, _, err = ctl('note', 'add', str(ivan), text_of(TEXT_MAX))
    tap.ok(status == 0 and text_of(TEXT_MAX) in (timeline(ivan) or []),
           'a note of 65,536 bytes ending in é is kept whole', err)
    status, _, err = ctl('note', 'add', str(ivan), text_of(TEXT_MAX + 1))
    tap.ok(status == 1 and 'the note is 65537 bytes long; ctid keeps up to 65536' in err and
           'nothing was saved' in err, 'one byte more is refused, saying so', err)
    status, _, err = ctl('request', 'add', str(ivan), text_of(TEXT_MAX + 1))
    tap.ok(status == 1 and 'the request is 65537 bytes long' in err, 'a request too', err)
    status, _, err = ctl('reminder', 'add', str(ivan), '--date', '03-01',
                         text_of(TEXT_MAX + 1))
    tap.ok(status == 1 and 'the reminder is 65537 bytes long' in err, 'a reminder too', err)
    tap.is_(len(timeline(ivan) or []), 2, 'and none of them was saved')

    # Asked on a terminal (the popup's "Add note"): a line pasted at the
    # prompt is read whole, where the terminal's line editing keeps 4,095 bytes.
    master, slave = pty.openpty()
    asking = subprocess.Popen([CTIDCTL, '--database', db, 'note', 'add', str(ivan)],
                              stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env)
    os.close(slave)
    prompt = b''
    while b'empty to cancel): ' not in prompt:
        chunk = asking.stdout.read1(4096)
        if not chunk:
            break
        prompt += chunk
    os.write(master, (note + '\r').encode())
    out, err = asking.communicate(timeout=20)
    os.close(master)
    tap.ok(asking.returncode == 0 and (timeline(ivan) or []).count(note) == 2,
           'a note pasted at the prompt (5,600 bytes) is kept whole too', err)

    # Imports: all or nothing, and the line says why.
    def vcard(notes, phones=1):
        lines = ['BEGIN:VCARD', 'VERSION:3.0', 'FN:Olga Import']
        lines += ['TEL:+44 113 496 %04d' % k for k in range(phones)]
        lines += ['NOTE:' + notes, 'END:VCARD', '']
        return '\r\n'.join(lines)

    for name, text, phones, good in (('a note of 65,536 bytes', text_of(TEXT_MAX), 1, True),
                                     ('a note of 65,537 bytes', text_of(TEXT_MAX + 1), 1,
                                      False),
                                     ('65 phone numbers', 'short', 65, False)):
        path = os.path.join(tmp, 'import.vcf')
        with open(path, 'w') as f:
            f.write(vcard(text, phones))
        status, _, err = ctl('import', path, '--dry-run')
        if good:
            tap.ok(status == 0, 'import: %s is taken' % name, err)
        else:
            tap.ok(status == 1 and 'import.vcf:' in err and 'ctid keeps up to' in err,
                   'import: %s is refused at its line, saying why' % name, err)
    path = os.path.join(tmp, 'import.csv')
    with open(path, 'w') as f:
        f.write('Name,Phone,Notes\nOlga,+44 113 496 0000,%s\n' % text_of(TEXT_MAX + 1))
    status, _, err = ctl('import', path)
    tap.ok(status == 1 and 'import.csv:2' in err and 'a note is 65537 bytes' in err,
           'import: a CSV note of 65,537 bytes is refused at its line', err)
    status, out, _ = ctl('contact', 'list', '--json')
    tap.is_(len(json.loads(out)) if status == 0 else None, 1, 'nothing was imported')

    # The D-Bus API: AddNote at the limit and past it.
    if ctidtest.require('dbus-daemon'):
        tap.ok(False, 'dbus-daemon is not installed')
    else:
        import dbus
        bus = h.session_bus()
        benv = bus.env(XDG_CONFIG_HOME=tmp, TZ='UTC')
        daemon = h.spawn([CTID, '--listen', '127.0.0.1:0', '--database', db, '--region', 'GB', '--no-notify',
                          '--device-dir', os.path.join(tmp, 'none')], env=benv,
                         log_name='ctid.log')
        if not ctidtest.wait_for(lambda: bus.owner('org.ctid.Ctid1'), 10):
            tap.bail('the daemon did not start: ' + daemon.log())
        api = dbus.Interface(bus.connection().get_object('org.ctid.Ctid1', '/org/ctid/Ctid1'),
                             'org.ctid.Ctid1')
        got = api.AddNote(str(ivan), text_of(TEXT_MAX))
        tap.ok(int(got) > 0, 'D-Bus: AddNote takes a note of 65,536 bytes')
        try:
            api.AddNote(str(ivan), text_of(TEXT_MAX + 1))
            tap.ok(False, 'D-Bus: AddNote refuses a note of 65,537 bytes')
        except dbus.DBusException as e:
            tap.ok(e.get_dbus_name() == 'org.freedesktop.DBus.Error.InvalidArgs' and
                   '65536' in str(e), 'D-Bus: AddNote refuses a note of 65,537 bytes, saying '
                   'so', str(e))
        tap.is_((timeline(ivan) or []).count(text_of(TEXT_MAX)), 2,
                'D-Bus: the note at the limit is kept whole, and no other was added')

sys.exit(tap.done())
