#!/usr/bin/env python3
"""dashboard.py — drive headless Chromium over the DevTools protocol (CDP)
against a running `lumbung-agg serve`, for tests/cli/dashboard.sh.

Standard library only: the websocket (RFC 6455, client side, text frames)
is spoken by hand.  Prints TAP-ish lines "ok - ..." / "not ok - ..." that
the shell test counts.

  dashboard.py URL TOKEN AGG_BIN AGG_DIR PUSH_SCRIPT SHOT_DIR CHROMIUM WORK URL_EN

The browser runs in Indonesian (--lang=id) in Asia/Jakarta; URL serves an
aggregator without a bahasa, URL_EN one whose bahasa is English.
"""
import datetime
import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zoneinfo

URL, TOKEN, AGG, ADIR, PUSH, SHOTS, CHROME, WORK, URL_EN = sys.argv[1:10]
ORIGIN = URL.rstrip('/')
failed = 0


def ok(cond, what):
    global failed
    if not cond:
        failed += 1
    print(('ok - ' if cond else 'not ok - ') + what, flush=True)
    return cond


class WS:
    """A minimal websocket client: text frames out (masked), frames in."""

    def __init__(self, url):
        m = re.match(r'ws://([^:/]+):(\d+)(/.*)', url)
        self.s = socket.create_connection((m.group(1), int(m.group(2))), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(('GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\n'
                        'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
                        'Sec-WebSocket-Version: 13\r\n\r\n' % (m.group(3), m.group(1), m.group(2), key)).encode())
        head = b''
        while b'\r\n\r\n' not in head:
            c = self.s.recv(1)
            if not c:
                raise IOError('websocket handshake: connection closed')
            head += c
        if b' 101 ' not in head.split(b'\r\n')[0]:
            raise IOError('websocket handshake: ' + head.decode(errors='replace'))

    def _exact(self, n):
        b = b''
        while len(b) < n:
            c = self.s.recv(n - len(b))
            if not c:
                raise IOError('websocket closed')
            b += c
        return b

    def send(self, text):
        data = text.encode()
        n = len(data)
        hdr = bytes([0x81])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack('>H', n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack('>Q', n)
        mask = os.urandom(4)
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        msg = b''
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack('>H', self._exact(2))[0]
            elif n == 127:
                n = struct.unpack('>Q', self._exact(8))[0]
            payload = self._exact(n)
            op = b0 & 0x0f
            if op == 8:
                raise IOError('websocket closed by the browser')
            if op in (9, 10):  # ping, pong: nothing to do for CDP
                continue
            msg += payload
            if b0 & 0x80:
                return msg.decode()


class CDP:
    def __init__(self, ws):
        self.ws, self.n, self.events = ws, 0, []

    def call(self, method, **params):
        self.n += 1
        my = self.n
        self.ws.send(json.dumps({'id': my, 'method': method, 'params': params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get('id') == my:
                if 'error' in m:
                    raise RuntimeError('%s: %s' % (method, m['error']))
                return m.get('result', {})
            if 'method' in m:
                self.events.append(m)

    def js(self, expr):
        r = self.call('Runtime.evaluate', expression=expr, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in r:
            raise RuntimeError('JS %s: %s' % (expr[:60], r['exceptionDetails']))
        return r['result'].get('value')

    def wait(self, expr, secs=10):
        end = time.time() + secs
        while time.time() < end:
            try:
                v = self.js(expr)
                if v:
                    return v
            except RuntimeError:
                pass
            time.sleep(0.2)
        return None

    def shot(self, name):
        png = base64.b64decode(self.call('Page.captureScreenshot', format='png')['data'])
        with open(os.path.join(SHOTS, name), 'wb') as f:
            f.write(png)


def cli_ringkasan():
    out = subprocess.run([AGG, 'report', 'ringkasan', '-d', ADIR, '--json'], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def cli_report(name):
    out = subprocess.run([AGG, 'report', name, '-d', ADIR, '--json'], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def grouped(n, sep):
    """n with thousands grouped by sep, computed here, not by the page."""
    return '{:,}'.format(n).replace(',', sep)


def texts(sel):
    return cdp.js("Array.from(document.querySelectorAll(%s)).map(function (n) { return n.textContent; })"
                  % json.dumps(sel))


# Indonesian and English month abbreviations (the page's times) and names (its days)
MON_ID = ['Jan', 'Feb', 'Mar', 'Apr', 'Mei', 'Jun', 'Jul', 'Agu', 'Sep', 'Okt', 'Nov', 'Des']
MON_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sept', 'Oct', 'Nov', 'Dec']
MONTH_ID = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September',
            'Oktober', 'November', 'Desember']
MONTH_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
            'October', 'November', 'December']


def time_ok(text, prefix, months):
    """text is PREFIX + "D Mon YYYY HH:MM WIB" of about now in Jakarta."""
    m = re.match(re.escape(prefix) + r' (\d{1,2}) (\S+) (\d{4}) (\d\d):(\d\d) WIB$', text or '')
    if not m:
        return False
    now = datetime.datetime.now(zoneinfo.ZoneInfo('Asia/Jakarta'))
    for d in (now, now - datetime.timedelta(minutes=1), now - datetime.timedelta(minutes=2)):
        if (int(m.group(1)), m.group(2).rstrip('.'), int(m.group(3)), int(m.group(4)), int(m.group(5))) == \
                (d.day, months[d.month - 1], d.year, d.hour, d.minute):
            return True
    return False


def digits(s):
    return int(re.sub(r'[^0-9]', '', s or '') or -1)


ROWS_JS = '''JSON.stringify(Array.from(document.querySelectorAll('tr[data-village]')).map(function (tr) {
  var o = {village: tr.dataset.village};
  tr.querySelectorAll('td[data-k]').forEach(function (td) { o[td.dataset.k] = td.textContent; });
  var st = tr.querySelector('[data-status]'); o.status = st ? st.dataset.status : null;
  return o; }))'''
KEYS = ['penduduk', 'keluarga', 'penerima', 'aspirasi_terbuka']


def rows_match(want):
    got = json.loads(cdp.js(ROWS_JS))
    if len(got) != len(want['villages']):
        return False, 'rows %d, wanted %d' % (len(got), len(want['villages']))
    for g, w in zip(got, want['villages']):
        if g['village'] != w['village'] or g['name'] != w['name']:
            return False, 'row %r, wanted %s %s' % (g, w['village'], w['name'])
        for k in KEYS:
            if digits(g[k]) != w[k]:
                return False, '%s %s: page %r, CLI %d' % (w['village'], k, g[k], w[k])
    return True, ''


# --- the browser -------------------------------------------------------------
prof = os.path.join(WORK, 'chromium')
chrome = subprocess.Popen([CHROME, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
                           '--disable-extensions', '--disable-background-networking',
                           '--disable-component-update', '--disable-sync', '--disable-default-apps',
                           '--metrics-recording-only', '--no-default-browser-check',
                           '--window-size=1280,900', '--remote-debugging-port=0',
                           '--lang=id', '--accept-lang=id-ID,id',
                           '--user-data-dir=' + prof, 'about:blank'],
                          env=dict(os.environ, TZ='Asia/Jakarta', LANGUAGE='id', LANG='id_ID.UTF-8'),
                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(WORK, 'chromium.log'), 'w'))
try:
    port_file = os.path.join(prof, 'DevToolsActivePort')
    end = time.time() + 20
    while not os.path.exists(port_file) and time.time() < end and chrome.poll() is None:
        time.sleep(0.1)
    if not ok(os.path.exists(port_file), 'chromium starts with remote debugging'):
        sys.exit(1)
    time.sleep(0.2)
    port = open(port_file).read().split()[0]
    targets = json.load(urllib.request.urlopen('http://127.0.0.1:%s/json/list' % port))
    page = [t for t in targets if t['type'] == 'page'][0]
    cdp = CDP(WS(page['webSocketDebuggerUrl']))
    for d in ('Runtime', 'Log', 'Network', 'Page'):
        cdp.call(d + '.enable')
    cdp.call('Emulation.setDeviceMetricsOverride', width=1280, height=900, deviceScaleFactor=1, mobile=False)

    # --- no cookie: the sign-in form ------------------------------------------
    cdp.call('Page.navigate', url=ORIGIN + '/')
    ok(cdp.wait("document.getElementById('signin') && !document.getElementById('signin').hidden && "
                "document.querySelectorAll('tr[data-village]').length === 0"),
       'without a cookie the page shows the sign-in form and no village')
    ok(cdp.js("navigator.language").lower().startswith('id'), 'the browser speaks Indonesian')
    ok(cdp.wait("document.getElementById('signin-title').textContent === 'Masuk' && "
                "document.getElementById('signin-submit').textContent === 'Masuk' && "
                "document.documentElement.lang === 'id'"),
       'an aggregator without a bahasa: the sign-in form follows the browser, Indonesian')
    cdp.shot('dashboard-signin.png')

    # --- a wrong token is refused, a right one signs in -------------------------
    cdp.js("document.getElementById('token').value = 'lbt_' + '0'.repeat(64); "
           "document.getElementById('signin').requestSubmit(); true")
    ok(cdp.wait("!document.getElementById('signin-error').hidden"), 'a wrong token shows an error, no sign-in')
    cdp.js("document.getElementById('token').value = %s; document.getElementById('signin').requestSubmit(); true"
           % json.dumps(TOKEN))
    want = cli_ringkasan()
    ok(cdp.wait("document.querySelectorAll('tr[data-village]').length === %d" % len(want['villages'])),
       'after sign-in the overview lists every village')
    good, why = rows_match(want)
    ok(good, 'village names and counts on the page equal `report ringkasan --json` ' + why)
    tot = cdp.js("document.querySelector('.card[data-k=penduduk] .n').textContent")
    ok(digits(tot) == want['total'][0]['penduduk'],
       'the region total of residents is the CLI\'s (%s vs %d)' % (tot, want['total'][0]['penduduk']))
    st = json.loads(cdp.js(ROWS_JS))
    ok([r['status'] for r in st] == ['aktif', 'aktif', 'aktif', 'belum_pernah', 'dicabut'],
       'villages that pushed are on time, one that never did "never", a revoked one "revoked": %s' % [r['status'] for r in st])
    ok(cdp.js("document.querySelectorAll('#page b').length === 0"), 'a village name with markup is shown as text')
    ok(cdp.wait("document.querySelector('canvas') && document.querySelector('canvas').width > 0"),
       'the overview draws a chart')
    cookies = cdp.call('Network.getCookies', urls=[ORIGIN + '/'])['cookies']
    c = [x for x in cookies if x['name'] == 'lumbung_token']
    ok(len(c) == 1 and c[0]['httpOnly'] and c[0]['sameSite'] == 'Strict' and c[0]['path'] == '/',
       'the session cookie is HttpOnly, SameSite=Strict, Path=/')
    ok(cdp.js("document.cookie.indexOf('lumbung_token') < 0"), 'the page\'s script cannot read the token')
    time.sleep(0.5)
    cdp.shot('dashboard-overview.png')

    # --- in Indonesian: the key labels, numbers and times ------------------------
    ok(texts('#nav a') == ['Ringkasan', 'Penduduk', 'Bantuan', 'Kelengkapan', 'Unduh'],
       'the menu is in Indonesian: %s' % texts('#nav a'))
    heads = texts('#page th')
    ok(all(h in heads for h in ['Desa', 'Kode', 'Status', 'Terakhir terlihat', 'Penduduk', 'Keluarga', 'Penerima']),
       'the villages\' table is headed in Indonesian: %s' % heads)
    ok(cdp.js("document.querySelector('.card[data-k=penduduk] .l').textContent") == 'Penduduk' and
       cdp.js("document.querySelector('.card[data-k=penduduk_p] .l').textContent") == 'Perempuan',
       'the cards are labelled in Indonesian')
    ok(texts('[data-status=aktif]')[:1] == ['tepat waktu'] and texts('[data-status=dicabut]') == ['dicabut'],
       'statuses read "tepat waktu", "dicabut"')
    ok(cdp.js("document.getElementById('signout').textContent") == 'Keluar', 'the sign-out button reads "Keluar"')
    upd = cdp.js("document.getElementById('updated').textContent")
    ok(time_ok(upd, 'Diperbarui', MON_ID), 'the update time is "Diperbarui D Mon YYYY HH:MM WIB", Jakarta\'s now: %r' % upd)
    per = cdp.js("document.querySelector('#page p.muted').textContent")
    y, mo, d = (int(x) for x in want['per'].split('-'))
    ok(per == 'Per %d %s %d' % (d, MONTH_ID[mo - 1], y), 'the day of the figures in Indonesian: %r (per %s)' % (per, want['per']))

    # --- a push while the page is open shows up without a reload ---------------
    cdp.js("window.__same_page = 1; true")
    subprocess.run(['sh', PUSH], check=True)
    want2 = cli_ringkasan()
    ok(want2['total'][0]['penduduk'] != want['total'][0]['penduduk'], 'the push changed the CLI\'s figures')
    end = time.time() + 12
    good = False
    while time.time() < end and not good:
        time.sleep(0.3)
        good, why = rows_match(want2)
    ok(good, 'a push shows up on the open page within ~10 s ' + why)
    ok(cdp.js("window.__same_page === 1"), '... without a reload')

    # --- a village page ---------------------------------------------------------
    v = want2['villages'][0]
    ok('<b>' in v['name'], 'the first village has the name with markup: %r' % v['name'])
    cdp.js("location.hash = '#/desa/%s'; true" % v['village'])
    ok(cdp.wait("document.getElementById('search') && document.getElementById('search').placeholder === 'Cari NIK atau nama'"),
       'the village page\'s search reads "Cari NIK atau nama"')
    ok(cdp.wait("document.querySelectorAll('tr[data-id]').length > 0"), 'the village page lists its records')
    got = cdp.js("document.querySelector('.card[data-k=penduduk] .n').textContent")
    ok(digits(got) == v['penduduk'], 'the village page shows its residents (%s vs %d)' % (got, v['penduduk']))
    ok(cdp.js("document.querySelector('h1[data-village]').textContent.indexOf(%s) >= 0" % json.dumps(v['name'])),
       'the village page is titled with its name')
    first = cdp.js("document.querySelector('tr[data-id]').dataset.id")
    nama = cdp.js("document.querySelector('tr[data-id] td[data-k=nama]').textContent")
    n_loaded = cdp.js("document.querySelectorAll('tr[data-id]').length")
    cdp.js("var s = document.getElementById('search'); s.value = %s; "
           "s.dispatchEvent(new Event('input')); true" % json.dumps(first))
    ok(cdp.wait("document.querySelectorAll('tr[data-id]').length === 1 && "
                "document.querySelector('tr[data-id]').dataset.id === %s" % json.dumps(first)),
       'a search by NIK finds that one record among %s' % n_loaded)
    cdp.js("var s = document.getElementById('search'); s.value = %s; "
           "s.dispatchEvent(new Event('input')); true" % json.dumps(nama.lower()))
    ok(cdp.wait("Array.from(document.querySelectorAll('tr[data-id]')).some(function (t) { return t.dataset.id === %s; })"
                % json.dumps(first)), 'a search by name (any case) finds it too')
    cdp.js("document.querySelector('tr[data-id]').click(); true")
    ok(cdp.wait("document.getElementById('history') && "
                "document.querySelectorAll('#history tbody tr').length >= 1"), 'a record\'s history is shown')
    ht = cdp.js("document.querySelector('#history td[data-k=time]').textContent")
    ok(re.match(r'\d{1,2} (%s) \d{4} \d\d:\d\d WIB$' % '|'.join(MON_ID), ht or ''), 'a change\'s time reads like "28 Nov 2026 09:12 WIB": %r' % ht)
    ok(texts('#history [data-op=put]')[:1] == ['disimpan'], 'a change is "disimpan"')
    cdp.js("window.scrollTo(0, 0); true")
    time.sleep(0.3)
    cdp.shot('dashboard-village.png')

    # --- a report page with its chart, then English -----------------------------
    cdp.js("location.hash = '#/laporan/penduduk'; true")
    ok(cdp.wait("document.querySelector('h1[data-report=penduduk]') && document.querySelector('canvas') && "
                "Array.from(document.querySelectorAll('td')).some(function (t) { return t.textContent === '75+'; })"),
       'the penduduk report shows its table (age bands) and a chart')
    time.sleep(0.5)
    cdp.shot('dashboard-penduduk.png')
    ok(cdp.js("document.querySelector('h1[data-report=penduduk]').textContent") == 'Statistik kependudukan',
       'the penduduk report is titled in Indonesian')
    cdp.js("location.hash = '#/laporan/kelengkapan'; true")
    ok(cdp.wait("document.querySelector('h1[data-report=kelengkapan]') && document.querySelector('canvas')"),
       'the kelengkapan report shows a chart')
    time.sleep(0.5)
    cdp.shot('dashboard-kelengkapan.png')
    bantuan = cli_report('bantuan')
    rp = [r['anggaran'] for r in bantuan['villages'] if r.get('anggaran', 0) >= 1000]
    ok(rp, 'the villages have programmes with a budget of a thousand rupiah or more')
    cdp.js("location.hash = '#/laporan/bantuan'; true")
    ok(cdp.wait("document.querySelector('h1[data-report=bantuan]') && document.querySelectorAll('td[data-k=anggaran]').length > 0"),
       'the bantuan report shows its table')
    cells = texts('td[data-k=anggaran]')
    ok(rp and grouped(rp[0], '.') in cells, 'a budget reads the Indonesian way (%s) among %s' % (grouped(rp[0], '.') if rp else '', cells[:3]))
    heads = texts('#page th')
    ok('Anggaran (Rp)' in heads and 'Kode program' in heads, 'the bantuan report is headed in Indonesian: %s' % heads)
    cdp.js("location.hash = '#/unduh'; true")
    hrefs = "Array.from(document.querySelectorAll('#page a')).map(function (a) { return a.getAttribute('href'); })"
    ok(cdp.wait(hrefs + ".indexOf('/v1/export/penduduk.csv') >= 0 && " + hrefs + ".indexOf('/v1/export/penduduk.xlsx') >= 0"),
       'the downloads page links the exports')
    miss = cdp.js("JSON.stringify(Object.keys(window.lumbungUntranslated || {}))")
    ok(miss == '[]', 'every string the pages showed has an Indonesian translation; missing: %s' % miss)

    # --- English: ?lang=en, then the ID | EN switch ------------------------------------
    cdp.call('Page.navigate', url=ORIGIN + '/?lang=en#/')
    ok(cdp.wait("document.querySelector('#nav a').textContent === 'Overview' && "
                "document.querySelectorAll('tr[data-village]').length > 0"), '?lang=en shows the pages in English')
    ok(texts('#nav a') == ['Overview', 'Population', 'Assistance', 'Reporting', 'Downloads'],
       'the menu is in English: %s' % texts('#nav a'))
    heads = texts('#page th')
    ok(all(h in heads for h in ['Village', 'Code', 'Status', 'Last seen', 'Residents', 'Households', 'Beneficiaries']),
       'the villages\' table is headed in English: %s' % heads)
    ok(cdp.js("document.querySelector('.card[data-k=penduduk] .l').textContent") == 'Residents' and
       cdp.js("document.documentElement.lang") == 'en', 'the cards are labelled in English, the page is lang=en')
    ok(texts('[data-status=aktif]')[:1] == ['on time'] and texts('[data-status=belum_pernah]') == ['never'],
       'statuses read "on time", "never"')
    ok(cdp.wait("/^Updated /.test(document.getElementById('updated').textContent)"), 'the footer says "Updated"')
    upd = cdp.js("document.getElementById('updated').textContent")
    ok(time_ok(upd, 'Updated', MON_EN) or time_ok(upd, 'Updated', [m[:3] for m in MON_EN]),
       'the update time is "Updated D Mon YYYY HH:MM WIB", Jakarta\'s now: %r' % upd)
    ok(cdp.js("document.getElementById('lang-en').getAttribute('aria-pressed')") == 'true' and
       cdp.js("document.getElementById('lang-id').getAttribute('aria-pressed')") == 'false',
       'the switch shows EN chosen')
    time.sleep(0.5)
    cdp.shot('dashboard-overview-en.png')
    cdp.js("location.hash = '#/laporan/bantuan'; true")
    ok(cdp.wait("document.querySelector('h1[data-report=bantuan]') && "
                "document.querySelector('h1[data-report=bantuan]').textContent === 'Assistance per programme' && "
                "document.querySelectorAll('td[data-k=anggaran]').length > 0"), 'the bantuan report in English')
    cells = texts('td[data-k=anggaran]')
    ok(rp and grouped(rp[0], ',') in cells, 'a budget reads the English way (%s) among %s' % (grouped(rp[0], ',') if rp else '', cells[:3]))
    cdp.js("location.hash = '#/laporan/penduduk'; true")
    ok(cdp.wait("document.querySelector('h1[data-report=penduduk]') && "
                "document.querySelector('h1[data-report=penduduk]').textContent === 'Population statistics' && "
                "document.querySelector('canvas')"), 'the penduduk report in English')
    time.sleep(0.5)
    cdp.shot('dashboard-penduduk-en.png')
    cdp.js("document.getElementById('lang-id').click(); location.hash = '#/'; true")
    ok(cdp.wait("document.querySelector('#nav a').textContent === 'Ringkasan' && "
                "document.querySelectorAll('tr[data-village]').length > 0 && "
                "location.search === '?lang=id'"), 'the ID switch translates the pages back and the address follows')
    time.sleep(0.5)
    cdp.shot('dashboard-overview-id.png')
    cdp.call('Page.navigate', url=ORIGIN + '/#/')
    ok(cdp.wait("document.querySelector('#nav a').textContent === 'Ringkasan' && "
                "document.querySelectorAll('tr[data-village]').length > 0"), 'without ?lang the choice is remembered')
    cdp.js("document.getElementById('lang-en').click(); true")
    ok(cdp.wait("document.querySelector('#nav a').textContent === 'Overview' && "
                "document.querySelectorAll('tr[data-village]').length > 0"), 'the EN switch translates the pages')
    cdp.call('Page.reload')
    ok(cdp.wait("document.querySelector('#nav a').textContent === 'Overview' && "
                "document.querySelectorAll('tr[data-village]').length > 0"),
       'the language choice and the session survive a reload')

    # --- an aggregator whose bahasa is English beats the browser's Indonesian ---------
    cdp.call('Page.navigate', url=URL_EN.rstrip('/') + '/')
    ok(cdp.wait("document.getElementById('signin') && !document.getElementById('signin').hidden && "
                "document.getElementById('signin-title').textContent === 'Sign in' && "
                "document.documentElement.lang === 'en'"),
       'an aggregator with bahasa en shows its sign-in form in English to an Indonesian browser')
    cdp.shot('dashboard-signin-en.png')
    cdp.call('Page.navigate', url=URL_EN.rstrip('/') + '/?lang=id')
    ok(cdp.wait("document.getElementById('signin-title').textContent === 'Masuk'"), '... and ?lang=id still wins')
    cdp.call('Page.navigate', url=ORIGIN + '/#/')
    ok(cdp.wait("document.querySelectorAll('tr[data-village]').length > 0"), 'back on the first aggregator')

    # --- what the browser saw ------------------------------------------------------
    time.sleep(0.5)
    cdp.call('Runtime.evaluate', expression='1')  # collect pending events
    errs = [e for e in cdp.events if
            (e['method'] == 'Runtime.consoleAPICalled' and e['params']['type'] in ('error', 'assert')) or
            e['method'] == 'Runtime.exceptionThrown' or
            (e['method'] == 'Log.entryAdded' and e['params']['entry']['level'] == 'error'
             and '/v1/session' not in e['params']['entry'].get('url', ''))]
    ok(not errs, 'no console errors or exceptions: %s' % json.dumps(errs)[:600])
    reqs = [e['params']['request']['url'] for e in cdp.events if e['method'] == 'Network.requestWillBeSent']
    away = [u for u in reqs if not u.startswith(ORIGIN + '/') and not u.startswith(URL_EN.rstrip('/') + '/')
            and not u.startswith('data:')]
    ok(len(reqs) > 10 and not away, 'every request (%d) went to the server\'s origin; elsewhere: %s' % (len(reqs), away))

    # --- sign out ----------------------------------------------------------------
    cdp.js("document.getElementById('signout').click(); true")
    ok(cdp.wait("!document.getElementById('signin').hidden && document.querySelectorAll('tr[data-village]').length === 0"),
       'signing out shows the sign-in form again')
    code = cdp.js("fetch('/v1/villages', {credentials: 'same-origin'}).then(function (r) { return r.status; })")
    ok(code == 401, 'after signing out the API answers the page 401 (got %s)' % code)
finally:
    chrome.terminate()
    try:
        chrome.wait(10)
    except subprocess.TimeoutExpired:
        chrome.kill()
    shutil.rmtree(prof, ignore_errors=True)
sys.exit(1 if failed else 0)
