#!/usr/bin/python3
"""ctidctl import, export, backup and restore on real SQLite files.

Every fixture in tests/fixtures/contacts is imported into a fresh database
and its contacts checked through `ctidctl contact show --json` and `lookup
--json`; merging on a known number; counts and skip reasons; bad files leave
the database as it was; an export imports back into an empty database
without losing a field (vCard and CSV); a backup taken while another process
writes is whole; restore refuses damaged and foreign files and keeps the old
database; the files are private (0600).

Usage: test_import.py CTIDCTL FIXTURES_DIR
"""

import hashlib
import json
import os
import pty
import sqlite3
import stat
import subprocess
import sys
import tempfile

import ctidtest

CTIDCTL, FIXTURES = sys.argv[1:3]
CONTACTS = os.path.join(FIXTURES, 'contacts')
env = dict(os.environ, TZ='UTC', XDG_CONFIG_HOME='/nonexistent', NO_COLOR='1')
tap = ctidtest.Tap()


def ctl(db, *args, stdin=subprocess.DEVNULL, region='GB'):
    p = subprocess.run([CTIDCTL, '--database', db, '--region', region, *args], stdin=stdin,
                       capture_output=True, env=env, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def fixture(name):
    return os.path.join(CONTACTS, name)


def lookup(db, number, region='GB'):
    status, out, _ = ctl(db, 'lookup', number, '--json', region=region)
    contact = json.loads(out)['contact'] if status == 0 else None
    return contact['id'] if contact else None


def show(db, who, region='GB'):
    status, out, err = ctl(db, 'contact', 'show', str(who), '--json', region=region)
    return json.loads(out) if status == 0 else None


def card(db, number, region='GB'):
    """The contact with this number, as plain data."""
    who = lookup(db, number, region)
    return simplify(show(db, who, region)) if who else None


def simplify(d):
    return {
        'name': d['name'], 'company': d['company'], 'email': d['email'],
        'birthday': d['birthday'],
        'phones': [(p['label'], p['number']) for p in d['phones']],
        'fields': d['fields'], 'tags': d['tags'],
        'notes': [(t['type'], t['text'], t.get('open'), t['time'])
                  for t in reversed(d['timeline']) if t['type'] != 'call'],
    }


def dump(db):
    """Every contact, keyed by name, for comparing two databases field by field."""
    status, out, _ = ctl(db, 'contact', 'list', '--json')
    contacts = {}
    for c in json.loads(out):
        contacts.setdefault(c['name'], []).append(simplify(show(db, c['id'])))
    return {k: sorted(v, key=json.dumps) for k, v in contacts.items()}


def file_hash(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def fresh(tmp, name):
    return os.path.join(tmp, name + '.db')


def import_fixtures(tmp):
    db = fresh(tmp, 'dialects')

    status, out, err = ctl(db, 'import', fixture('google.vcf'))
    tap.is_((status, out.strip()), (0, 'Added 2, merged 0, skipped 0'), 'google.vcf: two added')
    ivan = card(db, '+44 7700 900123')
    tap.is_(ivan and ivan['name'], 'Ivan Pozdniakov', 'google.vcf: found by its mobile number')
    tap.is_(ivan and ivan['phones'], [('mobile', '+44 7700 900123'), ('work', '+44 20 7946 0018'),
                                      ('Shop', '020 7946 0019')], 'google.vcf: numbers and labels')
    tap.is_(ivan and (ivan['company'], ivan['email'], ivan['birthday']),
            ('Pozdniakov & Sons', 'ivan@pozdniakov.example', '1971-03-14'),
            'google.vcf: company, e-mail, birthday')
    tap.is_(ivan and ivan['fields'].get('email 2'), 'ivan.p@mail.example',
            'google.vcf: the second e-mail address is a field')
    tap.is_(ivan and ivan['tags'], ['Shoe shop', 'starred'], 'google.vcf: categories as tags')
    tap.ok(ivan and ivan['notes'] and ivan['notes'][0][1].startswith(
        'Asked for black shoe cream, 2 tins; call'), 'google.vcf: the note')
    tap.is_(lookup(db, '020 7946 0019'), lookup(db, '+44 7700 900123'),
            'google.vcf: lookup finds the contact by any of its numbers')

    status, out, err = ctl(db, 'import', fixture('apple.vcf'), region='PL')
    tap.is_(status, 0, 'apple.vcf: imported')
    marta = card(db, '+48 500 600 700', 'PL')
    tap.is_(marta and marta['birthday'], '--03-14', "apple.vcf: Apple's year-less birthday")
    tap.ok(marta and ('Warehouse', '+48 22 765 43 21') in marta['phones'],
           'apple.vcf: the X-ABLabel label')
    acme = card(db, '+1 212 555 0142', 'US')
    tap.ok(acme is not None, 'apple.vcf: the company card (a US number) is there')
    tap.is_(acme and acme['name'], None if acme is None else 'Acme Trading Ltd',
            'apple.vcf: a company card is named after the company')

    status, out, err = ctl(db, 'import', fixture('android.vcf'), region='RU')
    tap.is_((status, out.strip()), (0, 'Added 3, merged 0, skipped 0'), 'android.vcf: three added')
    tap.contains(err, 'android.vcf:36: ', "android.vcf: the 'n/a' number is reported")
    tap.contains(err, "'n/a' is not a phone number", 'android.vcf: ... as not a number')
    ivan_ru = card(db, '+7 916 123-45-67', 'RU')
    tap.is_(ivan_ru and ivan_ru['name'], 'Иван Поздняков', 'android.vcf: quoted-printable name')
    nameless = card(db, '+7 903 555-01-02', 'RU')
    tap.is_(nameless and nameless['name'], '+7 903 555-01-02',
            'android.vcf: a card without a name is named by its number')

    for name, region, number, want in [
            ('thunderbird.vcf', 'DE', '+49 170 1234567', 'Dr. Jörg Müller'),
            ('evolution.vcf', 'CA', '+1 514 555 0199', 'Marie Tremblay'),
            ('outlook.vcf', 'DE', '+49 171 5550123', 'Jürgen Müller'),
            ('lf-bom.vcf', 'SE', '+46 70 123 45 67', 'Zoë Ångström'),
            ('google-new.csv', 'US', '+1 202 555 0199', 'Grace Brewster Hopper'),
            ('outlook.csv', 'ES', '+34 600 123 456', 'Maria Garcia'),
            ('generic-tab.tsv', 'RU', '+7 495 000-00-02', 'Olga Ivanova')]:
        status, out, err = ctl(db, 'import', fixture(name), region=region)
        got = card(db, number, region)
        tap.is_((status, got and got['name']), (0, want), '%s: %s' % (name, want))

    # outlook.csv's Jürgen has outlook.vcf's mobile: one contact, merged
    juergen = card(db, '+49 221 555 0100', 'DE')
    tap.is_(juergen and juergen['name'], 'Jürgen Müller',
            'outlook.csv merged into the contact outlook.vcf made (same mobile number)')
    tap.ok(juergen and ('work fax', '+49 221 555 0101') in juergen['phones'],
           '... and gave it its other numbers')

    status, out, err = ctl(db, 'import', fixture('google-old.csv'))
    tap.is_((status, out.strip()),
            (0, 'Added 1, merged 1, skipped 1: line 5: no name or number'),
            'google-old.csv: counts and the skip with its line')
    status, out, err = ctl(db, 'import', fixture('generic-semicolon.csv'), '--json')
    report = json.loads(out) if status == 0 else {}
    tap.is_({k: report.get(k) for k in ('added', 'merged', 'skipped', 'format', 'dry_run')},
            {'added': 1, 'merged': 1, 'skipped': 1, 'format': 'csv', 'dry_run': False},
            'generic-semicolon.csv --json: the counts')
    tap.is_(report.get('skips'), [{'line': 5, 'reason': 'no name or number'}],
            '--json: the skip with its line and reason')
    tap.ok(any(n['message'].startswith("kept company 'Pozdniakov & Sons'")
               for n in report.get('notes', [])), '--json: what was kept on a merge')
    ivan = card(db, '+44 7700 900123')
    tap.is_(ivan and ivan['fields'].get('account manager'), 'Olga',
            'generic-semicolon.csv: the extra column reached the merged contact')
    return db


def merging(tmp):
    db = fresh(tmp, 'merge')
    status, out, _ = ctl(db, 'contact', 'add', '--name', 'Ivan P.', '--company', 'Old Co',
                         '--phone', '020 7946 0018=shop')
    ivan_id = int(out) if status == 0 else None
    before = simplify(show(db, ivan_id))
    status, out, err = ctl(db, 'import', fixture('google.vcf'))
    tap.is_(out.strip(), 'Added 1, merged 1, skipped 0', 'merge: the known number merges')
    after = simplify(show(db, ivan_id))
    tap.is_((after['name'], after['company']), ('Ivan P.', 'Old Co'),
            'merge: name and company that were there are kept')
    tap.contains(err, "google.vcf:1: #%d: kept company 'Old Co' (the file says 'Pozdniakov & Sons')"
                 % ivan_id, 'merge: and it says so')
    tap.is_(after['phones'][0], before['phones'][0], 'merge: the number keeps its label')
    tap.ok(('mobile', '+44 7700 900123') in after['phones'], 'merge: the new numbers are added')
    tap.is_((after['email'], after['birthday']), ('ivan@pozdniakov.example', '1971-03-14'),
            'merge: the missing e-mail and birthday are added')
    tap.is_(after['tags'], ['Shoe shop', 'starred'], 'merge: tags added')
    tap.is_(len(after['notes']), 1, 'merge: the note added')
    tap.is_(ctl(db, 'contact', 'list', '--json')[1].count('"id"'), 2, 'merge: no duplicate')

    status, out, _ = ctl(db, 'import', fixture('google.vcf'))
    tap.is_(out.strip(), 'Added 0, merged 2 (2 already up to date), skipped 0',
            'importing the same file again changes nothing')
    tap.is_(simplify(show(db, ivan_id)), after, '... not even the notes')

    same = os.path.join(tmp, 'same.vcf')
    with open(same, 'w') as f:
        f.write('BEGIN:VCARD\nVERSION:3.0\nFN:Olga\nTEL;TYPE=CELL:+44 7700 900555\nEND:VCARD\n'
                'BEGIN:VCARD\nVERSION:3.0\nFN:olga\nTEL;TYPE=WORK:+44 20 7946 0555\n'
                'TEL:07700 900555\nEMAIL:olga@example.com\nEND:VCARD\n'
                'BEGIN:VCARD\nVERSION:3.0\nFN:Reception\nTEL;TYPE=MAIN:+44 20 7946 0555\n'
                'END:VCARD\n')
    db2 = fresh(tmp, 'same')
    status, out, _ = ctl(db2, 'import', same)
    tap.is_(out.strip(), 'Added 2, merged 1, skipped 0',
            'two cards of one file with the same number merge')
    olga = card(db2, '+44 7700 900555')
    tap.is_(olga and (olga['email'], len(olga['phones'])), ('olga@example.com', 2),
            '... into one contact with both numbers')
    tap.is_(card(db2, '+44 20 7946 0555') is None and
            lookup(db2, '+44 20 7946 0555') is None, True,
            '... while another name on a shared number stays its own contact')


def bad_files(tmp, db):
    before = dump(db)
    digest = file_hash(db)
    for name, where in [('bad-end.vcf', 'bad-end.vcf:11: END:VCARD without BEGIN'),
                        ('bad-nested.vcf', 'bad-nested.vcf:5: BEGIN:VCARD inside the card begun'),
                        ('bad-unclosed.vcf', 'bad-unclosed.vcf:6: BEGIN:VCARD has no END:VCARD'),
                        ('bad-quote.csv', 'bad-quote.csv:3: quoted cell never ends')]:
        status, out, err = ctl(db, 'import', fixture(name))
        tap.is_((status, out), (1, ''), '%s: exit status 1, no report' % name)
        tap.contains(err, 'ctidctl: ' + fixture(where.split(':')[0]) + where[len(where.split(':')[0]):],
                     '%s: the error names the line' % name)
    tap.is_(dump(db), before, 'bad files leave every contact as it was')
    tap.is_(file_hash(db), digest, '... and the file unchanged')

    maybe = os.path.join(tmp, 'maybe.vcf')
    with open(maybe, 'w') as f:
        f.write('BEGIN:VCARD\nFN:New One\nTEL:+44 20 7946 0444\nEND:VCARD\n'
                'BEGIN:VCARD\nFN:Ivan\nTEL:+44 7700 900123\nNOTE:new\nEND:VCARD\n')
    status, out, _ = ctl(db, 'import', maybe, '--dry-run')
    tap.is_(out.strip(), 'Dry run, nothing saved: would add 1, merge 1, skip 0',
            '--dry-run reports')
    tap.is_(dump(db), before, '--dry-run changes nothing')

    with open(fixture('lf-bom.vcf'), 'rb') as f:
        data = f.read()
    db3 = fresh(tmp, 'stdin')
    p = subprocess.run([CTIDCTL, '--database', db3, 'import', '-'], input=data,
                       capture_output=True, env=env)
    tap.is_((p.returncode, p.stdout.decode().strip()), (0, 'Added 1, merged 0, skipped 0'),
            'import - reads standard input')
    txt = os.path.join(tmp, 'contacts.txt')
    with open(txt, 'wb') as f:
        f.write(b'name,phone\nAnn,+44 20 7946 0999\n')
    status, out, err = ctl(db3, 'import', '--format', 'vcard', txt)
    tap.is_(status, 1, '--format vcard on a CSV is an error')
    status, out, err = ctl(db3, 'import', txt)
    tap.is_(out.strip(), 'Added 1, merged 0, skipped 0', 'a .txt with a CSV header is CSV')
    status, out, err = ctl(db3, 'import', '--format', 'xml', txt)
    tap.is_(status, 2, 'an unknown --format is a usage error')


def add_requests(db):
    """Requests and orders, which ctidctl does not make (yet): written as the daemon would."""
    sql = sqlite3.connect(db)
    sql.execute("INSERT INTO notes (contact_id, kind, text, status, created) "
                "SELECT id, 'request', 'Black shoe cream; 2 tins,\nwhen it arrives', 'open', "
                "1760000000 FROM contacts WHERE name = 'Ivan Pozdniakov'")
    sql.execute("INSERT INTO notes (contact_id, kind, text, status, created, closed) "
                "SELECT id, 'order', '--- not a marker\n\\ backslash', 'closed', 1760000100, "
                "1760000200 FROM contacts WHERE name = 'Ivan Pozdniakov'")
    sql.execute("INSERT INTO notes (contact_id, kind, text, created) "
                "SELECT id, 'note', 'Same text, another day', 1760000300 FROM contacts "
                "WHERE name = 'Marta Kowalska' UNION ALL "
                "SELECT id, 'note', 'Same text, another day', 1760000400 FROM contacts "
                "WHERE name = 'Marta Kowalska'")
    sql.commit()
    sql.close()


def round_trip(tmp, db):
    ctl(db, 'contact', 'add', '--name', 'Zażółć Gęślą', '--company', 'Comma, Inc; Semi',
        '--phone', '+44 20 7946 0777=desk; 2nd floor', '--field', 'Конто=№ 42; a, b',
        '--field', 'multi=line one\nline two', '--tag', 'a, b', '--tag', 'c;d',
        '--birthday', '02-29', '--email', 'zazolc@example.pl')
    ctl(db, 'contact', 'add', '--name', 'Shared Line', '--phone', '+44 20 7946 0018=reception')
    ctl(db, 'note', 'add', '+44 20 7946 0777', 'A note, with; everything\nand a second line')
    add_requests(db)
    want = dump(db)
    tap.ok(len(want) >= 20, 'round trip: a database of %d names from every dialect' % len(want))
    for fmt, ext in [('vcard', 'vcf'), ('csv', 'csv')]:
        out_file = os.path.join(tmp, 'export.' + ext)
        status, out, err = ctl(db, 'export', out_file)
        tap.ok(status == 0 and out.startswith('Exported '), 'export %s' % ext, err)
        tap.is_(mode(out_file), 0o600, 'export %s: mode 0600' % ext)
        target = fresh(tmp, 'roundtrip-' + fmt)
        status, out, err = ctl(target, 'import', out_file)
        tap.ok(status == 0 and 'skipped 0' in out and 'merged 0' in out,
               'round trip %s: every contact added back' % fmt, out + err)
        got = dump(target)
        tap.is_(sorted(got), sorted(want), 'round trip %s: the same names' % fmt)
        diffs = [k for k in want if want[k] != got.get(k)]
        tap.is_(diffs, [], 'round trip %s: every field of every contact' % fmt)
        for k in diffs[:3]:
            tap.diag('%s\n  want %r\n   got %r' % (k, want[k], got.get(k)))
    status, out, _ = ctl(db, 'export', '--format', 'csv')
    tap.ok(out.startswith('First Name,Middle Name,Last Name,'), 'export --format csv to stdout')
    status, out, _ = ctl(db, 'export')
    tap.ok(out.startswith('BEGIN:VCARD\r\nVERSION:3.0\r\n'), 'export: vCard 3.0 by default')


def backup_while_writing(tmp):
    db = fresh(tmp, 'busy')
    big = os.path.join(tmp, 'big.vcf')
    with open(big, 'w') as f:
        for i in range(3000):
            f.write('BEGIN:VCARD\nVERSION:3.0\nFN:Client %d\nTEL;TYPE=CELL:+44 7700 %06d\n'
                    'ORG:Firm %d\nNOTE:wants%d %s\nEND:VCARD\n' % (i, i, i, i, 'x' * 200))
    status, out, _ = ctl(db, 'import', big)
    tap.is_(out.strip(), 'Added 3000, merged 0, skipped 0', 'backup: a database of 3000 contacts')
    # A big import rebuilds the full-text indexes at the end instead of row by row.
    for query, want in [('Client 2999', 'Client 2999'), ('Firm 1234', 'Client 1234'),
                        ('wants2500', 'Client 2500'), ('7700 002998', 'Client 2998')]:
        status, out, _ = ctl(db, 'contact', 'search', query, '--json')
        names = [c['name'] for c in json.loads(out)] if status == 0 else []
        tap.ok(want in names, 'after a big import, search %r finds %s' % (query, want), names)
    ctl(db, 'contact', 'add', '--name', 'Added Afterwards', '--phone', '+44 20 7946 0666')
    status, out, _ = ctl(db, 'contact', 'search', 'Afterwards', '--json')
    tap.ok(status == 0 and 'Added Afterwards' in out, '... and new contacts are indexed again')
    writer = subprocess.Popen([ctidtest.PYTHON, '-c', '''
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
print("ready", flush=True)
end = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < end:
    db.execute("INSERT INTO calls (started, number, state) VALUES (?, '07700900123', 'missed')", (n,))
    n += 1
print(n, flush=True)
''', db, '4'], stdout=subprocess.PIPE, env=env)
    writer.stdout.readline()
    results = []

    def calls_now():
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute('SELECT count(*) FROM calls').fetchone()[0]

    for i in range(4):
        copy = os.path.join(tmp, 'backup-%d.db' % i)
        status, out, err = ctl(db, 'backup', copy)
        results.append((status, copy, err))
        # The next backup once the writer has written more since this one.
        seen = calls_now()
        ctidtest.wait_for(lambda: calls_now() > seen + 50, 2)
    written = int(writer.stdout.readline() or 0)
    writer.wait()
    tap.ok(written > 100, 'backup: another process wrote %d calls meanwhile' % written)
    calls = []
    for status, copy, err in results:
        sql = sqlite3.connect(copy)
        check = sql.execute('PRAGMA integrity_check').fetchone()[0]
        contacts = sql.execute('SELECT count(*) FROM contacts').fetchone()[0]
        calls.append(sql.execute('SELECT count(*) FROM calls').fetchone()[0])
        journal = sql.execute('PRAGMA journal_mode').fetchone()[0]
        sql.close()
        tap.ok(status == 0 and check == 'ok' and contacts == 3001,
               'backup %s: whole (%s, %d contacts)' % (os.path.basename(copy), check, contacts), err)
        tap.is_((mode(copy), journal, os.path.exists(copy + '-wal')), (0o600, 'delete', False),
                'backup %s: one private file' % os.path.basename(copy))
    tap.ok(calls == sorted(calls) and calls[-1] > 0, 'backups see the calls grow: %r' % calls)
    return db, results[-1][1]


def on_terminal(argv, answer):
    """Runs argv with a pseudo-terminal as standard input and output; types answer."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    os.write(master, answer)
    shown = b''
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return p.wait(timeout=30), shown.decode(errors='replace')


def restore(tmp):
    db = fresh(tmp, 'live')
    ctl(db, 'import', fixture('google.vcf'))
    backup = os.path.join(tmp, 'live-backup.db')
    status, out, err = ctl(db, 'backup', backup)
    tap.is_((status, out.strip()), (0, 'Backed up 2 contacts and 0 calls to ' + backup),
            'backup says what it copied')
    tap.is_(ctl(db, 'backup', db)[0], 1, 'backup refuses to overwrite the database itself')
    saved = dump(db)
    ctl(db, 'contact', 'add', '--name', 'Added Later', '--phone', '+44 20 7946 0888')
    later = dump(db)

    broken = os.path.join(tmp, 'broken.db')
    with open(backup, 'rb') as f:
        data = f.read()
    with open(broken, 'wb') as f:
        f.write(data[:len(data) // 2])
    junk = os.path.join(tmp, 'junk.db')
    with open(junk, 'wb') as f:
        f.write(os.urandom(8192))
    foreign = os.path.join(tmp, 'foreign.db')
    sql = sqlite3.connect(foreign)
    sql.execute('CREATE TABLE recipes (name TEXT)')
    sql.commit()
    sql.close()
    newer = os.path.join(tmp, 'newer.db')
    with open(newer, 'wb') as f:
        f.write(data)
    sql = sqlite3.connect(newer)
    sql.execute('PRAGMA user_version = 99')
    sql.commit()
    sql.close()
    digest = file_hash(db)
    for path, why in [(broken, ''), (junk, 'not an SQLite database'),
                      (foreign, 'not a ctid database (no table contacts)'),
                      (newer, 'schema version 99'), (os.path.join(tmp, 'missing.db'), 'No such')]:
        status, out, err = ctl(db, 'restore', path, '--yes')
        tap.ok(status == 1 and 'not restoring' in err and why in err,
               'restore refuses %s' % os.path.basename(path), err)
    tap.is_((file_hash(db), os.path.exists(db + '.before-restore')), (digest, False),
            '... and leaves the database alone')

    status, out, err = ctl(db, 'restore', backup)
    tap.ok(status == 1 and '--yes' in err, 'restore asks; without a terminal it needs --yes', err)

    for answer, want in [(b'n\n', 1), (b'y\n', 0)]:
        status, shown = on_terminal([CTIDCTL, '--database', db, 'restore', backup], answer)
        if want == 1:
            tap.ok(status == 1 and 'Replace ' + db in shown and '.before-restore' in shown
                   and '[y/N]' in shown, 'on a terminal restore asks first', shown)
            tap.is_(dump(db), later, "... and 'n' changes nothing")
        else:
            tap.is_(dump(db), saved, "... and 'y' restores")
    os.replace(db + '.before-restore', db)  # back to the later database for what follows
    ctl(db, 'contact', 'list')  # opened once by ctid's code: WAL mode again, as the daemon keeps it

    holder = sqlite3.connect(db)
    holder.execute('SELECT count(*) FROM contacts').fetchone()
    status, out, err = ctl(db, 'restore', backup, '--yes')
    tap.ok(status == 1 and 'in use' in err, 'restore refuses while another program has it open',
           err)
    holder.close()
    tap.is_(dump(db), later, '... and changes nothing')

    status, out, err = ctl(db, 'restore', backup, '--yes')
    tap.is_((status, out.strip()), (0, 'Restored 2 contacts and 0 calls from ' + backup),
            'restore --yes')
    tap.is_(dump(db), saved, 'the database is the backup again')
    tap.is_(dump(db + '.before-restore'), later, 'the old one is kept as .before-restore')
    tap.is_((mode(db), mode(db + '.before-restore')), (0o600, 0o600), 'both mode 0600')
    status, out, _ = ctl(db, 'contact', 'add', '--name', 'After Restore')
    tap.is_(status, 0, 'the restored database takes writes')

    elsewhere = os.path.join(tmp, 'new-home', 'share', 'ctid.db')
    status, out, err = ctl(elsewhere, 'restore', backup, '--yes')
    tap.is_((status, dump(elsewhere) if status == 0 else None), (0, saved),
            'restore onto a new machine (no database yet)')


with tempfile.TemporaryDirectory(prefix='ctid-test-import-') as tmp:
    os.chmod(tmp, 0o700)
    dialects = import_fixtures(tmp)
    merging(tmp)
    bad_files(tmp, dialects)
    round_trip(tmp, dialects)
    backup_while_writing(tmp)
    restore(tmp)

sys.exit(tap.done())
