#!/usr/bin/python3
"""The command line wins over the configuration file, at start-up and after
every SIGHUP: for each option that has a key in ctid.conf, the file says one
thing and the command line another, and the daemon's Settings property
(ctidctl status --json) shows the command line's, before and after a
reload. Lookups follow the command line's region after a reload too. Bad
option values are refused with exit status 2 by the same checks as the
file's.

Usage: test_settings.py CTID CTIDCTL MODEMSIM
"""

import json
import os
import signal
import subprocess
import sys

import ctidtest

CTID, CTIDCTL, MODEMSIM = (os.path.abspath(p) for p in sys.argv[1:4])
tap = ctidtest.Tap()
missing = ctidtest.require('dbus-daemon')
if missing:
    tap.skip_all('%s is not installed' % missing)


def status(env):
    p = subprocess.run([CTIDCTL, 'status', '--json'], capture_output=True, env=env, text=True,
                       timeout=20)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return None


def lookup(env, number):
    p = subprocess.run(['dbus-send', '--session', '--print-reply', '--dest=org.ctid.Ctid1',
                        '/org/ctid/Ctid1', 'org.ctid.Ctid1.Lookup', 'string:' + number],
                       capture_output=True, env=env, text=True, timeout=20)
    return p.stdout


with ctidtest.Harness(timeout=120) as h:
    tmp = h.mkdtemp('settings')
    conf_dir = os.path.join(tmp, 'config', 'ctid')
    os.makedirs(conf_dir)
    conf = os.path.join(conf_dir, 'ctid.conf')
    file_db = os.path.join(tmp, 'file.db')
    cmd_db = os.path.join(tmp, 'cmd.db')
    file_dev = os.path.join(tmp, 'file-dev')
    cmd_dev = os.path.join(tmp, 'cmd-dev')
    for d in (file_dev, cmd_dev):
        os.mkdir(d)
    sim = h.spawn_lines([MODEMSIM, '--link', os.path.join(cmd_dev, 'shop')], log_name='sim.log')
    sim.expect('ready')
    file_settings = {
        'database': file_db,
        'region': 'GB',
        'ring-timeout': '30',
        'bus': 'none',
        'notify': 'yes',
        'device-dir': file_dev,
        'device': os.path.join(file_dev, 'ttyFILE'),
        'listen': 'none',
        'tls-cert': os.path.join(tmp, 'file.crt'),
        'tls-key': os.path.join(tmp, 'file.key'),
        'verbose': '0',
    }
    # Every option with a key of the file, given the other value.
    options = {
        'database': ['--database', cmd_db],
        'region': ['--region', 'US'],
        'ring-timeout': ['--ring-timeout', '3'],
        'bus': ['--bus', 'session'],
        'notify': ['--no-notify'],
        'device-dir': ['--device-dir', cmd_dev],
        'device': ['--device', os.path.join(cmd_dev, 'shop')],
        'listen': ['--listen', '127.0.0.1:0'],
        'tls-cert': ['--tls-cert', os.path.join(tmp, 'cmd.crt')],
        'tls-key': ['--tls-key', os.path.join(tmp, 'cmd.key')],
        'verbose': ['-v'],
    }
    want = {'database': cmd_db, 'region': 'US', 'ring-timeout': '3', 'bus': 'session',
            'notify': 'no', 'device-dir': cmd_dev, 'device': [os.path.join(cmd_dev, 'shop')],
            'listen': ['127.0.0.1:0'], 'tls-cert': os.path.join(tmp, 'cmd.crt'),
            'tls-key': os.path.join(tmp, 'cmd.key'), 'verbose': '1'}

    def write_file(extra=''):
        with open(conf, 'w') as f:
            for k, v in file_settings.items():
                f.write('%s = %s   # the file\'s\n' % (k, v))
            f.write(extra)

    write_file()
    subprocess.run([CTIDCTL, '--database', cmd_db, 'contact', 'add', '--name', 'Sam Spade',
                    '--phone', '+1 212 555 0142'], check=True, capture_output=True,
                   env=dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, 'nothing')))
    bus = h.session_bus()
    env = bus.env(XDG_CONFIG_HOME=os.path.join(tmp, 'config'), TZ='UTC')
    argv = [CTID] + [a for opt in options.values() for a in opt]
    daemon = h.spawn(argv, env=env, log_name='ctid.log')
    st = ctidtest.wait_for(lambda: daemon.alive() and status(env), 10)
    if not tap.ok(st and 'settings' in st, 'the daemon runs with the file and the options',
                  daemon.log()):
        tap.bail('no daemon')
    for key in options:
        tap.is_(st['settings'].get(key), want[key], 'at start-up: %s is the command line\'s'
                % key)
    tap.contains(lookup(env, '2125550142'), '(212) 555-0142',
                 'a lookup formats as the command line\'s region (US) says')

    # The file changes, and ctid is told to read it again.
    write_file('reminder-time = 07:45\n')
    daemon.popen.send_signal(signal.SIGHUP)
    st = ctidtest.wait_for(lambda: (status(env) or {}).get('settings', {})
                           .get('reminder-time') == '07:45' and status(env), 10)
    tap.ok(st, 'SIGHUP reads the file again (reminder-time from the file)', status(env))
    for key in options:
        tap.is_((st or {}).get('settings', {}).get(key), want[key],
                'after SIGHUP: %s is still the command line\'s' % key)
    tap.contains(lookup(env, '2125550142'), '(212) 555-0142',
                 'after SIGHUP lookups still use the command line\'s region')
    sim.send('call 2125550142 rings=1')
    tap.ok(sim.expect('event call', 10) and ctidtest.wait_for(
        lambda: 'Sam Spade' in subprocess.run([CTIDCTL, '--database', cmd_db, 'calls'],
                                              capture_output=True, text=True).stdout, 10),
           'calls go to the command line\'s database, from its device, matched as in US')

    # A broken file keeps the settings in effect.
    write_file('region = Atlantis\n')
    daemon.popen.send_signal(signal.SIGHUP)
    tap.ok(ctidtest.wait_for(lambda: 'keeping the old settings' in daemon.log(), 10),
           'a broken file on SIGHUP is refused')
    tap.contains(daemon.log(), 'region: unknown region', 'and the log says what is wrong')
    tap.contains(lookup(env, '2125550142'), '(212) 555-0142',
                 'the settings in effect stay (lookups as in US)')
    daemon.popen.terminate()
    tap.is_(daemon.popen.wait(10), 0, 'the daemon ends cleanly')

    # Bad values on the command line: the file's checks, exit status 2.
    write_file()
    for opt, value, says in (('--region', 'Atlantis', 'unknown region'),
                             ('--ring-timeout', '0', 'from 1 to 120'),
                             ('--ring-timeout', 'soon', 'from 1 to 120'),
                             ('--bus', 'tram', 'session, system or none'),
                             ('--listen', 'everywhere', 'ADDRESS:PORT'),
                             ('--listen', '::1:8733', 'in brackets'),
                             ('--listen', '127.0.0.1:70000', 'from 0')):
        p = subprocess.run([CTID, opt, value, '--replay', '/dev/null'], capture_output=True,
                           env=env, text=True, timeout=10)
        tap.ok(p.returncode == 2 and opt in p.stderr and says in p.stderr,
               '%s %s is refused: %s' % (opt, value, p.stderr.strip().splitlines()[:1]),
               p.stderr)

sys.exit(tap.done())
