#!/usr/bin/python3
"""Modems that come and go while ctid runs.

Simulated modems on pseudo-terminals stand for USB modems: their links in a
temporary device folder play the part of the /dev/ctid links udev makes, and
`unplug` closes the pty (the daemon sees EIO/HUP, as when a USB modem is
pulled) and removes the link. The daemon must end the call in progress and
log it, say ModemRemoved, keep running, and take the modem back when it is
plugged in again; NCID's ncidd exits in this case.

Usage: test_hotplug.py CTID CTIDCTL MODEMSIM
"""

import json
import os
import sqlite3
import subprocess
import sys

import ctidtest

CTID, CTIDCTL, MODEMSIM = sys.argv[1:4]
tap = ctidtest.Tap()
if ctidtest.require('dbus-daemon'):
    tap.skip_all('dbus-daemon is not installed')


def event(monitor, name, timeout=10.0):
    line = monitor.expect('{"event":"%s"' % name, timeout)
    return json.loads(line) if line else None


with ctidtest.Harness(timeout=180) as h:
    tmp = h.mkdtemp('hotplug')
    db = os.path.join(tmp, 'ctid.db')
    devdir = os.path.join(tmp, 'dev-ctid')
    os.mkdir(devdir)
    other = os.path.join(tmp, 'serial')
    os.mkdir(other)
    bus = h.session_bus()
    env = bus.env(XDG_CONFIG_HOME=tmp, TZ='UTC')

    landline = h.spawn_lines([MODEMSIM, '--dialect', 'conexant', '--interval', '300',
                              '--link', os.path.join(devdir, 'conexant-ttyACM0')],
                             log_name='landline.log')
    landline.expect('ready')
    gsm = h.spawn_lines([MODEMSIM, '--dialect', 'gsm', '--interval', '300',
                         '--link', os.path.join(other, 'ttyUSB2')], log_name='gsm.log')
    gsm.expect('ready')
    monitor = h.spawn_lines([CTIDCTL, 'monitor', '--json'], env=env, log_name='monitor.log')
    # ctidctl subscribes at once; give it a moment before there is anything to see.
    ctidtest.wait_for(lambda: False, 0.5)
    daemon = h.spawn([CTID, '--listen', '127.0.0.1:0', '--device-dir', devdir, '--device', os.path.join(other, 'ttyUSB2'),
                      '--database', db, '--region', 'GB', '--ring-timeout', '1', '--no-notify',
                      '-v'], env=env, log_name='ctid.log')
    seen = {(event(monitor, 'ModemAdded') or {}).get('path'),
            (event(monitor, 'ModemAdded') or {}).get('path')}
    tap.is_(seen, {os.path.join(devdir, 'conexant-ttyACM0'), os.path.join(other, 'ttyUSB2')},
            'both modems start: one from the device folder, one from --device')

    # Unplugged in the middle of a call.
    landline.send('call 02079460018 rings=6 nowait')
    started = event(monitor, 'CallStarted')
    tap.ok(started and started['number'] == '02079460018', 'a call rings', started)
    landline.send('unplug')
    ended = event(monitor, 'CallEnded')
    tap.ok(ended and ended['id'] == started['id'] and ended['state'] == 'unknown',
           'unplugging ends the call in progress (state unknown: nobody can tell)', ended)
    removed = event(monitor, 'ModemRemoved')
    tap.is_(removed and removed['path'], os.path.join(devdir, 'conexant-ttyACM0'),
            'ModemRemoved for the unplugged modem')
    tap.ok(daemon.alive(), 'the daemon keeps running')
    # (the line goes on ringing, unheard, until the caller gives up)
    landline.expect('event call', 10)

    # Plugged back in: it works again without a restart.
    landline.send('replug')
    added = event(monitor, 'ModemAdded')
    tap.is_(added and added['path'], os.path.join(devdir, 'conexant-ttyACM0'),
            'plugged back in: ModemAdded, no restart')
    landline.send('call 01632960999 rings=2')
    ended = event(monitor, 'CallEnded')
    tap.ok(ended and ended['number'] == '01632960999', 'the next call is seen', ended)

    # The --device modem goes and comes back too.
    monitor.take(settle=0.2)
    gsm.send('call +447700900461 rings=6 nowait')
    started = event(monitor, 'CallStarted')
    tap.ok(started and started['e164'] == '+447700900461', 'a call on the GSM dongle', started)
    gsm.send('unplug')
    ended = event(monitor, 'CallEnded')
    tap.ok(ended and ended['number'] == '+447700900461', 'its call ends when unplugged', ended)
    event(monitor, 'ModemRemoved')
    gsm.expect('event call', 10)
    gsm.send('replug')
    added = event(monitor, 'ModemAdded')
    tap.is_(added and added['path'], os.path.join(other, 'ttyUSB2'),
            'a --device path is watched and comes back')
    gsm.send('call +447700900462 rings=2')
    ended = event(monitor, 'CallEnded')
    tap.ok(ended and ended['state'] == 'missed', 'GSM: the caller hung up, missed', ended)

    # A modem plugged in for the first time while the daemon runs.
    monitor.take(settle=0.2)
    third = h.spawn_lines([MODEMSIM, '--dialect', 'usr', '--interval', '300', '--link',
                           os.path.join(devdir, 'usr5637-ttyACM1')], log_name='third.log')
    third.expect('ready')
    added = event(monitor, 'ModemAdded')
    tap.is_(added and added['path'], os.path.join(devdir, 'usr5637-ttyACM1'),
            'a new modem in the device folder is picked up')
    third.send('call 01134960000 rings=2')
    ended = event(monitor, 'CallEnded')
    tap.ok(ended and ended['line'] == 'usr5637-ttyACM1', 'and its calls come in', ended)

    # Every call was logged once, and the file is sound.
    calls = json.loads(subprocess.run([CTIDCTL, '--database', db, 'calls', '--json'],
                                      capture_output=True, env=env).stdout)
    tap.is_(sorted(c['number'] for c in calls),
            ['+447700900461', '+447700900462', '01134960000', '01632960999', '02079460018'],
            'no call lost: all five are in the log, once')
    daemon.popen.terminate()
    tap.is_(daemon.popen.wait(10), 0, 'the daemon ends cleanly')
    with sqlite3.connect(db) as conn:
        tap.is_(conn.execute('PRAGMA integrity_check').fetchone()[0], 'ok',
                'the database passes integrity_check')

sys.exit(tap.done())
