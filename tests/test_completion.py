#!/usr/bin/python3
"""The bash completion for ctidctl, in a real bash.

Sources ctid/data/ctidctl.bash-completion in a non-interactive bash, sets
COMP_WORDS and COMP_CWORD as readline would, calls _ctidctl and reads
COMPREPLY: commands, subcommands, options and their values, and contact
names from a real database through the ctidctl under test.

Usage: test_completion.py COMPLETION_SCRIPT CTIDCTL
"""

import os
import shutil
import subprocess
import sys
import tempfile

import ctidtest

SCRIPT, CTIDCTL = sys.argv[1:3]
tap = ctidtest.Tap()
if shutil.which('bash') is None:
    tap.skip_all('bash is not installed')
env = dict(os.environ, TZ='UTC', XDG_CONFIG_HOME='/nonexistent')

DRIVER = r'''
source "$1" || exit 3
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
_ctidctl || exit 4
printf '%s\n' "${COMPREPLY[@]}"
'''


def complete(*words):
    """What bash offers for the last word of words."""
    p = subprocess.run(['bash', '--norc', '--noprofile', '-c', DRIVER, 'complete', SCRIPT,
                        *words], capture_output=True, text=True, env=env, timeout=30)
    if p.returncode != 0 or p.stderr:
        tap.diag('exit %d: %s' % (p.returncode, p.stderr))
        return None
    return [l for l in p.stdout.split('\n') if l]


p = subprocess.run(['bash', '--norc', '--noprofile', '-c',
                    'source "$1" && complete -p ctidctl', 'load', SCRIPT],
                   capture_output=True, text=True, env=env, timeout=30)
tap.ok(p.returncode == 0 and p.stderr == '' and '-F _ctidctl' in p.stdout,
       'the script loads in bash and registers _ctidctl for ctidctl', p.stderr)

tap.is_(complete('ctidctl', 'req'), ['request'], 'ctidctl req<TAB> -> request')
tap.is_(complete('ctidctl', 're'), ['request', 'reminder', 'reminders', 'report', 'restore'],
        're<TAB>: every command starting so')
tap.ok({'contact', 'note', 'request', 'order', 'reminder', 'reminders', 'missed', 'report',
        'calls', 'lookup', 'import', 'export', 'backup', 'restore', 'monitor', 'status',
        'callback'} <= set(complete('ctidctl', '') or []), 'every command')
tap.is_(complete('ctidctl', 'export', '--format', ''), ['vcard', 'csv'], 'export --format')
tap.is_(complete('ctidctl', 'request', ''), ['add', 'list', 'close', 'arrived'],
        'request subcommands')
tap.is_(complete('ctidctl', 'contact', 'm'), ['merge'], 'contact m<TAB> -> merge')
tap.is_(complete('ctidctl', 'request', 'arrived', '--c'), ['--close'],
        'request arrived --c<TAB> -> --close')
tap.is_(complete('ctidctl', 'reminder', 'add', 'x', '--'),
        ['--date', '--yearly', '--notice', '--database', '--region', '--json', '--help'],
        'reminder add: its options and the common ones')
tap.is_(complete('ctidctl', 'missed', '--n'), ['--no-unknown'], 'missed --n<TAB>')
tap.is_(complete('ctidctl', 'calls', '--state', 'u'), ['unknown'], 'values of --state')
tap.is_(complete('ctidctl', '--database', 'x.db', 'rep'), ['report'],
        'global options before the command are skipped')
tap.is_(complete('ctidctl', 'report', '--since', 'to'), ['today'], 'values of --since')

with tempfile.TemporaryDirectory(prefix='ctid-test-completion-') as tmp:
    db = os.path.join(tmp, 'ctid.db')
    for name in ('Ivan Pozdniakov', 'Ivana Petrova', 'Maria Ivanova'):
        subprocess.run([CTIDCTL, '--database', db, 'contact', 'add', '--name', name],
                       capture_output=True, env=env, check=True)
    line = [CTIDCTL, '--database', db]
    tap.is_(complete(*line, 'note', 'add', 'Iv'), ['Ivan\\ Pozdniakov', 'Ivana\\ Petrova'],
            'CONTACT: names starting with the word, quoted for the shell')
    tap.is_(complete(*line, 'note', 'add', 'pozd'), ['Ivan\\ Pozdniakov'],
            'CONTACT: a later word of the one matching name')
    tap.is_(complete(*line, 'contact', 'merge', 'Ivan\\ Pozdniakov', 'Ivana'),
            ['Ivana\\ Petrova'], 'contact merge: the second CONTACT too')
    tap.is_(complete(*line, 'contact', 'merge', 'a', 'b', 'Iv'), [],
            'contact merge: no third CONTACT')
    tap.is_(complete(*line, 'calls', '--contact', 'Mar'), ['Maria\\ Ivanova'],
            'calls --contact: names')
    tap.is_(complete(*line, 'note', 'add', ''), [], 'no names before a letter is typed')
    tap.is_(complete(*line, 'request', 'list', 'Iv'), [], 'no names where no CONTACT goes')

sys.exit(tap.done())
