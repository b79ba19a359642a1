#!/usr/bin/python3
"""Every example in README.md and the man pages runs as written.

The fenced blocks say what they are by their info string:

    ```ini             a configuration file: ctid --check-config accepts it
    ```sh              commands, run one by one in the order of the document;
                       each must succeed
    ```sh until-stopped  commands that run until stopped: each must start and
                       keep running
    ```sh ctid-stopped commands for when the daemon is not running
    ```console         "$ command" lines, each followed by the output it prints
                       (a line of expected output may hold "…": any text)
    ```sh no-test: WHY not run here, for the reason given (the Quick start,
                       which is the test suite itself; the benchmarks)

In the man pages (scdoc), the blocks of ctid.conf(5) are configuration files
and those of ctid(1) and ctidctl(1) commands. The commands run in one shared
setting, as a new user would have it: a fresh home folder and database, a
private session bus with a notification server, and ctid running with a
simulated modem that has already rung (call 1 from 020 7946 0018, call 2
withheld), its web page on the default address (127.0.0.1:8733, which must
be free). Each command's standard input is a terminal on which "y" has been
typed, for those that ask. Files the examples import are copied from
tests/fixtures.

Usage: test_examples.py SOURCE_ROOT BUILD_DIR
"""

import os
import pty
import re
import shlex
import shutil
import subprocess
import sys

import ctidtest

ROOT, BUILD = (os.path.abspath(p) for p in sys.argv[1:3])
CTID = os.path.join(BUILD, 'ctid', 'ctid')
CTIDCTL = os.path.join(BUILD, 'ctid', 'ctidctl')
MODEMSIM = os.path.join(BUILD, 'tests', 'modemsim')
tap = ctidtest.Tap()
FENCE = re.compile(r'^(\s*)```(.*)$')


def blocks(path):
    """(kind, attributes, first line number, lines) of each fenced block."""
    out = []
    with open(path) as f:
        lines = f.read().splitlines()
    i = 0
    scd = path.endswith('.scd')
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, info = m.group(1), m.group(2).strip()
        start = i + 1
        i += 1
        body = []
        while i < len(lines) and not FENCE.match(lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        if scd:
            info = 'ini' if os.path.basename(path).startswith('ctid.conf') else 'sh'
        kind, _, attrs = info.partition(' ')
        if kind in ('ini', 'sh', 'console'):
            out.append((kind, attrs.strip(), start, body))
    return out


def commands(body):
    """The commands of a sh block: continuation lines joined, comments dropped."""
    out, pending = [], ''
    for line in body:
        if pending:
            line = pending + ' ' + line.strip()
            pending = ''
        if line.rstrip().endswith('\\'):
            pending = line.rstrip()[:-1].rstrip()
            continue
        if line.strip() and not line.strip().startswith('#'):
            out.append(line.strip())
    return out


def first_word(command):
    try:
        return shlex.split(command, comments=True)[0]
    except (ValueError, IndexError):
        return ''


def matches(expected, got):
    pattern = '^' + '.*'.join(re.escape(part) for part in expected.split('…')) + '$'
    return re.match(pattern, got) is not None


sources = [os.path.join(ROOT, 'README.md')] + sorted(
    os.path.join(ROOT, 'doc', f) for f in os.listdir(os.path.join(ROOT, 'doc'))
    if f.endswith('.scd'))
found = [(os.path.relpath(p, ROOT), b) for p in sources for b in blocks(p)]
tap.ok(any(k == 'ini' for _, (k, _, _, _) in found) and
       any(k == 'sh' for _, (k, _, _, _) in found), 'the documents have examples of each kind',
       found)

with ctidtest.Harness(timeout=300) as h:
    home = h.mkdtemp('home')
    work = h.mkdtemp('work')
    dev = h.mkdtemp('dev')
    for src, dst in (('contacts/google.vcf', 'contacts.vcf'), ('contacts/google-new.csv',
                                                               'google.csv')):
        shutil.copy(os.path.join(ROOT, 'tests', 'fixtures', src), os.path.join(work, dst))
    bus = h.session_bus()
    server = h.notification_server(bus, caps=['actions', 'body'])
    env = bus.env(HOME=home, XDG_CONFIG_HOME=os.path.join(home, '.config'),
                  XDG_DATA_HOME=os.path.join(home, '.local', 'share'), TZ='Europe/London',
                  LANG='en_GB.UTF-8', LC_ALL='', NO_COLOR='1',
                  PATH=os.path.join(BUILD, 'ctid') + os.pathsep + os.environ['PATH'])
    env.pop('LC_ALL')
    sim = h.spawn_lines([MODEMSIM, '--interval', '200', '--link',
                         os.path.join(dev, 'conexant-ttyACM0')], log_name='sim.log')
    sim.expect('ready')
    monitor = h.monitor(CTIDCTL, env)
    daemon = None

    def start_daemon():
        global daemon
        # on the default address, as a new user's: the examples use it
        daemon = h.spawn([CTID, '--device-dir', dev, '--ring-timeout', '1', '-v'], env=env,
                         log_name='ctid.log')
        if not monitor.expect('{"event":"ModemAdded"', 10):
            tap.bail('the daemon did not start: ' + daemon.log())

    def stop_daemon():
        daemon.popen.terminate()
        daemon.popen.wait(10)

    start_daemon()
    # Calls a new user's log would hold: call 1 from 020 7946 0018, call 2 withheld.
    for number in ('02079460018', 'P'):
        sim.send('call %s rings=1' % number)
        if not monitor.expect('{"event":"CallEnded"', 10):
            tap.bail('the simulated call from %s did not end' % number)

    def run(command, name):
        missing = ctidtest.require(first_word(command))
        if missing and not os.path.exists(os.path.join(BUILD, 'ctid', missing)):
            tap.ok(False, '%s: %s is not installed' % (name, missing))
            return None
        # On a terminal, as a person types them: a command that asks
        # ("Merge? [y/N]") reads the "y" already typed.
        master, slave = pty.openpty()
        os.write(master, b'y\n')
        try:
            return subprocess.run(['bash', '-c', command], cwd=work, env=env,
                                  capture_output=True, text=True, timeout=60, stdin=slave)
        finally:
            os.close(slave)
            os.close(master)

    for doc, (kind, attrs, line, body) in found:
        where = '%s:%d' % (doc, line)
        if attrs.startswith('no-test'):
            tap.diag('%s not run: %s' % (where, attrs.partition(':')[2].strip()))
            continue
        if kind == 'ini':
            conf = os.path.join(work, 'example.conf')
            with open(conf, 'w') as f:
                f.write('\n'.join(body) + '\n')
            p = subprocess.run([CTID, '--config', conf, '--check-config'], env=env,
                               capture_output=True, text=True)
            tap.ok(p.returncode == 0, '%s: ctid accepts the configuration' % where,
                   p.stderr)
        elif kind == 'console':
            i = 0
            while i < len(body):
                if not body[i].startswith('$ '):
                    i += 1
                    continue
                command = body[i][2:]
                want = []
                i += 1
                while i < len(body) and not body[i].startswith('$ '):
                    want.append(body[i])
                    i += 1
                p = run(command, where)
                if p is None:
                    continue
                got = p.stdout.rstrip('\n').split('\n') if p.stdout else []
                tap.ok(p.returncode == 0 and len(got) == len(want) and
                       all(matches(w, g) for w, g in zip(want, got)),
                       '%s: %s prints what the document says' % (where, command),
                       'exit %d\n%s\n%s' % (p.returncode, p.stdout, p.stderr))
        elif attrs == 'until-stopped':
            for command in commands(body):
                proc = h.spawn(['bash', '-c', command], env=env, cwd=work,
                               stdout=subprocess.DEVNULL, log_name='until-stopped.log')
                alive = not ctidtest.wait_for(lambda: not proc.alive(), 1.0)
                tap.ok(alive, '%s: %s runs until stopped' % (where, command), proc.log())
                proc.stop()
        else:
            if attrs == 'ctid-stopped':
                stop_daemon()
            for command in commands(body):
                p = run(command, where)
                if p is not None:
                    tap.ok(p.returncode == 0, '%s: %s' % (where, command),
                           'exit %d\n%s%s' % (p.returncode, p.stdout[-1500:], p.stderr))
            if attrs == 'ctid-stopped':
                start_daemon()
    tap.lacks(daemon.log() if daemon else '', 'error:', 'the daemon logged no error meanwhile')

sys.exit(tap.done())
