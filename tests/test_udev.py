#!/usr/bin/python3
"""The udev rules, checked by udev itself against emulated USB modems.

umockdev builds a fake sysfs with a USB device, its interface and the tty
below it, and `udevadm test` (run under umockdev's preload, in a private
mount namespace with its own /dev and /etc/udev/rules.d, so the machine's
devices are left alone) applies ONLY udev/70-ctid.rules to it and prints the
resulting properties, tags and links.

Skipped where the machine does not allow it (not root, no umockdev, no
unshare).

Usage: test_udev.py RULES_FILE
"""

import os
import shutil
import subprocess
import sys
import tempfile

import ctidtest

RULES = os.path.abspath(sys.argv[1])
HERE = os.path.abspath(__file__)
tap = ctidtest.Tap()


def child(rules_dir, spec):
    """Runs inside umockdev-wrapper: builds the devices, runs udevadm test."""
    import gi
    gi.require_version('UMockdev', '1.0')
    from gi.repository import UMockdev
    tb = UMockdev.Testbed.new()
    vendor, product, cls, sub, proto, usb = spec.split(':')
    parent = None
    if usb == 'usb':
        dev = tb.add_device('usb', '1-1', None, ['idVendor', vendor, 'idProduct', product],
                            ['DEVTYPE', 'usb_device'])
        parent = tb.add_device('usb', '1-1:1.0', dev, ['bInterfaceClass', cls,
                                                      'bInterfaceSubClass', sub,
                                                      'bInterfaceProtocol', proto],
                               ['DEVTYPE', 'usb_interface'])
    name = 'ttyACM0' if usb == 'usb' else 'ttyS0'
    tty = tb.add_device('tty', name, parent, ['dev', '166:0'],
                        ['DEVNAME', '/dev/' + name, 'MAJOR', '166', 'MINOR', '0'])
    script = ('mount -t tmpfs tmpfs /dev && mount -t tmpfs tmpfs /run && '
              'mount --bind "$0" /etc/udev/rules.d && exec udevadm test --action=add "$1"')
    p = subprocess.run(['unshare', '-m', 'sh', '-c', script, rules_dir, tty],
                       capture_output=True, text=True, timeout=60)
    sys.stdout.write(p.stdout + p.stderr)
    sys.exit(p.returncode)


if len(sys.argv) == 4 and sys.argv[2] == '--child':
    child(sys.argv[1], sys.argv[3])

for prog in ('udevadm', 'unshare', 'umockdev-wrapper'):
    if shutil.which(prog) is None:
        tap.skip_all('%s is not installed' % prog)
if os.geteuid() != 0 or subprocess.run(['unshare', '-m', 'true']).returncode != 0:
    tap.skip_all('needs root for a private mount namespace')
try:
    import gi
    gi.require_version('UMockdev', '1.0')
except (ImportError, ValueError):
    tap.skip_all('gir1.2-umockdev-1.0 is not installed')

rules_dir = tempfile.mkdtemp(prefix='ctid-udev-')
shutil.copy(RULES, rules_dir)


def udev(spec):
    """Properties, tags and links udev gives a tty on the described device."""
    p = subprocess.run(['umockdev-wrapper', ctidtest.PYTHON, HERE, rules_dir, '--child', spec],
                       capture_output=True, text=True, timeout=120)
    props, errors = {}, []
    for line in p.stdout.splitlines():
        if '70-ctid.rules' in line and ('Invalid' in line or 'ignoring' in line):
            errors.append(line)
        key, sep, value = line.partition('=')
        if sep and key.isupper() and ' ' not in key:
            props[key] = value
    return props, errors, p.stdout


props, errors, out = udev('0baf:0303:02:02:01:usb')
tap.contains(out, 'Reading rules file: /etc/udev/rules.d/70-ctid.rules',
             'udevadm reads the rules')
tap.is_(errors, [], 'udev finds nothing wrong in them')
tap.is_(props.get('CTID_MODEM'), 'usr5637', 'USRobotics 5637 (0baf:0303) is recognised')
tap.is_(props.get('ID_MM_DEVICE_IGNORE'), '1', 'ModemManager is told to leave it alone')
tap.contains(props.get('TAGS', ''), ':uaccess:', 'the user at the seat gets access')
tap.is_(props.get('DEVLINKS'), '/dev/ctid/usr5637-ttyACM0', 'a link under /dev/ctid')

for spec, want, what in (('0803:3095:02:02:01:usb', 'zoom3095', 'Zoom 3095'),
                         ('0572:1329:02:02:01:usb', 'conexant', 'Conexant CX93010'),
                         ('1234:5678:02:02:01:usb', 'acm', 'another CDC-ACM modem (AT commands)')):
    props, _, _ = udev(spec)
    tap.is_((props.get('CTID_MODEM'), props.get('DEVLINKS')),
            (want, '/dev/ctid/%s-ttyACM0' % want), '%s gets its link' % what)

for spec, what in (('2341:0043:02:02:01:usb', 'an Arduino (claims CDC-ACM, is no modem)'),
                   ('0403:6001:ff:ff:ff:usb', 'a USB serial adapter'),
                   ('0000:0000:00:00:00:native', 'a built-in serial port')):
    props, _, _ = udev(spec)
    tap.ok('CTID_MODEM' not in props and 'ID_MM_DEVICE_IGNORE' not in props and
           '/dev/ctid' not in props.get('DEVLINKS', ''), '%s is left alone' % what, props)

shutil.rmtree(rules_dir)
sys.exit(tap.done())
