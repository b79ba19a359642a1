#!/usr/bin/python3
"""ctidctl on a real SQLite file: contacts and notes round-trip, lookups as
scripts see them, exit codes, and the configuration ctid and ctidctl share.

Usage: test_ctidctl.py CTID CTIDCTL
"""

import json
import os
import resource
import signal
import stat
import subprocess
import sys
import tempfile
import threading

import ctidtest

CTID, CTIDCTL = sys.argv[1:3]
tap = ctidtest.Tap()

tmp = tempfile.mkdtemp(prefix='ctid-ctl-')
db = os.path.join(tmp, 'sub', 'ctid.db')
env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, 'config'),
           XDG_DATA_HOME=os.path.join(tmp, 'data'), TZ='UTC', LC_ALL='C.UTF-8',
           NO_COLOR='1')


def run(*args, prog=CTIDCTL, stdin=None, extra_env=None):
    e = dict(env, **(extra_env or {}))
    p = subprocess.run([prog, *args], capture_output=True, env=e, timeout=30,
                       stdin=subprocess.DEVNULL if stdin is None else None,
                       input=stdin)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def ctl(*args, **kw):
    return run('--database', db, '--region', 'GB', *args, **kw)


# Contacts round-trip.
status, out, err = ctl('contact', 'add', '--name', 'Ivan Pozdniakov', '--company',
                       'Pozdniakov & Sons', '--phone', '020 7946 0018=shop', '--phone',
                       '+44 7700 900461', '--email', 'ivan@example.org', '--birthday',
                       '07-12', '--field', 'shoe size=43', '--tag', 'wholesale')
tap.is_((status, err), (0, ''), 'contact add succeeds quietly')
ivan = int(out)
tap.is_(oct(os.stat(db).st_mode & 0o777), '0o600', 'the database is created mode 0600')
status, out, _ = ctl('note', 'add', 'pozd', 'asked for black shoe cream;', 'Generation P')
tap.is_(status, 0, 'note add by name fragment')
status, out, _ = ctl('contact', 'show', '+442079460018', '--json')
card = json.loads(out)
tap.is_((card['id'], card['name'], card['company'], card['email'], card['birthday']),
        (ivan, 'Ivan Pozdniakov', 'Pozdniakov & Sons', 'ivan@example.org', '--07-12'),
        'contact show --json gives back every field')
tap.is_([(p['label'], p['number'], p['e164'], p['formatted']) for p in card['phones']],
        [('shop', '020 7946 0018', '+442079460018', '020 7946 0018'),
         ('phone', '+44 7700 900461', '+447700900461', '07700 900461')],
        'numbers as entered, in E.164 and formatted for reading')
tap.is_((card['fields'], card['tags']), ({'shoe size': '43'}, ['wholesale']),
        'custom fields and tags')
tap.is_([(t['type'], t['text']) for t in card['timeline']],
        [('note', 'asked for black shoe cream; Generation P')],
        'the note is on the timeline, words joined')

status, out, _ = ctl('contact', 'edit', str(ivan), '--company', '', '--add-phone',
                     '0113 496 0311=home', '--remove-phone', '07700900461', '--untag',
                     'wholesale', '--field', 'shoe size=')
card = json.loads(ctl('contact', 'show', str(ivan), '--json')[1])
tap.is_((status, card['company'], [p['e164'] for p in card['phones']], card['tags'],
         card['fields']),
        (0, None, ['+442079460018', '+441134960311'], [], {}),
        'contact edit clears, adds and removes')

ctl('contact', 'add', '--name', 'Ivan Petrov', '--phone', '0161 496 0725')
status, out, err = ctl('note', 'add', 'ivan', 'x')
tap.ok(status == 1 and 'several contacts' in err and 'Ivan Petrov' in err and
       err.count('\n') >= 3, 'an ambiguous CONTACT is an error listing the candidates', err)
status, out, err = ctl('contact', 'show', 'nobody')
tap.ok(status == 1 and err.startswith('ctidctl: ') and err.count('\n') == 1,
       'an unknown contact: one line on stderr, exit 1', err)
status, out, err = ctl('contact', 'add', '--company', 'No Name')
tap.is_(status, 2, 'a missing --name is bad usage: exit 2')
status, out, err = ctl('contact', 'add', '--name', 'X', '--birthday', '1970-02-30')
tap.is_(status, 2, 'an impossible birthday is bad usage')
status, out, err = ctl('frobnicate')
tap.is_(status, 2, 'an unknown command: exit 2')
status, out, err = ctl('--help')
tap.ok(status == 0 and 'contact add' in out, '--help works')

# Search.
status, out, _ = ctl('contact', 'search', 'pozd', '--json')
tap.is_([c['name'] for c in json.loads(out)], ['Ivan Pozdniakov'], 'prefix search by name')
status, out, _ = ctl('contact', 'search', 'cream', '--json')
tap.is_([c['name'] for c in json.loads(out)], ['Ivan Pozdniakov'], 'search by note text')
status, out, _ = ctl('contact', 'search', '4960725', '--json')
tap.is_([c['name'] for c in json.loads(out)], ['Ivan Petrov'], 'search by part of a number')

# Lookup, exactly as scripts see it.
status, out, _ = ctl('lookup', '2079460018', '--json')
tap.is_(json.loads(out), {'number': '2079460018', 'e164': '+442079460018',
                          'contact': {'id': ivan, 'name': 'Ivan Pozdniakov'},
                          'ambiguous': False, 'match': 'exact', 'withheld': False,
                          'formatted': '020 7946 0018'},
        'lookup --json: the keys scripts rely on')
status, out, _ = ctl('lookup', '4960311', '--json')
tap.is_(json.loads(out)['contact'], {'id': ivan, 'name': 'Ivan Pozdniakov'},
        'the telco dropped the area code: suffix match')
status, out, _ = ctl('lookup', 'P', '--json')
tap.is_((json.loads(out)['contact'], json.loads(out)['withheld']), (None, True),
        'a withheld number matches nobody')

# Delete needs confirmation when not on a terminal.
status, out, err = ctl('contact', 'delete', 'petrov')
tap.is_(status, 1, 'delete without --yes and without a terminal is refused')
status, _, _ = ctl('contact', 'delete', 'petrov', '--yes')
tap.is_((status, ctl('contact', 'show', 'petrov')[0]), (0, 1), 'delete --yes deletes')

# The region comes from --region, the configuration, or the locale.
nodb = os.path.join(tmp, 'region.db')
status, out, _ = run('--database', nodb, 'lookup', '020 7946 0018', '--json')
tap.is_(json.loads(out)['e164'], None, 'no region: a national number has no E.164')
status, out, _ = run('--database', nodb, 'lookup', '020 7946 0018', '--json',
                     extra_env={'LANG': 'en_GB.UTF-8', 'LC_ALL': ''})
tap.is_(json.loads(out)['e164'], '+442079460018', 'LANG=en_GB: region GB')
os.makedirs(os.path.join(tmp, 'config', 'ctid'))
conf = os.path.join(tmp, 'config', 'ctid', 'ctid.conf')
with open(conf, 'w') as f:
    f.write('# test\nregion = UA\n')
status, out, _ = run('--database', nodb, 'lookup', '044 123 4567', '--json')
tap.is_(json.loads(out)['e164'], '+380441234567', 'region = UA in ctid.conf')
status, out, _ = run('--database', nodb, '--region', 'US', 'lookup', '(212) 555-0123',
                     '--json')
tap.is_(json.loads(out)['e164'], '+12125550123', '--region wins over the file')
status, _, err = run('--database', nodb, '--region', 'XX', 'lookup', '1')
tap.is_(status, 2, 'an unknown region is bad usage')

# A bad configuration names the file and the line, for ctid and ctidctl.
with open(conf, 'w') as f:
    f.write('region = GB\n\nring-timeout = soon\n[modem x]\nbaud = fast\nbogus = 1\n')
status, out, err = run('--replay', '/dev/null', prog=CTID)
tap.ok(status == 1 and '%s:3: ring-timeout' % conf in err and '%s:5: baud' % conf in err,
       'ctid names the file and line of each bad setting', err)
status, out, err = run('--database', nodb, 'lookup', '1')
tap.ok(status == 1 and conf in err, 'ctidctl refuses a bad configuration too', err)
status, out, err = run('--config', os.path.join(tmp, 'missing.conf'), '--replay', '/dev/null',
                       prog=CTID)
tap.ok(status == 1 and 'missing.conf' in err, 'a --config file that does not exist is an error',
       err)

# ctid's own command line.
status, out, err = run('--ring-timeout', '0', prog=CTID)
tap.is_(status, 2, 'ctid: a bad option value is bad usage')
status, out, err = run('--version', prog=CTID)
tap.ok(status == 0 and out.startswith('ctid '), 'ctid --version')
status, out, err = run('--help', prog=CTID)
for option in ('--device', '--device-dir', '--database', '--region', '--ring-timeout', '--bus',
               '--no-notify', '--config', '--replay', '--demo', '--list-ports', '--version'):
    tap.contains(out, option, 'ctid --help documents %s' % option)


# What follows runs with a good configuration again.
with open(conf, 'w') as f:
    f.write('region = GB\n')

# A backup that fails half-way (here: the file size limit) leaves the last
# good backup as it was and no temporary file beside it.
def fsize_limit(limit):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


bdir = os.path.join(tmp, 'backups')
os.makedirs(bdir)
bdb = os.path.join(bdir, 'big.db')
for i in range(30):
    run('--database', bdb, '--region', 'GB', 'contact', 'add', '--name', 'Big %d' % i,
        '--field', 'blob=' + 'y' * 3000)
good = os.path.join(bdir, 'good.db')
status, out, err = run('--database', bdb, 'backup', good)
tap.is_((status, err), (0, ''), 'backup to a new file')
with open(good, 'rb') as f:
    before = f.read()
p = subprocess.run([CTIDCTL, '--database', bdb, 'backup', good], capture_output=True, env=env,
                   timeout=30, stdin=subprocess.DEVNULL, preexec_fn=fsize_limit(40 * 1024))
with open(good, 'rb') as f:
    after = f.read()
tap.ok(p.returncode == 1 and b'good.db' in p.stderr, 'a backup that cannot be written fails',
       p.stderr.decode())
tap.ok(after == before, 'the previous backup is left whole (%d bytes, was %d)'
       % (len(after), len(before)))
tap.is_(sorted(os.listdir(bdir)), ['big.db', 'good.db'], 'no temporary file is left behind')
status, out, err = run('--database', bdb, 'backup', good)
tap.ok(status == 0 and out.startswith('Backed up 30 contacts'), 'a backup replaces the old one',
       err)


# export FILE where FILE is not a plain file: a FIFO and a device are
# written, not replaced; a symbolic link keeps pointing at its file, which
# gets the export.
edir = os.path.join(tmp, 'export')
os.makedirs(edir)
fifo = os.path.join(edir, 'pipe.vcf')
os.mkfifo(fifo)
got = []
reader = threading.Thread(target=lambda: got.append(open(fifo, 'rb').read()), daemon=True)
reader.start()
status, out, err = ctl('export', fifo)
reader.join(10)
tap.ok(status == 0 and got and got[0].startswith(b'BEGIN:VCARD'),
       'export to a FIFO writes into it', err)
tap.ok(stat.S_ISFIFO(os.lstat(fifo).st_mode), '... and it stays a FIFO')
real = os.path.join(edir, 'real.vcf')
with open(real, 'w') as f:
    f.write('old\n')
link = os.path.join(edir, 'link.vcf')
os.symlink('real.vcf', link)
status, out, err = ctl('export', link)
with open(real, 'rb') as f:
    data = f.read()
tap.ok(status == 0 and os.path.islink(link) and data.startswith(b'BEGIN:VCARD'),
       'export to a symbolic link writes its file; the link stays', err)
tap.is_(sorted(os.listdir(edir)), ['link.vcf', 'pipe.vcf', 'real.vcf'],
        'no temporary file is left beside either')
p = subprocess.run([CTIDCTL, '--database', db, 'export', '/dev/fd/1'], capture_output=True,
                   env=env, timeout=30, stdin=subprocess.DEVNULL)
tap.ok(p.returncode == 0 and p.stdout.startswith(b'BEGIN:VCARD') and
       p.stdout.endswith(b'END:VCARD\r\n'),
       'export /dev/fd/1 writes standard output, the export only', p.stderr.decode())
# A device that is always full: a private node where this may make one
# (root), else /dev/full itself, which an unprivileged export cannot replace.
full = os.path.join(edir, 'full')
try:
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    open(full, 'wb').close()
except OSError:
    full = '/dev/full' if os.geteuid() != 0 else None
if full is None:
    tap.skip('export to a full device', 'no device that is always full')
    tap.skip('the full device stays a device', 'no device that is always full')
else:
    status, out, err = ctl('export', full)
    tap.ok(status == 1 and full in err and 'No space left' in err,
           'export to a full device fails and says so', err)
    tap.ok(stat.S_ISCHR(os.lstat(full).st_mode), '... and the device stays a device')


# A tag holding ":::", which CSV files use between tags, would come back as
# two tags: refused, and nothing is saved.
status, out, err = ctl('contact', 'add', '--name', 'Colon Tagged', '--tag', 'x:::y')
tap.ok(status == 1 and ':::' in err and 'x:::y' in err, 'contact add refuses a tag with :::',
       err)
tap.is_(ctl('contact', 'show', 'Colon Tagged')[0], 1, '... and adds no contact')
status, out, err = ctl('contact', 'edit', 'pozdniakov', '--tag', 'a ::: b')
tap.ok(status == 1 and ':::' in err, 'contact edit refuses it too', err)

# Numbers are numbers; options a subcommand has no use for are refused.
for bad in ('5abc', '4294967297', '0', '-1', ''):
    status, out, err = ctl('contact', 'search', 'ivan', '--limit', bad)
    tap.ok(status == 2 and '--limit' in err, 'contact search --limit %r is refused' % bad, err)
status, out, _ = ctl('contact', 'search', 'ivan', '--limit', '1', '--json')
tap.is_((status, len(json.loads(out))), (0, 1), 'contact search --limit 1')
for opt, args in (('--name', ('list', '--name', 'Nobody')),
                  ('--company', ('list', '--company', 'Nothing')),
                  ('--limit', ('list', '--limit', '5')),
                  ('--tag', ('search', 'ivan', '--tag', 'a')),
                  ('--name', ('delete', 'pozdniakov', '--name', 'x', '--yes')),
                  ('--yes', ('add', '--name', 'X', '--yes')),
                  ('--untag', ('add', '--name', 'X', '--untag', 'a')),
                  ('--limit', ('edit', 'pozdniakov', '--limit', '2'))):
    status, out, err = ctl('contact', *args)
    tap.ok(status == 2 and opt in err, 'contact %s: %s is refused' % (args[0], opt), err)
tap.is_(ctl('contact', 'show', 'pozdniakov')[0], 0, '... and nothing was deleted')
for name, tags in (('Tag A', ['a']), ('Tag B', ['b']), ('Tag AB', ['a', 'b'])):
    ctl('contact', 'add', '--name', name, *sum([['--tag', t] for t in tags], []))
status, out, _ = ctl('contact', 'list', '--tag', 'a', '--tag', 'b', '--json')
tap.is_((status, [c['name'] for c in json.loads(out)]), (0, ['Tag AB']),
        'contact list --tag a --tag b: contacts with both')
status, out, _ = ctl('contact', 'list', '--tag', 'b', '--json')
tap.is_([c['name'] for c in json.loads(out)], ['Tag AB', 'Tag B'], 'contact list --tag b')


# An export that cannot hold all a contact has says so, naming the contact
# and what was left out, and exits 1; the rest is written.
ldb = os.path.join(tmp, 'lossy.db')
lid = run('--database', ldb, '--region', 'GB', 'contact', 'add', '--name', 'Many Numbers')[1]
lid = lid.strip()
for start in range(0, 107, 30):
    phones = sum([['--add-phone', '+44 20 7946 %04d' % i]
                  for i in range(start, min(start + 30, 107))], [])
    run('--database', ldb, '--region', 'GB', 'contact', 'edit', lid, *phones)
run('--database', ldb, '--region', 'GB', 'contact', 'add', '--name', 'Long Field', '--field',
    'k' * 1020 + '=v', '--tag', 'ok')
card = json.loads(run('--database', ldb, 'contact', 'show', lid, '--json')[1])
tap.is_(len(card['phones']), 107, 'a contact with 107 numbers')
for ext in ('vcf', 'csv'):
    out_file = os.path.join(tmp, 'lossy.' + ext)
    status, out, err = run('--database', ldb, 'export', out_file)
    tap.ok(status == 1 and 'Many Numbers' in err and '43 phone numbers' in err and
           'Long Field' in err and 'field' in err and os.path.exists(out_file),
           'export %s: what is left out is named, exit 1, the file is written' % ext, err)


# A phone cell holding several numbers gives each its own number; what the
# parser cannot read of a cell is reported with its line, not dropped.
mdb = os.path.join(tmp, 'multi.db')
mcsv = os.path.join(tmp, 'multi.csv')
with open(mcsv, 'w') as f:
    f.write('Name,Phone\n'
            'Slash,"020 7946 0499 / 020 7946 0498"\n'
            'Semicolon,"020 7946 0599; 020 7946 0598"\n'
            'Or,"+44 20 7946 0699 or +44 20 7946 0698"\n'
            'Lines,"020 7946 0799\n020 7946 0798"\n'
            'Reception,"020 7946 0899 (reception only)"\n'
            'Area,"030/1234567"\n')
status, out, err = run('--database', mdb, '--region', 'GB', 'import', mcsv)
tap.ok(status == 0 and out.startswith('Added 6,'), 'a file with several numbers in a cell',
       out + err)
for number, name in (('020 7946 0499', 'Slash'), ('020 7946 0498', 'Slash'),
                     ('020 7946 0599', 'Semicolon'), ('020 7946 0598', 'Semicolon'),
                     ('020 7946 0699', 'Or'), ('020 7946 0698', 'Or'),
                     ('020 7946 0799', 'Lines'), ('020 7946 0798', 'Lines')):
    _, out, _ = run('--database', mdb, '--region', 'GB', 'lookup', number, '--json')
    tap.is_((json.loads(out)['contact'] or {}).get('name'), name,
            'lookup %s: %s' % (number, name))
card = json.loads(run('--database', mdb, 'contact', 'show', 'Slash', '--json')[1])
tap.is_(sorted(p['e164'] for p in card['phones']), ['+442079460498', '+442079460499'],
        'each number of a split cell is a valid number of its own')
tap.ok('%s:7:' % mcsv in err and 'reception only' in err,
       'what is not read of a cell is reported with its line', err)
card = json.loads(run('--database', mdb, 'contact', 'show', 'Area', '--json')[1])
tap.is_([p['number'] for p in card['phones']], ['030/1234567'],
        'a slash without spaces inside a number is no separator')


# restore refuses a file with ctid's table names but not its columns, and
# the database stays as it was.
foreign = os.path.join(tmp, 'foreign.db')
subprocess.run(['/usr/bin/python3', '-c', """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for t in ('contacts', 'phones', 'notes', 'calls', 'contact_fields', 'contact_tags',
          'reminders'):
    c.execute('CREATE TABLE %s(x)' % t)
c.execute('PRAGMA user_version = 1')
c.commit()
""", foreign], check=True)
status, out, err = ctl('restore', foreign, '--yes')
tap.ok(status == 1 and 'not a ctid database' in err and 'column' in err,
       'restore refuses a foreign file with the same table names', err)
status, out, err = ctl('contact', 'list', '--json')
tap.ok(status == 0 and 'Ivan Pozdniakov' in out, '... and the database is as it was', err)

subprocess.run(['rm', '-rf', tmp])
sys.exit(tap.done())
