#!/usr/bin/python3
"""ctidctl on a real SQLite file: contacts and notes round-trip, lookups as
scripts see them, exit codes, and the configuration ctid and ctidctl share.

Usage: test_ctidctl.py CTID CTIDCTL
"""

import json
import os
import subprocess
import sys
import tempfile

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

subprocess.run(['rm', '-rf', tmp])
sys.exit(tap.done())
