#!/usr/bin/python3
"""ctid installs as a desktop program, under the prefix it is given.

- Every file of `meson install` lands under the prefix: for this build
  (into a staging folder) and for a per-user prefix (~/.local), and for a
  packager's options the files go where the options say.
- The desktop entry passes desktop-file-validate, the AppStream metadata
  appstreamcli validate --no-net, and the icon is an SVG in hicolor.
- Every hint ctid's popups give names something installed: the
  desktop-entry hint an installed .desktop file, the icon an installed icon.
- The D-Bus activation file starts ctid when a client asks for
  org.ctid.Ctid1.

Usage: test_install.py SOURCE_ROOT BUILD_DIR
"""

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import time

import ctidtest

ROOT, BUILD = (os.path.abspath(p) for p in sys.argv[1:3])
tap = ctidtest.Tap()
missing = ctidtest.require('desktop-file-validate', 'appstreamcli', 'dbus-daemon')
if missing:
    tap.skip_all('%s is not installed' % missing)
import dbus  # noqa: E402


def installed(build):
    p = subprocess.run(['meson', 'introspect', '--installed', build], capture_output=True,
                       text=True, check=True)
    return sorted(json.loads(p.stdout).values())


def prefix_of(build):
    p = subprocess.run(['meson', 'introspect', '--buildoptions', build], capture_output=True,
                       text=True, check=True)
    return next(o['value'] for o in json.loads(p.stdout) if o['name'] == 'prefix')


with ctidtest.Harness(timeout=240) as h:
    tmp = h.mkdtemp('install')
    prefix = prefix_of(BUILD)
    files = installed(BUILD)
    outside = [f for f in files if not f.startswith(prefix.rstrip('/') + '/')]
    tap.is_(outside, [], 'every file of this build installs under its prefix %s' % prefix)
    want = {'bin/ctid', 'bin/ctidctl', 'share/applications/org.ctid.Ctid.desktop',
            'share/applications/org.ctid.Ctid.Web.desktop',
            'share/icons/hicolor/scalable/apps/org.ctid.Ctid.svg',
            'share/metainfo/org.ctid.Ctid.metainfo.xml',
            'share/dbus-1/services/org.ctid.Ctid1.service',
            'share/dbus-1/interfaces/org.ctid.Ctid1.xml', 'share/systemd/user/ctid.service',
            'lib/udev/rules.d/70-ctid.rules'}
    have = {os.path.relpath(f, prefix) for f in files}
    tap.is_(sorted(want - have), [], 'with the desktop entry, icon, metadata, activation file, '
            'user unit and udev rules')

    # A per-user install, and a packager's: configured only, their plans read.
    home = h.mkdtemp('home')
    user = os.path.join(tmp, 'build-user')
    p = subprocess.run(['meson', 'setup', user, ROOT, '--prefix', os.path.join(home, '.local')],
                       capture_output=True, text=True)
    tap.ok(p.returncode == 0, 'meson setup --prefix ~/.local', p.stdout[-500:] + p.stderr)
    user_files = installed(user) if p.returncode == 0 else []
    tap.is_([f for f in user_files if not f.startswith(home + '/.local/')], [],
            'a per-user install writes nothing outside ~/.local (%d files)' % len(user_files))
    tap.ok(os.path.join(home, '.local/share/systemd/user/ctid.service') in user_files and
           os.path.join(home, '.local/share/dbus-1/services/org.ctid.Ctid1.service') in
           user_files, 'its user unit and activation file go where systemd and D-Bus look '
           'for a user (~/.local/share)')
    pkg = os.path.join(tmp, 'build-pkg')
    p = subprocess.run(['meson', 'setup', pkg, ROOT, '--prefix', '/usr',
                        '-Dudevrulesdir=/lib/udev/rules.d',
                        '-Dsystemduserunitdir=/usr/lib/systemd/user'],
                       capture_output=True, text=True)
    pkg_files = installed(pkg) if p.returncode == 0 else []
    tap.ok('/lib/udev/rules.d/70-ctid.rules' in pkg_files and
           '/usr/lib/systemd/user/ctid.service' in pkg_files,
           "a packager's options put the files in the system's folders", pkg_files)

    # Staged, and checked as the desktop would read it.
    stage = os.path.join(tmp, 'stage')
    p = subprocess.run(['meson', 'install', '-C', BUILD, '--destdir', stage, '--no-rebuild',
                        '--quiet'], capture_output=True, text=True)
    tap.ok(p.returncode == 0, 'meson install --destdir', p.stdout[-500:] + p.stderr)
    root = stage + prefix
    desktop = os.path.join(root, 'share/applications/org.ctid.Ctid.desktop')
    p = subprocess.run(['desktop-file-validate', desktop], capture_output=True, text=True)
    tap.ok(p.returncode == 0 and not p.stdout.strip(), 'desktop-file-validate accepts the entry',
           p.stdout + p.stderr)
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(desktop)
    tap.ok(entry['Desktop Entry'].get('NoDisplay') == 'true' and
           entry['Desktop Entry'].get('Exec') == os.path.join(prefix, 'bin', 'ctid') and
           entry['Desktop Entry'].get('X-GNOME-UsesNotifications') == 'true',
           'the daemon\'s entry: hidden from menus, runs the installed ctid, sends '
           'notifications', dict(entry['Desktop Entry']))
    page = os.path.join(root, 'share/applications/org.ctid.Ctid.Web.desktop')
    p = subprocess.run(['desktop-file-validate', page], capture_output=True, text=True)
    tap.ok(p.returncode == 0 and not p.stdout.strip(),
           'desktop-file-validate accepts the web page\'s entry', p.stdout + p.stderr)
    web_entry = configparser.ConfigParser(interpolation=None)
    web_entry.optionxform = str
    web_entry.read(page)
    tap.ok(web_entry['Desktop Entry'].get('NoDisplay', 'false') == 'false' and
           web_entry['Desktop Entry'].get('Exec') == os.path.join(prefix, 'bin', 'ctidctl') +
           ' open', 'the entry people open is in the menus and opens the web page',
           dict(web_entry['Desktop Entry']))
    metainfo = os.path.join(root, 'share/metainfo/org.ctid.Ctid.metainfo.xml')
    p = subprocess.run(['appstreamcli', 'validate', '--no-net', metainfo], capture_output=True,
                       text=True)
    tap.ok(p.returncode == 0, 'appstreamcli validate --no-net accepts the metadata',
           p.stdout + p.stderr)
    icon = os.path.join(root, 'share/icons/hicolor/scalable/apps/org.ctid.Ctid.svg')
    with open(icon) as f:
        tap.ok('<svg' in f.read(), 'the icon is an SVG in the hicolor theme')

    # The popups' hints name what was installed.
    bus = h.session_bus()
    server = h.notification_server(bus, caps=['actions', 'body'])
    env = bus.env(XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp, TZ='UTC')
    # A reminder due tomorrow pops up a few seconds after start-up.
    ctl = os.path.join(root, 'bin', 'ctidctl')
    subprocess.run([ctl, 'contact', 'add', '--name', 'Ivan Pozdniakov'], env=env,
                   capture_output=True, check=True)
    tomorrow = time.localtime(time.time() + 86400)
    subprocess.run([ctl, 'reminder', 'add', 'Ivan', '--notice', '7', '--date',
                    '%02d-%02d' % (tomorrow.tm_mon, tomorrow.tm_mday), "Friend's birthday"],
                   env=env, capture_output=True, check=True)
    daemon = h.spawn([os.path.join(root, 'bin', 'ctid'), '--listen', '127.0.0.1:0', '--device-dir', tmp], env=env,
                     log_name='ctid.log')
    tap.ok(ctidtest.wait_for(lambda: bus.owner('org.ctid.Ctid1'), 10), 'the installed ctid runs',
           daemon.log())
    pops = server.wait_notify(1, 15)
    tap.ok(pops, 'a popup (the reminder)', daemon.log())
    for pop in pops[:1]:
        entry_hint = pop.hints.get('desktop-entry')
        tap.ok(entry_hint and os.path.exists(os.path.join(root, 'share/applications',
                                                          entry_hint + '.desktop')),
               'the desktop-entry hint (%s) names the installed entry' % entry_hint)
        found = [d for d in ('scalable', '48x48', '64x64', '128x128')
                 for ext in ('svg', 'png')
                 if os.path.exists(os.path.join(root, 'share/icons/hicolor', d, 'apps',
                                                '%s.%s' % (pop.icon, ext)))]
        tap.ok(found, 'the icon (%s) is an installed icon' % pop.icon)
        others = {k: v for k, v in pop.hints.items()
                  if k in ('image-path', 'image_path', 'sound-file', 'sound-name')}
        tap.is_(others, {}, 'and no other hint names a file or sound')
    # The menu's entry opens the web page, logged in.
    opened = os.path.join(tmp, 'opened')
    browser = os.path.join(tmp, 'browser')
    with open(browser, 'w') as f:
        f.write('#!/bin/sh\necho "$1" > %s\n' % opened)
    os.chmod(browser, 0o755)
    exec_line = web_entry['Desktop Entry'].get('Exec', '').replace(prefix, root, 1).split()
    p = subprocess.run(exec_line, env=dict(env, BROWSER=browser), capture_output=True,
                       text=True, timeout=20)
    link = ''
    if ctidtest.wait_for(lambda: os.path.exists(opened), 5):
        with open(opened) as f:
            link = f.read().strip()
    tap.ok(p.returncode == 0 and re.match(r'http://127\.0\.0\.1:\d+/login/[0-9a-f]{64}', link),
           'opening it from the menu opens the page with a login link', p.stderr + link)
    daemon.stop()
    server.stop()
    bus.stop()

    # D-Bus activation: the file's Name is the service, its Exec what runs.
    services = h.mkdtemp('services')
    # the activated ctid listens on any free port: tests run side by side
    os.makedirs(os.path.join(tmp, 'ctid'), exist_ok=True)
    with open(os.path.join(tmp, 'ctid', 'ctid.conf'), 'w') as f:
        f.write('listen = 127.0.0.1:0\n')
    src = os.path.join(root, 'share/dbus-1/services/org.ctid.Ctid1.service')
    with open(src) as f:
        text = f.read()
    tap.ok('Name=org.ctid.Ctid1' in text and 'SystemdService=ctid.service' in text and
           'Exec=%s' % os.path.join(prefix, 'bin', 'ctid') in text,
           'the activation file names the service, the user unit and the installed ctid', text)
    with open(os.path.join(services, 'org.ctid.Ctid1.service'), 'w') as f:
        f.write(text.replace('Exec=' + prefix, 'Exec=' + root))  # the staged copy
    benv = dict(os.environ, XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp, TZ='UTC')
    bus = h.session_bus(servicedir=services, env=benv)
    conn = bus.connection()
    tap.is_(bus.owner('org.ctid.Ctid1'), None, 'no ctid runs on the new bus')
    started = None
    try:
        api = dbus.Interface(conn.get_object('org.ctid.Ctid1', '/org/ctid/Ctid1'),
                             'org.ctid.Ctid1')
        found = ctidtest.unwrap(api.Lookup('020 7946 0018'))
        started = found is not None
    except dbus.DBusException as e:
        tap.diag(str(e))
    tap.ok(started, 'a client asking for org.ctid.Ctid1 starts ctid (D-Bus activation)')
    owner = bus.owner('org.ctid.Ctid1')
    if owner:
        pid = int(conn.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                     'org.freedesktop.DBus', 'GetConnectionUnixProcessID',
                                     's', (owner,)))
        os.kill(pid, 15)
    shutil.rmtree(stage, ignore_errors=True)

sys.exit(tap.done())
