#!/usr/bin/python3
"""ctid's web page in a real browser: Debian's chromium, headless, driven by
chromedriver through python3-selenium.

The daemon runs with the modem simulator on a pseudo-terminal and a real
SQLite file; contacts, notes and users are made with ctidctl beforehand. The
test logs in through the form as a seller, rings the simulated line and
reads what the page shows: the Now banner on whatever view is open (the
client's name, company and latest note; a stranger's late telco name; the
call's end), a click through to the card, a note added on the card (and read
back with ctidctl), the call-back list grouped by caller and Mark handled
(read back too), a contact whose name is markup, search as you type, and the
one-time login link of `ctidctl open`. Throughout, the page must ask nothing
of another origin and log no severe console error (no CSP violation).

With --screenshots DIR it then starts a second daemon on a fresh database
with a shoe shop's clients and writes DIR/web-now.png, DIR/web-card.png and
DIR/web-callbacks.png at 1280x800, for the README and the docs.

Nothing sleeps: every wait is for an element, a log line or the call log.
Skips when chromium, chromedriver or python3-selenium are missing.

Usage: test_browser.py CTID CTIDCTL MODEMSIM [--screenshots DIR]
"""

import argparse
import datetime
import json
import os
import pwd
import re
import shutil
import struct
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctidtest  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0].replace('\n', ' '))
parser.add_argument('ctid')
parser.add_argument('ctidctl')
parser.add_argument('modemsim')
parser.add_argument('--screenshots', metavar='DIR',
                    help='also write web-now.png, web-card.png and web-callbacks.png to DIR')
args = parser.parse_args()
CTID, CTIDCTL, MODEMSIM = args.ctid, args.ctidctl, args.modemsim

tap = ctidtest.Tap()

CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
CHROMEDRIVER = shutil.which('chromedriver') or '/usr/bin/chromedriver'
missing = ctidtest.require(CHROMIUM, CHROMEDRIVER)
if missing:
    tap.skip_all('%s is not installed (Debian: chromium, chromium-driver)' % missing)
try:
    from selenium import webdriver
    from selenium.common.exceptions import (NoAlertPresentException,
                                            StaleElementReferenceException,
                                            TimeoutException, WebDriverException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as err:
    tap.skip_all('python3-selenium is not installed (%s)' % err)

WAIT = 15  # seconds for anything the page should show
# A call ends this long after its last ring; calls meant to be seen ringing
# ring every SLOW ms, well within it (the rest every 300 ms).
RING_TIMEOUT = 2
SLOW = 800
XSS = '<img src=x onerror=alert(1)>'
UNIX_USER = pwd.getpwuid(os.getuid()).pw_name
ENV = dict(os.environ, TZ='UTC', LC_ALL='C.UTF-8', NO_COLOR='1',
           XDG_CONFIG_HOME='/nonexistent')

# Every driver started, so that each is quit however the test ends.
drivers = []


class Desk:
    """A ctid daemon with a simulated modem and its database; ctl() runs
    ctidctl on that database."""

    def __init__(self, h, name):
        self.h = h
        self.dir = h.mkdtemp(name)
        self.db = os.path.join(self.dir, 'ctid.db')
        self.devdir = os.path.join(self.dir, 'dev')
        os.mkdir(self.devdir)
        self.name = name
        self.url = None
        self.sim = None
        self.daemon = None

    def ctl(self, *argv, stdin=None):
        p = subprocess.run([CTIDCTL, '--database', self.db, '--region', 'GB', *argv],
                           input=stdin, capture_output=True, text=True, env=ENV, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *argv, stdin=None):
        """A ctidctl command that must work; its output."""
        rc, out, err = self.ctl(*argv, stdin=stdin)
        if rc != 0:
            raise RuntimeError('ctidctl %s: exit %d: %s' % (' '.join(argv), rc, err.strip()))
        return out.strip()

    def json(self, *argv):
        rc, out, err = self.ctl(*argv, '--json')
        try:
            return json.loads(out)
        except ValueError:
            tap.diag('ctidctl %s --json: exit %d: %r %s' % (' '.join(argv), rc, out, err))
            return None

    def contact(self, name, phone, company=None):
        argv = ['contact', 'add', '--name', name, '--phone', phone]
        if company:
            argv += ['--company', company]
        return int(self.ok(*argv))

    def user(self, name, role, password):
        self.ok('user', 'add', name, '--role', role, '--password-stdin', stdin=password + '\n')

    def start(self):
        """The simulated modem, then ctid; returns once the page is served and
        the modem has caller ID switched on."""
        self.sim = self.h.spawn_lines([MODEMSIM, '--dialect', 'conexant', '--interval', '300',
                                       '--link', os.path.join(self.devdir, 'conexant-ttyACM0')],
                                      log_name=self.name + '-modemsim.log')
        if self.sim.expect('ready', 10) is None:
            raise RuntimeError('modemsim did not start: ' + self.sim.log())
        self.daemon = self.h.spawn([CTID, '--listen', '127.0.0.1:0', '--device-dir', self.devdir,
                                    '--database', self.db, '--region', 'GB', '--ring-timeout',
                                    str(RING_TIMEOUT), '--no-notify', '--bus', 'none', '-v'],
                                   env=ENV, log_name=self.name + '-ctid.log')
        found = ctidtest.wait_for(lambda: re.search(r'Web page at (http://\S+/)',
                                                    self.daemon.log()) or
                                  not self.daemon.alive(), 15)
        if not found or found is True:
            raise RuntimeError('ctid did not serve the page: ' + self.daemon.log())
        self.url = found.group(1)
        if not ctidtest.wait_for(lambda: 'caller ID via' in self.daemon.log(), 15):
            raise RuntimeError('ctid did not set the modem up: ' + self.daemon.log())

    def calls(self):
        return self.json('calls') or []

    def ring(self, command, interval=300):
        """Rings the line (a modemsim call command) and waits until ctid has
        logged the call as ended; returns the call, newest first in the log."""
        before = {c['id'] for c in self.calls()}
        self.sim.send('interval %d' % interval)
        self.sim.send(command)
        return self.wait_call_end(before)

    def ring_start(self, command, interval):
        """Rings the line and returns at once (the ids logged before)."""
        before = {c['id'] for c in self.calls()}
        self.sim.send('interval %d' % interval)
        self.sim.send(command)
        return before

    def wait_call_end(self, before, timeout=60):
        def ended():
            new = [c for c in self.calls() if c['id'] not in before]
            return new and new[0].get('ended') and new[0]
        call = ctidtest.wait_for(ended, timeout, 0.1)
        if not call:
            raise RuntimeError('the call did not end in the log: %r\n%s' % (
                self.calls()[:2], self.daemon.log()[-2000:]))
        return call

    def api(self, method, path, token, body=None):
        """The HTTP API with a bearer token; the decoded answer."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url.rstrip('/') + path, data=data, method=method,
                                     headers={'Authorization': 'Bearer ' + token,
                                              'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=10) as res:
            text = res.read().decode()
        return json.loads(text) if text else None


def start_browser(h, name, size):
    """A headless chromium with a fresh profile, logging the console and the
    network (goog:loggingPrefs)."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
              '--window-size=%d,%d' % size, '--user-data-dir=' + h.mkdtemp(name + '-profile'),
              '--no-first-run', '--no-default-browser-check', '--disable-extensions',
              '--disable-background-networking', '--disable-component-update',
              '--disable-sync', '--lang=en-GB', '--hide-scrollbars',
              '--force-device-scale-factor=1'):
        opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL', 'performance': 'ALL'})
    service = Service(CHROMEDRIVER, log_path=h.path(name + '-chromedriver.txt'))
    driver = webdriver.Chrome(service=service, options=opts)
    drivers.append(driver)
    # Dates and times as a British shop reads them (the browser's own
    # locale follows the machine's, often C).
    driver.execute_cdp_cmd('Emulation.setLocaleOverride', {'locale': 'en-GB'})
    # ctid runs with TZ=UTC: the page shows its times in the same zone.
    driver.execute_cdp_cmd('Emulation.setTimezoneOverride', {'timezoneId': 'UTC'})
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    driver.logs = {'browser': [], 'performance': []}
    return driver


def quit_browsers():
    while drivers:
        d = drivers.pop()
        try:
            d.quit()
        except Exception:  # noqa: BLE001 (the browser may be gone already)
            pass


def collect(driver):
    """Moves the browser's console and network logs into driver.logs (the
    driver forgets what it returned)."""
    for kind in ('browser', 'performance'):
        try:
            driver.logs[kind] += driver.get_log(kind)
        except WebDriverException as err:
            tap.diag('could not read the %s log: %s' % (kind, err))


def until(driver, fn, timeout=WAIT):
    """fn(driver) until it returns something true (elements going stale on
    the way are retried); that value, or None after timeout seconds."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=(StaleElementReferenceException,)).until(fn)
    except TimeoutException:
        return None


def css(driver, selector, root=None):
    return (root or driver).find_elements(By.CSS_SELECTOR, selector)


def text_of(driver, selector, root=None):
    """The visible text of the first element matching selector, or None."""
    try:
        found = css(driver, selector, root)
        return found[0].text if found else None
    except StaleElementReferenceException:
        return None


def visible(driver, selector):
    """The first displayed element matching selector, or None."""
    try:
        for el in css(driver, selector):
            if el.is_displayed():
                return el
    except StaleElementReferenceException:
        return None
    return None


def attr(el, name):
    """el's attribute, or None when el is gone from the page."""
    try:
        return el.get_attribute(name) if el else None
    except StaleElementReferenceException:
        return None


def alert_open(driver):
    try:
        text = driver.switch_to.alert.text
        return text or True
    except NoAlertPresentException:
        return False


def go(driver, hash_route):
    """Opens a route of the page that is already loaded (a hash change) and
    waits until the view is drawn anew."""
    driver.execute_script("""
        const mark = document.createElement('span');
        mark.id = 'test-stale-view';
        mark.hidden = true;
        document.getElementById('main').appendChild(mark);
        if (location.hash === arguments[0]) {
            window.dispatchEvent(new HashChangeEvent('hashchange'));
        } else {
            location.hash = arguments[0];
        }""", hash_route)
    return until(driver, lambda d: not css(d, '#test-stale-view'))


def page_state(driver):
    """What the page shows, for a failing check's diagnostics."""
    try:
        return 'URL %s\n%s' % (driver.current_url, driver.find_element(By.TAG_NAME, 'body').text)
    except WebDriverException as err:
        return 'the page cannot be read: %s' % err


def frames(driver, last=6):
    """The last live-event messages the page received, for diagnostics."""
    collect(driver)
    got = [ev['params']['response']['payloadData'] for ev in perf_events(driver.logs)
           if ev['method'] == 'Network.webSocketFrameReceived']
    return '\n'.join(got[-last:])


def banners(driver):
    return css(driver, '#now-banner [data-test=banner-call]')


def banner_with(driver, name):
    """The banner article whose name is name (the newest such), or None."""
    for art in banners(driver):
        if text_of(driver, '[data-test=banner-name]', art) == name:
            return art
    return None


def png_size(path):
    with open(path, 'rb') as f:
        head = f.read(24)
    if head[:8] != b'\x89PNG\r\n\x1a\n':
        return None
    return struct.unpack('>II', head[16:24])


def log_in(driver, desk, user, password):
    driver.get(desk.url)
    until(driver, lambda d: visible(d, '#login-form'))
    css(driver, '#login-user')[0].send_keys(user)
    css(driver, '#login-password')[0].send_keys(password)
    css(driver, '#login-submit')[0].click()
    return until(driver, lambda d: css(d, '#live-state[data-state=live]'))


# --- the checks ---------------------------------------------------------------

def check_login(driver, desk):
    """1. The form: a wrong password shows the server's sentence; the right
    one logs in, and live updates connect."""
    req = urllib.request.Request(desk.url + 'api/v1/login', method='POST',
                                 data=json.dumps({'user': 'anna', 'password': 'not it'}).encode(),
                                 headers={'Content-Type': 'application/json'})
    try:
        urllib.request.urlopen(req, timeout=10)
        server_says = None
    except urllib.error.HTTPError as err:
        server_says = json.loads(err.read().decode()).get('error')
    tap.ok(server_says, 'the server refuses a wrong password with a sentence', server_says)

    driver.get(desk.url)
    form = until(driver, lambda d: visible(d, '#login-form'))
    tap.ok(form, 'the page shows the login form to a browser without a session',
           page_state(driver))
    css(driver, '#login-user')[0].send_keys('anna')
    css(driver, '#login-password')[0].send_keys('wrong password')
    css(driver, '#login-submit')[0].click()
    error = until(driver, lambda d: visible(d, '#login-error') and text_of(d, '#login-error'))
    tap.is_(error, server_says, "a wrong password shows the server's error in #login-error")
    tap.ok(not css(driver, '#app') or not css(driver, '#app')[0].is_displayed(),
           'and the app stays hidden')

    pw = css(driver, '#login-password')[0]
    pw.clear()
    pw.send_keys('Shoe-cream-2026')
    css(driver, '#login-submit')[0].click()
    live = until(driver, lambda d: css(d, '#live-state[data-state=live]'))
    tap.ok(live, 'the right password logs in and live updates connect', page_state(driver))
    tap.contains(text_of(driver, '#session-user'), 'anna', 'the page names the user')
    tap.ok(not visible(driver, '#login-form'), 'the login form is gone')


# Records each state every banner goes through (a MutationObserver on the
# region), so that what a call showed while it rang is known even when the
# browser is too busy to be asked at the right moment.
RECORDER = """
if (!window.testBanners) {
    const log = window.testBanners = [];
    const last = new Map();
    const look = () => {
        for (const art of document.querySelectorAll('#now-banner [data-test=banner-call]')) {
            const q = (sel) => {
                const el = art.querySelector(sel);
                return el && !el.closest('[hidden]') ? el.textContent : null;
            };
            const rec = {key: art.dataset.key, state: art.dataset.state,
                name: q('[data-test=banner-name]'), status: q('[data-test=banner-state]'),
                number: q('[data-test=banner-number]'), company: q('[data-test=banner-company]'),
                note: q('[data-test=banner-latest-note] .banner-note-text'),
                route: location.hash, title: document.title};
            const text = JSON.stringify(rec);
            if (last.get(rec.key) !== text) {
                last.set(rec.key, text);
                log.push(rec);
            }
        }
    };
    new MutationObserver(look).observe(document.getElementById('now-banner'),
        {subtree: true, childList: true, characterData: true, attributes: true});
}
"""


def banner_history(driver, name):
    """The states the banner of the newest call once shown as name went
    through, oldest first."""
    log = driver.execute_script('return window.testBanners || []')
    keys = [r['key'] for r in log if r['name'] == name]
    return [r for r in log if r['key'] == keys[-1]] if keys else []


def ended_history(driver, name):
    """banner_history once it ends with the call's end (or after WAIT)."""
    return until(driver, lambda d: [r for r in banner_history(d, name) if r['state'] == 'ended']
                 and banner_history(d, name)) or banner_history(driver, name)


def ring_counts(history):
    return [int(m.group(1)) for m in (re.match(r'Ringing · (\d+) rings?', r['status'] or '')
                                      for r in history if r['state'] == 'ringing') if m]


def check_banner(driver, desk, ivan):
    """2. A known client rings while another view is open."""
    go(driver, '#/calls')
    until(driver, lambda d: css(d, '#nav-calls[aria-current=page]'))
    driver.execute_script(RECORDER)
    before = desk.ring_start('call 02079460018 "POZDNIAKOV I" rings=4 name_delay=0.3', SLOW)
    call = desk.wait_call_end(before)
    history = ended_history(driver, 'Ivan Pozdniakov')
    shown = '\n'.join(json.dumps(r, ensure_ascii=False) for r in history)
    ringing = [r for r in history if r['state'] == 'ringing' and r['name'] == 'Ivan Pozdniakov']
    tap.ok(ringing and ringing[0]['route'] == '#/calls',
           'a ringing known client appears in the Now banner on the Calls view',
           shown or page_state(driver))
    first = ringing[0] if ringing else {}
    tap.is_(first.get('company'), 'Pozdniakov & Sons', "the banner shows the client's company")
    tap.is_(first.get('note'), 'asked for black shoe cream',
            'the banner shows the latest note first')
    tap.is_(first.get('number'), '020 7946 0018', 'and the number')
    # Each ring and the telco's name come as call-updated: the same banner
    # counts the rings, and goes on naming the client rather than the telco.
    counts = ring_counts(history)
    tap.ok(len(set(counts)) >= 2 and counts == sorted(counts),
           'the same banner is updated as the call rings on',
           'ring counts shown: %s\n%s' % (counts, shown))
    tap.is_(sorted({r['name'] for r in history[history.index(first):]} if first else []),
            ['Ivan Pozdniakov'], "once the client is known, the banner names only them, "
            "before and after the telco's name came")
    tap.is_((call['name'], call['state']), ('POZDNIAKOV I', 'missed'),
            "the call log has the telco's name (it did arrive before the end)")
    last = history[-1] if history else {}
    tap.is_(last.get('state'), 'ended', 'the banner is marked ended when the call ends')
    tap.ok((last.get('status') or '').startswith('Missed'), 'and says it was missed',
           last.get('status'))
    arts = [a for a in banners(driver)
            if text_of(driver, '[data-test=banner-name]', a) == 'Ivan Pozdniakov']
    tap.is_(len(arts), 1, 'one banner for the call, updated in place')

    # The name, as a person would click it (the link is the whole banner).
    target = arts and css(driver, '[data-test=banner-name]', arts[0])
    if target:
        target[0].click()
    name = until(driver, lambda d: text_of(d, '#card-name') == 'Ivan Pozdniakov')
    tap.ok(name, "one click on the banner opens the client's card",
           '%s\nthe banner: %s\n%s' % (page_state(driver),
                                         attr(arts[0], 'outerHTML') if arts else None,
                                         frames(driver, 12)))
    tap.ok(driver.current_url.endswith('#/contacts/%d' % ivan), 'at #/contacts/%d' % ivan,
           driver.current_url)


def check_late_name(driver, desk):
    """2b. A stranger whose telco name comes late: the banner shows the number,
    then the name, in place."""
    go(driver, '#/now')
    until(driver, lambda d: css(d, '#nav-now[aria-current=page]'))
    driver.execute_script(RECORDER)
    before = desk.ring_start('call 01632960777 "ACME LTD" rings=4 name_delay=1.5', SLOW)
    desk.wait_call_end(before)
    history = ended_history(driver, 'ACME LTD')
    shown = '\n'.join(json.dumps(r, ensure_ascii=False) for r in history)
    ringing = [(r['name'], r['number']) for r in history if r['state'] == 'ringing']
    by_number = ('01632 960777', None) in ringing
    tap.ok(by_number, "a stranger's banner shows the number before the name arrives",
           shown or page_state(driver))
    named = ('ACME LTD', '01632 960777') in ringing
    tap.ok(named and ringing.index(('ACME LTD', '01632 960777')) >
           ringing.index(('01632 960777', None)) if by_number and named else False,
           "then the same banner shows the telco's name, the number under it, while ringing",
           '%s\n%s' % (shown, frames(driver)))
    tap.is_(history[-1]['state'] if history else None, 'ended',
            "the stranger's banner is marked ended too")
    art = banner_with(driver, 'ACME LTD')
    link = art and css(driver, '[data-test=banner-open]', art)
    tap.is_(link and attr(link[0], 'href').split('#', 1)[-1],
            '/contacts/new?number=%2B441632960777',
            "a stranger's banner leads to a new contact with the number")


def check_dismiss(driver, desk):
    """2c. A banner dismissed while the phone still rings stays dismissed:
    the next ring does not bring it back, nor does the call's end."""
    go(driver, '#/now')
    before = desk.ring_start('call 01632960888 rings=4', SLOW)
    art = until(driver, lambda d: banner_with(d, '01632 960888'))
    button = art and css(driver, '[data-test=banner-dismiss]', art)
    if button:
        button[0].click()
    gone = until(driver, lambda d: banner_with(d, '01632 960888') is None)
    tap.ok(art and gone, 'a ringing call\'s banner goes when dismissed', page_state(driver))
    desk.wait_call_end(before)
    # the end's event has reached the page once the call-back list counts it
    until(driver, lambda d: text_of(d, '#callback-count') not in ('', None))
    tap.ok(banner_with(driver, '01632 960888') is None,
           'and stays gone through the next rings and the end of the call',
           page_state(driver))


def check_following(driver, desk):
    """2d. A page that follows another department shows none of this
    line's calls; following every line again, it shows them."""
    driver.execute_script("localStorage.setItem('ctid.lines', 'service');")
    driver.refresh()
    until(driver, lambda d: css(d, '#live-state[data-state=live]'))
    chosen = until(driver, lambda d: d.execute_script(
        "return document.getElementById('lines-select').value;") == 'service')
    tap.ok(chosen, 'the page says which department it follows', page_state(driver))
    before = desk.ring_start('call 01632960999 rings=2', SLOW)
    desk.wait_call_end(before)
    until(driver, lambda d: text_of(d, '#callback-count') not in (None,))
    tap.ok(banner_with(driver, '01632 960999') is None,
           "a page following another department shows no banner for this line's call",
           page_state(driver))
    driver.execute_script("localStorage.removeItem('ctid.lines');")
    driver.refresh()
    until(driver, lambda d: css(d, '#live-state[data-state=live]'))


def check_note(driver, desk, ivan):
    """3. A note added on the card."""
    text = 'Wants the brown Oxfords in size 43 before the wedding'
    box = until(driver, lambda d: visible(d, '#note-text'))
    box.send_keys(text)
    kind = css(driver, '#note-kind')[0]
    tap.is_(kind.get_attribute('value'), 'note', 'the kind is Note unless changed')
    css(driver, '#note-add')[0].click()

    def item(d):
        for li in css(d, '[data-test=timeline-item][data-type=note]'):
            if text_of(d, '[data-test=timeline-text]', li) == text:
                return li
        return None
    li = until(driver, item)
    tap.ok(li, 'the note appears in the timeline', page_state(driver))
    tap.is_(li and text_of(driver, '[data-test=timeline-author]', li), 'anna',
            'written by anna')
    tap.is_(css(driver, '#note-text')[0].get_attribute('value'), '', 'the note box is emptied')
    card = desk.json('contact', 'show', str(ivan)) or {}
    notes = [e for e in card.get('timeline', []) if e.get('type') == 'note' and
             e.get('text') == text]
    tap.is_([n.get('author') for n in notes], ['anna'],
            'ctidctl contact show has the note once, by anna')


def check_xss(driver, desk, xss_id):
    """5. A contact named with markup, ringing while the search view is open,
    then found by search: text, never markup."""
    go(driver, '#/search')
    until(driver, lambda d: css(d, '#search-input'))
    driver.execute_script(RECORDER)
    before = desk.ring_start('call 01134960000 rings=3', SLOW)
    art = until(driver, lambda d: banner_with(d, XSS))
    tap.ok(art, 'the banner shows the markup name as text', page_state(driver))
    tap.is_(art and css(driver, '[data-test=banner-name]', art)[0].text, XSS,
            'the banner name is exactly the characters of the name')
    tap.is_(art and css(driver, '[data-test=banner-name] *', art), [],
            'the banner name has no elements inside')
    bad = [i.get_attribute('src') for i in css(driver, '#now-banner img')
           if (i.get_attribute('src') or '').endswith('x')]
    tap.is_(bad, [], 'no <img src=x> in the banner')
    tap.ok(not alert_open(driver), 'no alert is open', alert_open(driver))
    desk.wait_call_end(before)
    titles = [r['title'] for r in ended_history(driver, XSS) if r['state'] == 'ringing']
    tap.is_(titles[:1], ['\u260e %s \u2014 ctid' % XSS],
            'the window title names the caller, as text, while it rings')

    box = css(driver, '#search-input')[0]
    box.send_keys('<img')
    tap.is_(results_are(driver, [xss_id]), [str(xss_id)],
            'searching for "<img" finds the contact alone')
    tap.is_(text_of(driver, '#search-results [data-test=search-result-name]'), XSS,
            'the search result shows exactly the characters of the name')
    tap.is_(css(driver, '#search-results [data-test=search-result-name] *'), [],
            'with no elements inside')
    bad = [i.get_attribute('src') for i in css(driver, 'img')
           if (i.get_attribute('src') or '').endswith('/x')]
    tap.is_(bad, [], 'no <img src=x> anywhere in the page')
    tap.ok(not alert_open(driver), 'still no alert', alert_open(driver))
    until(driver, lambda d: d.title == 'ctid')
    tap.is_(driver.title, 'ctid', 'the title is back to "ctid" once no call rings')


def results(driver):
    """The contact ids of the search results, in order."""
    try:
        return [a.get_attribute('data-contact-id') for a in
                css(driver, '#search-results a[data-test=search-result]')]
    except StaleElementReferenceException:
        return None


def results_are(driver, want):
    """Waits until the search results are the contacts want (ids); returns
    the results then, or as they are after the wait."""
    want = [str(i) for i in want]
    got = until(driver, lambda d: results(d) == want and want)
    return got or until(driver, results, 1)


def click_result(driver, contact):
    """Clicks the search result of contact (found again if the list changed)."""
    def click(d):
        for a in css(d, '#search-results a[data-test=search-result]'):
            if a.get_attribute('data-contact-id') == str(contact):
                a.click()
                return True
        return False
    return until(driver, click)


def check_search(driver, desk, ivan, marta, everyone):
    """6. Search as you type; Enter opens the first result, a click another."""
    go(driver, '#/search')
    box = until(driver, lambda d: visible(d, '#search-input'))
    tap.is_(results_are(driver, everyone), [str(c) for c in everyone],
            'before anything is typed, the search view lists every contact by name')
    for ch in 'pozd':
        box.send_keys(ch)
    tap.is_(results_are(driver, [ivan]), [str(ivan)],
            'typing "pozd" lists Ivan Pozdniakov, only him')
    shown = until(driver, lambda d: text_of(d, '#search-results a[data-test=search-result]'))
    tap.ok((shown or '').startswith('Ivan Pozdniakov\nPozdniakov & Sons\n020 7946 0018'),
           'the result shows his name, company and number', shown)
    box.send_keys(Keys.ENTER)
    opened = until(driver, lambda d: text_of(d, '#card-name') == 'Ivan Pozdniakov')
    tap.ok(opened, "Enter opens the first result's card", page_state(driver))

    go(driver, '#/search')
    box = until(driver, lambda d: visible(d, '#search-input'))
    box.send_keys('Kowal')
    tap.is_(results_are(driver, [marta]), [str(marta)],
            'typing "Kowal" lists Marta Kowalska (a word of her name)')
    click_result(driver, marta)
    opened = until(driver, lambda d: text_of(d, '#card-name') == 'Marta Kowalska')
    tap.ok(opened, 'a click on a result opens the card', page_state(driver))


def check_callbacks(driver, desk, marta, xss_id):
    """4. Missed calls in the call-back list, grouped by caller; Mark handled."""
    go(driver, '#/callbacks')
    until(driver, lambda d: css(d, '#callbacks-list, #callbacks-empty'))
    first = desk.ring('call 01614960123 rings=2')
    second = desk.ring('call 01614960123 rings=2')

    def row(d):
        rows = [r for r in css(d, '#callbacks-list [data-test=callback-row]')
                if r.get_attribute('data-contact-id') == str(marta)]
        return rows if rows and '2 calls' in rows[0].text else None
    rows = until(driver, row)
    tap.ok(rows and len(rows) == 1, "Marta's two missed calls are one row of the call-back list",
           page_state(driver))
    ids = sorted(rows[0].get_attribute('data-call-ids').split()) if rows else []
    tap.is_(ids, sorted([str(first['id']), str(second['id'])]), 'the row holds both calls')
    tap.is_(rows and text_of(driver, '[data-test=callback-name]', rows[0]), 'Marta Kowalska',
            'named by the contact')
    xss_rows = [r for r in css(driver, '#callbacks-list [data-test=callback-row]')
                if r.get_attribute('data-contact-id') == str(xss_id)]
    tap.is_(xss_rows and text_of(driver, '[data-test=callback-name]', xss_rows[0]), XSS,
            'the markup-named caller is listed as text')
    missed = desk.json('missed') or []
    tap.ok(any(c.get('contact') and c['contact'].get('id') == marta for c in missed),
           'ctidctl missed lists Marta before', missed)

    if rows:
        css(driver, '[data-test=callback-handled]', rows[0])[0].click()
    gone = until(driver, lambda d: css(d, '#callbacks-list') and not [
        r for r in css(d, '#callbacks-list [data-test=callback-row]')
        if r.get_attribute('data-contact-id') == str(marta)])
    tap.ok(gone, 'Mark handled takes the row off the list', page_state(driver))
    tap.ok(until(driver, lambda d: 'handled' in (text_of(d, '#status-text') or '')),
           'the status line says so', text_of(driver, '#status-text'))
    missed = desk.json('missed') or []
    tap.ok(not any(c.get('contact') and c['contact'].get('id') == marta for c in missed),
           'ctidctl missed no longer lists Marta', missed)
    calls = {c['id']: c for c in desk.calls()}
    got = [(calls.get(i, {}).get('handled'), calls.get(i, {}).get('handled_by'))
           for i in (first['id'], second['id'])]
    tap.is_(got, [(True, 'anna'), (True, 'anna')],
            'ctidctl calls: both handled, by anna')
    others = [r.get_attribute('data-contact-id') for r in
              css(driver, '#callbacks-list [data-test=callback-row]')]
    tap.ok(str(xss_id) in others, 'the other callers stay on the list', others)
    waiting = str(len([c for c in missed if not c.get('called_back')]))
    until(driver, lambda d: text_of(d, '#callback-count') == waiting)
    tap.is_(text_of(driver, '#callback-count'), waiting,
            "the nav's Call back count follows (%s callers waiting)" % waiting)


def check_restore(driver, desk):
    """An admin restores a backup from the report view: the file chosen on
    the page replaces the database, and what came after the backup is gone."""
    backup = os.path.join(desk.dir, 'backup.db')
    desk.ok('backup', backup)
    later = desk.contact('Added After The Backup', '0113 496 0999')
    log_in(driver, desk, 'boss', 'Boss-password-1')
    go(driver, '#/report')
    chooser = until(driver, lambda d: css(d, '#restore-file'))
    tap.ok(chooser, 'an admin sees the restore form', page_state(driver))
    if not chooser:
        return
    chooser[0].send_keys(backup)
    css(driver, '#restore-submit')[0].click()
    ok = until(driver, lambda d: visible(d, '#confirm-ok') and css(d, '#confirm-ok'))
    if ok:
        ok[0].click()
    said = until(driver, lambda d: 'Restored:' in (text_of(d, '#status-text') or '') and
                 text_of(d, '#status-text'))
    tap.ok(said and 'before-restore' in said, 'the page says what was restored and where '
           'the old database is', page_state(driver))
    rc, _, _ = desk.ctl('contact', 'show', str(later))
    tap.ok(rc != 0, 'the contact added after the backup is gone')


def check_link(h, desk, ivan):
    """7. ctidctl open's one-time link in a fresh browser."""
    link = desk.ok('open', str(ivan), '--print', '--url', desk.url)
    tap.ok(re.match(re.escape(desk.url) + r'login/\S+', link), 'ctidctl open prints a link',
           link)
    other = start_browser(h, 'link', (1280, 900))
    other.get(link)
    card = until(other, lambda d: text_of(d, '#card-name') == 'Ivan Pozdniakov')
    tap.ok(card, "the one-time link logs in and lands on the contact's card", page_state(other))
    tap.ok(other.current_url.endswith('/#/contacts/%d' % ivan), 'at /#/contacts/%d' % ivan,
           other.current_url)
    tap.contains(text_of(other, '#session-user'), UNIX_USER,
                 'logged in as the Unix user who ran ctidctl')
    collect(other)
    first_logs = {k: list(v) for k, v in other.logs.items()}

    other.get(link)
    refused = until(other, lambda d: 'cannot be used' in (text_of(d, 'body') or ''))
    tap.ok(refused, 'the same link a second time shows the refusal page', page_state(other))
    collect(other)
    statuses = [ev['params']['response']['status'] for ev in perf_events(other.logs)
                if ev['method'] == 'Network.responseReceived' and
                ev['params']['response']['url'] == link]
    tap.is_(statuses[-1:], [401], 'with HTTP 401')
    return first_logs


def perf_events(logs):
    out = []
    for entry in logs['performance']:
        try:
            out.append(json.loads(entry['message'])['message'])
        except (ValueError, KeyError):
            pass
    return out


def check_origins_and_console(logs, desk, name):
    """8. Only this origin was asked for anything; no severe console error."""
    origin = desk.url.rstrip('/')
    ws_origin = 'ws' + origin[len('http'):]
    urls = []
    for ev in perf_events(logs):
        p = ev['params']
        # What the page asked for (the browser's own pages, such as the new
        # tab page it starts with, are not the page's doing).
        if ev['method'] == 'Network.requestWillBeSent' and \
                p.get('documentURL', '').startswith(origin + '/'):
            urls.append(p['request']['url'])
        elif ev['method'] == 'Network.webSocketCreated':
            urls.append(p['url'])
    foreign = [u for u in urls if not (u == origin or u.startswith(origin + '/') or
                                       u.startswith(ws_origin + '/') or
                                       u.startswith(('data:', 'blob:', 'about:')))]
    tap.ok(urls and any(u.startswith(ws_origin + '/api/v1/events') for u in urls),
           '%s: the network log was read (it has the live events socket)' % name, urls[:20])
    tap.is_(foreign, [], '%s: no request to another origin' % name)

    expected = re.compile(r'/api/v1/(session|login) - Failed to load resource: the server '
                          r'responded with a status of 401')
    severe = [e['message'] for e in logs['browser'] if e.get('level') == 'SEVERE' and
              not expected.search(e['message']) and 'favicon' not in e['message']]
    tap.is_(severe, [], '%s: no severe console message' % name)
    csp = [e['message'] for e in logs['browser'] if 'Content Security Policy' in e['message'] or
           'Content-Security-Policy' in e['message']]
    tap.is_(csp, [], '%s: no CSP violation' % name)


def check_logout(driver, desk):
    driver.execute_script('window.scrollTo(0, 0)')
    css(driver, '#logout')[0].click()
    form = until(driver, lambda d: visible(d, '#login-form'))
    tap.ok(form and not css(driver, '#app')[0].is_displayed(),
           'Log out goes back to the login form', page_state(driver))
    tap.is_(until(driver, lambda d: text_of(d, '#status-text')), 'Logged out.',
            'and says so')
    driver.refresh()
    tap.ok(until(driver, lambda d: visible(d, '#login-form')),
           'after a reload the session is still gone', page_state(driver))


def run_checks(h):
    desk = Desk(h, 'test')
    ivan = desk.contact('Ivan Pozdniakov', '020 7946 0018', 'Pozdniakov & Sons')
    desk.ok('note', 'add', str(ivan), 'prefers calls in the morning')
    desk.ok('note', 'add', str(ivan), 'asked for black shoe cream')
    marta = desk.contact('Marta Kowalska', '0161 496 0123', 'Kowalska Tailoring')
    xss_id = desk.contact(XSS, '0113 496 0000')
    # The desk's Unix user may use the page (ctidctl open logs them in).
    unix_user_ok = UNIX_USER != 'anna' and desk.ctl(
        'user', 'add', UNIX_USER, '--role', 'seller', '--password-stdin',
        stdin='Unix-user-pass-1\n')[0] == 0
    desk.user('anna', 'seller', 'Shoe-cream-2026')
    desk.user('boss', 'admin', 'Boss-password-1')
    desk.start()
    tap.diag('ctid serves %s' % desk.url)

    driver = start_browser(h, 'main', (1280, 900))
    check_login(driver, desk)
    check_banner(driver, desk, ivan)
    check_note(driver, desk, ivan)
    check_late_name(driver, desk)
    check_dismiss(driver, desk)
    check_following(driver, desk)
    check_xss(driver, desk, xss_id)
    check_search(driver, desk, ivan, marta, [xss_id, ivan, marta])
    check_callbacks(driver, desk, marta, xss_id)
    check_logout(driver, desk)
    check_restore(driver, desk)
    tap.ok(not alert_open(driver), 'no alert was ever left open')
    collect(driver)
    if unix_user_ok:
        link_logs = check_link(h, desk, ivan)
    else:
        tap.skip('the one-time link of ctidctl open',
                 'the Unix user %r cannot be a user of the page' % UNIX_USER)
    check_origins_and_console(driver.logs, desk, 'the session of anna')
    if unix_user_ok:
        check_origins_and_console(link_logs, desk, 'the one-time link')
    tap.ok(desk.daemon.alive(), 'ctid is still running', desk.daemon.log()[-2000:])
    quit_browsers()


# --- screenshots ------------------------------------------------------------

def take_screenshots(h, outdir):
    """The shoe shop on a fresh database: Now with a client ringing, a card,
    and the call-back list."""
    os.makedirs(outdir, exist_ok=True)
    desk = Desk(h, 'shots')
    ivan = desk.contact('Ivan Pozdniakov', '020 7946 0018', 'Pozdniakov & Sons')
    desk.ok('contact', 'edit', str(ivan), '--email', 'ivan@pozdniakov.example')
    marta = desk.contact('Marta Kowalska', '0161 496 0123', 'Kowalska Tailoring')
    oleg = desk.contact('Oleg Brodsky', '0113 496 0457')
    desk.contact('Helen Whitcombe', '0117 496 0812', 'Whitcombe Riding School')
    desk.user('anna', 'seller', 'Shoe-cream-2026')
    desk.user('boris', 'seller', 'Shoe-brush-2026')
    anna = desk.ok('user', 'token', 'anna')
    boris = desk.ok('user', 'token', 'boris')
    desk.start()

    def note(token, contact, text, kind='note'):
        desk.api('POST', '/api/v1/contacts/%d/notes' % contact, token,
                 {'text': text, 'kind': kind})

    # Some history first: Ivan called and was answered, Oleg and Marta missed.
    desk.ring('call 02079460018 "POZDNIAKOV I" rings=3 answer=2')
    note(boris, ivan, 'Bought the brown Oxfords, size 43. Will come back for laces.')
    note(boris, ivan, "Pelevin's Generation P, the 1999 hardback, for his nephew", 'order')
    note(anna, ivan, 'Black shoe cream, Saphir Médaille d\'Or, 50 ml', 'request')
    note(anna, ivan, 'Asked for black shoe cream again; told him it comes on Thursday.')
    soon = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=5)
    desk.api('POST', '/api/v1/contacts/%d/reminders' % ivan, anna,
             {'text': "His friend Sergei's birthday: suggest a gift voucher",
              'date': soon.strftime('%m-%d'), 'yearly': True, 'notice': 7})
    note(anna, marta, 'Needs heel taps on three pairs by Friday')
    note(boris, oleg, 'Asked whether we stretch riding boots')
    desk.ring('call 02079460018 rings=2')
    desk.ring('call 01134960457 "BRODSKY O" rings=3')
    desk.ring('call 01614960123 rings=2')
    desk.ring('call 01614960123 "KOWALSKA M" rings=3')
    desk.ring('call 01632960555 rings=2')
    # Ivan's missed call was dealt with; the others wait.
    for c in desk.calls():
        if c.get('contact') and c['contact'].get('id') == ivan and c['state'] == 'missed':
            desk.api('POST', '/api/v1/calls/%d/handled' % c['id'], boris)

    driver = start_browser(h, 'shots', (1280, 1000))
    # The window has the browser's bars; the page itself is to be 1280x800.
    driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                           {'width': 1280, 'height': 800, 'deviceScaleFactor': 1,
                            'mobile': False})
    if not log_in(driver, desk, 'anna', 'Shoe-cream-2026'):
        tap.ok(False, 'screenshots: logged in', page_state(driver))
        return
    size = driver.execute_script('return [innerWidth, innerHeight]')
    tap.is_(size, [1280, 800], 'screenshots: the page is 1280x800')

    def settled(d):
        return not css(d, '.loading') and not css(d, '#now-banner [data-test=banner-call]')

    def shot(name, ready, what):
        ok = until(driver, ready)
        path = os.path.join(outdir, name)
        driver.save_screenshot(path)
        tap.ok(ok and png_size(path) == (1280, 800), 'screenshot %s: %s' % (name, what),
               page_state(driver) if not ok else png_size(path))

    go(driver, '#/contacts/%d' % ivan)
    shot('web-card.png', lambda d: settled(d) and len(css(d, '[data-test=timeline-item]')) >= 6
         and css(d, '[data-test=reminder]') and css(d, '[data-test=open-request]'),
         "Ivan's card with notes, requests, a reminder and calls")

    go(driver, '#/callbacks')
    shot('web-callbacks.png', lambda d: settled(d) and len(css(
        d, '#callbacks-list [data-test=callback-row]')) == 3,
        'the call-back list with three callers')

    go(driver, '#/now')
    until(driver, lambda d: settled(d) and css(d, '#now-calls-list'))
    desk.ring_start('call 02079460018 "POZDNIAKOV I" rings=50', SLOW)

    def ringing(d):
        art = banner_with(d, 'Ivan Pozdniakov')
        return (art and art.get_attribute('data-state') == 'ringing' and
                css(d, '[data-test=banner-latest-note]', art) and
                css(d, '[data-test=banner-request]', art) and
                css(d, '[data-test=banner-reminder]', art) and
                not css(d, '.loading') and
                len(css(d, '#now-calls-list [data-test=call-row]')) >= 7)
    shot('web-now.png', ringing, 'Now, with Ivan ringing')
    collect(driver)
    check_origins_and_console(driver.logs, desk, 'screenshots')
    quit_browsers()


with ctidtest.Harness(timeout=300 if args.screenshots else 180) as h:
    try:
        run_checks(h)
        if args.screenshots:
            take_screenshots(h, args.screenshots)
    finally:
        quit_browsers()

sys.exit(tap.done())
