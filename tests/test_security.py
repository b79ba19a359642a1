#!/usr/bin/python3
"""Who may touch the data, and what callers' text can do.

- System-bus mode: a private system bus loads ctid's own policy file
  (ctid/data/org.ctid.Ctid1.conf); another user may look numbers up and read
  the log, but may not add notes, mark calls handled or dial, unless they
  are in group ctid. The clients really run as user nobody (setpriv).
- A caller whose name is full of shell syntax: it is logged, announced and
  shown literally, and runs nothing, also through the popup buttons.
- The database and its WAL files are private (0600).
- The hardened system unit passes systemd-analyze verify.

Usage: test_security.py CTID CTIDCTL MODEMSIM POLICY SYSTEM_UNIT
"""

import grp
import json
import os
import shutil
import stat
import subprocess
import sys

import ctidtest

CTID, CTIDCTL, MODEMSIM, POLICY, UNIT = (os.path.abspath(p) for p in sys.argv[1:6])
tap = ctidtest.Tap()
if ctidtest.require('dbus-daemon', 'dbus-send'):
    tap.skip_all('dbus-daemon is not installed')

# Modelled on Debian's /usr/share/dbus-1/system.conf: deny by default, then
# the service's own policy file is included.
SYSTEM_CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%(socket)s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
  </policy>
  <includedir>%(policies)s</includedir>
</busconfig>
'''


def as_user(argv, env, groups=None):
    """Runs argv as nobody (with the given supplementary groups)."""
    cmd = ['setpriv', '--reuid=nobody', '--regid=nogroup']
    cmd += ['--groups=' + ','.join(str(g) for g in groups)] if groups else ['--clear-groups']
    return subprocess.run(cmd + argv, env=env, capture_output=True, text=True, timeout=30)


def dbus_send(env, method, *args, groups=None):
    p = as_user(['dbus-send', '--system', '--print-reply', '--dest=org.ctid.Ctid1',
                 '/org/ctid/Ctid1', 'org.ctid.Ctid1.' + method, *args], env, groups)
    return p.returncode, p.stdout + p.stderr


with ctidtest.Harness(timeout=180) as h:
    tmp = h.mkdtemp('security')
    os.chmod(h.dir, 0o755)
    os.chmod(tmp, 0o755)
    db = os.path.join(tmp, 'ctid.db')
    env = dict(os.environ, XDG_CONFIG_HOME=tmp, TZ='UTC')
    subprocess.run([CTIDCTL, '--database', db, '--region', 'GB', 'contact', 'add', '--name',
                    'Ivan Pozdniakov', '--phone', '020 7946 0018'], env=env, check=True,
                   capture_output=True)

    # Files stay private.
    subprocess.run([CTIDCTL, '--database', db, 'note', 'add', '1', 'x'], env=env,
                   capture_output=True)
    modes = {os.path.basename(p): stat.S_IMODE(os.stat(p).st_mode)
             for p in (db, db + '-wal', db + '-shm') if os.path.exists(p)}
    tap.ok(modes and all(m == 0o600 for m in modes.values()),
           'the database and its WAL files are 0600', modes)

    # System-bus mode with the real policy file.
    can_switch = (os.geteuid() == 0 and shutil.which('setpriv') and
                  subprocess.run(['setpriv', '--reuid=nobody', '--regid=nogroup',
                                  '--clear-groups', 'true']).returncode == 0)
    if not can_switch:
        for what in ('Lookup', 'AddNote', 'MarkHandled', 'Dial', 'group ctid'):
            tap.skip('system bus policy: %s' % what, 'needs root to act as another user')
    else:
        try:
            ctid_gid = grp.getgrnam('ctid').gr_gid
        except KeyError:
            subprocess.run(['groupadd', '--system', 'ctid'], check=True)
            ctid_gid = grp.getgrnam('ctid').gr_gid
        policies = h.mkdtemp('policies')
        shutil.copy(POLICY, policies)
        socket = os.path.join(tmp, 'system_bus_socket')
        config = os.path.join(tmp, 'system.conf')
        with open(config, 'w') as f:
            f.write(SYSTEM_CONFIG % {'socket': socket, 'policies': policies})
        bus = h.spawn(['dbus-daemon', '--config-file=' + config, '--nofork',
                       '--print-address=1'], log_name='system-bus.log',
                      stdout=subprocess.PIPE)
        bus.popen.stdout.readline()
        os.chmod(socket, 0o666)
        senv = dict(env, DBUS_SYSTEM_BUS_ADDRESS='unix:path=' + socket)
        daemon = h.spawn([CTID, '--listen', '127.0.0.1:0', '--bus', 'system', '--no-notify', '--database', db,
                          '--region', 'GB', '--device-dir', tmp + '/none'], env=senv,
                         log_name='ctid.log')
        ctidtest.wait_for(lambda: dbus_send(senv, 'ListModems')[0] == 0, 10)

        status, out = dbus_send(senv, 'Lookup', 'string:02079460018')
        tap.ok(status == 0 and 'Ivan Pozdniakov' in out,
               'another user may look a number up', out)
        status, out = dbus_send(senv, 'AddNote', 'string:1', 'string:sneaky')
        tap.ok(status != 0 and 'AccessDenied' in out, 'but not add a note', out)
        status, out = dbus_send(senv, 'MarkHandled', 'int64:1')
        tap.ok(status != 0 and 'AccessDenied' in out, 'nor mark calls handled', out)
        status, out = dbus_send(senv, 'Dial', 'string:0900')
        tap.ok(status != 0 and 'AccessDenied' in out, 'nor make the modem dial', out)
        status, out = dbus_send(senv, 'AddNote', 'string:1', 'string:from the team',
                                groups=[ctid_gid])
        tap.ok(status == 0 and 'int64' in out, 'a member of group ctid may add notes', out)
        p = subprocess.run([CTIDCTL, '--database', db, 'contact', 'show', '1', '--json'],
                           env=env, capture_output=True, text=True)
        texts = [t.get('text') for t in json.loads(p.stdout)['timeline']]
        tap.ok('from the team' in texts and 'sneaky' not in texts,
               'only the allowed note reached the database', texts)

    # A caller whose name is shell syntax.
    devdir = h.mkdtemp('dev')
    bus = h.session_bus()
    server = h.notification_server(bus, caps=['actions', 'body', 'body-markup'])
    marker = os.path.join(tmp, 'PWNED')
    with open(os.path.join(tmp, 'ctid.conf'), 'w'):
        pass
    os.makedirs(os.path.join(tmp, 'ctid'), exist_ok=True)
    opened = os.path.join(tmp, 'opened')
    with open(os.path.join(tmp, 'ctid', 'ctid.conf'), 'w') as f:
        f.write('open-card = /usr/bin/touch "%s-{contact}-{number}-{call}"\n' % opened)
    sim = h.spawn_lines([MODEMSIM, '--interval', '300', '--link',
                         os.path.join(devdir, 'conexant-ttyACM0')], log_name='sim.log')
    sim.expect('ready')
    benv = bus.env(XDG_CONFIG_HOME=tmp, TZ='UTC')
    # In the daemon's folder, a shell would make PWNED: short enough that the
    # name goes whole through a caller-ID line.
    daemon = h.spawn([CTID, '--listen', '127.0.0.1:0', '--device-dir', devdir, '--database', db, '--region', 'GB',
                      '--ring-timeout', '1', '-v', '-v'], env=benv, log_name='ctid-shell.log',
                     cwd=tmp)
    ctidtest.wait_for(lambda: 'caller ID via' in daemon.log(), 10)
    evil = '$(touch PWNED);`touch PWNED`|touch PWNED&&x<b>'
    sim.send('call 02079460018 "%s" rings=2' % evil)
    sim.expect('event call', 10)
    pops = server.wait_notify(2, 10)
    nid = pops[-1].replaces_id if pops else 0
    tap.ok(ctidtest.popup_shown(daemon, nid), 'the popup is shown')
    server.action_invoked(nid, 'open-card')
    ctidtest.wait_for(lambda: any(f.startswith('opened-') for f in os.listdir(tmp)), 5)
    p = subprocess.run([CTIDCTL, '--database', db, 'calls', '--json', '--limit', '1'], env=env,
                       capture_output=True, text=True)
    logged = json.loads(p.stdout)[0]['name']
    tap.is_(logged, evil, 'the name is logged literally, whole')
    tap.ok(not os.path.exists(marker), 'nothing in the name was run by a shell')
    tap.ok(any(f.startswith('opened-#1-02079460018-') for f in os.listdir(tmp)),
           'the popup button ran its command with plain arguments', os.listdir(tmp))

    # The hardened system unit.
    if shutil.which('systemd-analyze'):
        unit = os.path.join(tmp, 'ctid-system.service')
        with open(UNIT) as src, open(unit, 'w') as dst:
            text = src.read()
            dst.write(text.replace(text.split('ExecStart=')[1].split()[0], '/bin/true'))
        p = subprocess.run(['systemd-analyze', 'verify', '--man=no', unit], capture_output=True,
                           text=True)
        tap.ok(p.returncode == 0, 'systemd-analyze verify accepts the system unit', p.stderr)
    else:
        tap.skip('systemd-analyze verify accepts the system unit', 'systemd-analyze is not installed')
    for key in ('ProtectSystem=strict', 'PrivateTmp=yes', 'NoNewPrivileges=yes',
                'DevicePolicy=closed', 'DeviceAllow=char-ttyACM rw', 'UMask=0077'):
        tap.contains(open(UNIT).read(), key, 'the system unit sets %s' % key)

sys.exit(tap.done())
