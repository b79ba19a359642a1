#!/usr/bin/python3
"""A screenshot of a real screen-pop, as dunst draws it.

Starts Xvfb on a free display, a private session bus and dunst with
tests/dunstrc, has notify_driver (the library as the daemon uses it) show a
known client ringing, captures the screen with ImageMagick's import and crops
it to the popup with a margin of desktop around it. Prints TAP: the image
exists and is not blank.

    screenshot.py BUILD/tests/notify_driver --output doc/screenshot.png

meson runs it as the "screenshot" test (into the build directory) and as
`ninja -C build screenshot` (into doc/screenshot.png, for the README).
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctidtest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DESKTOP = '#4c6e8a'  # the root window's colour: the crop finds the popup against it
MARGIN = 20
SCREEN = (1280, 800)

tap = ctidtest.Tap()


def start_xvfb(h):
    """Xvfb on the first free display (-displayfd); returns ':N'."""
    read_fd, write_fd = os.pipe()
    h.spawn(['Xvfb', '-displayfd', str(write_fd), '-screen', '0', '%dx%dx24' % SCREEN,
             '-nolisten', 'tcp', '-noreset'], log_name='xvfb.log', pass_fds=(write_fd,))
    os.close(write_fd)
    number = b''
    deadline = time.monotonic() + 15
    while not number.endswith(b'\n') and time.monotonic() < deadline:
        chunk = os.read(read_fd, 16)
        if not chunk:
            break
        number += chunk
    os.close(read_fd)
    if not number.strip():
        raise RuntimeError('Xvfb did not start')
    return ':' + number.decode().strip()


def capture(display, path):
    subprocess.run(['import', '-display', display, '-window', 'root', path], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def magick(*args):
    return subprocess.run(['convert'] + list(args), check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout.decode().strip()


def popup_box(path):
    """(w, h, x, y) of what is not desktop, or None when the screen is bare."""
    box = magick(path, '-bordercolor', DESKTOP, '-border', '1', '-format', '%@',
                 'info:')
    # WxH+X+Y, relative to the 1-pixel border added above.
    try:
        size, x, y = box.split('+')
        w, hgt = (int(v) for v in size.split('x'))
    except ValueError:
        return None
    if w <= 1 or hgt <= 1 or w >= SCREEN[0]:
        return None
    return w, hgt, int(x) - 1, int(y) - 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('driver')
    parser.add_argument('--output', required=True)
    parser.add_argument('--show', default='known ringing',
                        help='FIXTURE STATE for notify_driver (default: known ringing)')
    args = parser.parse_args()

    missing = ctidtest.require('Xvfb', 'dunst', 'import', 'convert', 'xsetroot',
                               'dbus-daemon', args.driver)
    if missing:
        tap.skip_all('%s is not installed' % missing)

    with ctidtest.Harness(timeout=60) as h:
        display = start_xvfb(h)
        subprocess.run(['xsetroot', '-display', display, '-solid', DESKTOP], check=True)
        bus = h.session_bus()
        env = bus.env(DISPLAY=display, TZ=os.environ.get('TZ', 'UTC'))
        env.pop('WAYLAND_DISPLAY', None)
        dunst = h.spawn(['dunst', '-config', os.path.join(HERE, 'dunstrc')], env=env,
                        log_name='dunst.log', stdout=subprocess.DEVNULL)
        owner = ctidtest.wait_for(lambda: bus.owner(ctidtest.NOTIFICATIONS), 10)
        if not tap.ok(owner is not None and dunst.alive(), 'dunst serves notifications',
                      dunst.log()):
            tap.bail('no notification server')

        driver = h.spawn_lines([args.driver], env=env, log_name='driver.log')
        tap.ok(driver.expect('ready', 10) is not None, 'driver started')
        driver.send('show 1 ' + args.show)

        # Capture until the popup is there and two captures in a row are the
        # same (dunst has finished drawing it: icon, second frame).
        shot = h.path('screen.png')
        previous = None

        def drawn():
            nonlocal previous
            capture(display, shot)
            with open(shot, 'rb') as f:
                pixels = f.read()
            stable = previous == pixels
            previous = pixels
            return stable and popup_box(shot) is not None

        ctidtest.wait_for(drawn, 10, interval=0.2)
        box = popup_box(shot)
        if not tap.ok(box is not None, 'the popup is on screen', dunst.log()):
            tap.bail('nothing drawn')
        w, hgt, x, y = box
        tap.ok(200 <= w <= 500 and 60 <= hgt <= 500 and x + w > SCREEN[0] - 100 and y < 100,
               'popup in the top-right corner, about 420 px wide (%dx%d+%d+%d)' % box)

        x0, y0 = max(x - MARGIN, 0), max(y - MARGIN, 0)
        x1, y1 = min(x + w + MARGIN, SCREEN[0]), min(y + hgt + MARGIN, SCREEN[1])
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        tmp = args.output + '.tmp.png'
        magick(shot, '-crop', '%dx%d+%d+%d' % (x1 - x0, y1 - y0, x0, y0), '+repage',
               '-strip', tmp)
        shutil.move(tmp, args.output)

        colours = int(magick(args.output, '-format', '%k', 'info:'))
        tap.ok(os.path.getsize(args.output) > 2000, 'wrote %s' % args.output)
        tap.ok(colours > 100, 'the image is not blank: %d colours (text is anti-aliased)'
               % colours)
        driver.send('quit')
    sys.exit(tap.done())


if __name__ == '__main__':
    main()
