/* lumbung dashboard: plain JavaScript, no framework.  Every figure comes
 * from the read API (docs/API.md) with the session cookie; nothing is
 * fetched from anywhere but this server.  Pages are routed by location.hash
 * and refreshed every 5 s so a village's push shows without a reload. */
'use strict';
(function () {
  var POLL_MS = 5000;
  var TYPES = ['penduduk', 'keluarga', 'program', 'penerima', 'kegiatan', 'laporan', 'aspirasi'];
  /* Every string a person reads is t('English') (or tn('English') in a
   * table, translated where shown): xgettext -kt -ktn extracts them into the
   * catalogue (po/), and the build compiles the translations into
   * /assets/messages.js (tools/po2json.py). */
  var MESSAGES = window.LUMBUNG_MESSAGES || {};
  var LANGS = ['id', 'en'];
  var lang = 'id';
  var session = null;
  var charts = [];
  var current = null; /* {key, parts: [{load, draw, node, last}]} */

  function t(s) {
    var m = MESSAGES[lang];
    if (m && m[s]) return m[s];
    if (lang !== 'en') (window.lumbungUntranslated = window.lumbungUntranslated || {})[s] = 1;
    return s;
  }
  function tn(s) { return s; }
  function locale() { return lang === 'en' ? 'en-GB' : 'id-ID'; }

  /* The language: ?lang=id|en, else the one chosen with the ID | EN switch
   * (localStorage), else the aggregator's bahasa, else the browser's. */
  function pickLang(bahasa) {
    var q = new URLSearchParams(location.search).get('lang');
    if (LANGS.indexOf(q) >= 0) return q;
    var s = null;
    try { s = localStorage.getItem('lumbung_lang'); } catch (e) { s = null; }
    if (LANGS.indexOf(s) >= 0) return s;
    if (LANGS.indexOf(bahasa) >= 0) return bahasa;
    var nav = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ''];
    for (var i = 0; i < nav.length; i++) {
      var l = String(nav[i]).toLowerCase();
      if (/^(id|in)(-|$)/.test(l)) return 'id';
      if (l.indexOf('en') === 0) return 'en';
    }
    return 'id';
  }

  /* the texts of index.html, by element id */
  var STATIC = {
    'nav-overview': tn('Overview'), 'nav-penduduk': tn('Population'), 'nav-bantuan': tn('Assistance'),
    'nav-kelengkapan': tn('Reporting'), 'nav-unduh': tn('Downloads'), signout: tn('Sign out'),
    'signin-title': tn('Sign in'), 'signin-help': tn('Paste your office access token.'),
    'token-label': tn('Token'), 'signin-submit': tn('Sign in')
  };
  /* the figures of ringkasan, as cards and columns */
  var FIGURES = {
    penduduk: tn('Residents'), penduduk_l: tn('Male'), penduduk_p: tn('Female'), keluarga: tn('Households'),
    program: tn('Programmes'), penerima: tn('Beneficiaries'), kegiatan: tn('Activities'), laporan: tn('Reports'),
    aspirasi_terbuka: tn('Open aspirations'), aspirasi_selesai: tn('Handled aspirations')
  };
  /* the columns of the reports (agg/report.c), by JSON key */
  var COLUMNS = {
    kategori: tn('Category'), nilai: tn('Value'), l: tn('Male'), p: tn('Female'), jumlah: tn('Total'),
    program: tn('Programme code'), nama_program: tn('Programme name'), tahun: tn('Year'),
    anggaran: tn('Budget (Rp)'), target: tn('Target beneficiaries'), disalurkan: tn('Distributed'),
    nik: tn('NIK'), keluarga: tn('Households'), nik_ganda: tn('Duplicate NIKs'), penerima: tn('Beneficiaries'),
    status: tn('Status'), terakhir_terlihat: tn('Last seen'), waktu_terakhir_terlihat: tn('Time last seen'),
    entri_terbaru: tn('Newest entry'), kunci: tn('Keys'), entri: tn('Entries'), cabang: tn('Forks'),
    dicabut: tn('Revoked keys'), diharapkan: tn('Villages expected'), melapor: tn('Villages reporting'),
    terlambat: tn('Late'), belum_pernah: tn('Never'), tingkat_pelaporan: tn('Reporting rate'),
    village: tn('Village code'), name: tn('Village'), kecamatan: tn('Sub-district'), level: tn('Level')
  };
  var REPORTS = {
    ringkasan: tn('Summary per village'), penduduk: tn('Population statistics'),
    bantuan: tn('Assistance per programme'), kelengkapan: tn('Reporting completeness')
  };
  var STATUS = {
    aktif: tn('on time'), terlambat: tn('late'), belum_pernah: tn('never'), cabang: tn('fork'), dicabut: tn('revoked')
  };
  var OPS = { put: tn('saved'), del: tn('deleted') };
  function column(k) { return COLUMNS[k] ? t(COLUMNS[k]) : (FIGURES[k] ? t(FIGURES[k]) : k); }

  function $(id) { return document.getElementById(id); }
  /* el('tr', {class: 'x', data: {village: c}, on: fn}, kids...): text is always a text node */
  function el(tag, attrs) {
    var n = document.createElement(tag);
    var a = attrs || {};
    Object.keys(a).forEach(function (k) {
      if (k === 'data') Object.keys(a.data).forEach(function (d) { n.dataset[d] = a.data[d]; });
      else if (k === 'on') n.addEventListener('click', a.on);
      else if (k === 'text') n.textContent = a.text;
      else n.setAttribute(k, a[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      n.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
    return n;
  }
  function fmt(n) { return typeof n === 'number' ? n.toLocaleString(locale()) : n; }
  /* the name people use for the browser's time zone: WIB, WITA, WIT in
   * Indonesia, else what Intl calls it at d */
  var ZONES = { 'Asia/Jakarta': 'WIB', 'Asia/Pontianak': 'WIB', 'Asia/Makassar': 'WITA', 'Asia/Jayapura': 'WIT' };
  function zone(d) {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (ZONES[tz]) return ZONES[tz];
    var p = new Intl.DateTimeFormat(locale(), { timeZoneName: 'short' }).formatToParts(d)
      .filter(function (x) { return x.type === 'timeZoneName'; });
    return p.length ? p[0].value : '';
  }
  /* an HLC time of the API ("2026-11-28T02:12:00.123Z", maybe "+N") as a Date, or null */
  function parseTime(s) {
    var m = typeof s === 'string' ? s.match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)(\+\d+)?$/) : null;
    var d = m ? new Date(m[1]) : null;
    return d && !isNaN(d.getTime()) ? d : null;
  }
  function part(f, d, type) {
    var p = f.formatToParts(d).filter(function (x) { return x.type === type; });
    return p.length ? p[0].value : '';
  }
  /* a time for people, in the browser's zone: "28 Nov 2026 09:12 WIB" */
  function when(s) {
    var d = s instanceof Date ? s : parseTime(s);
    if (!d) return s || '';
    var f = new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    return part(f, d, 'day') + ' ' + part(f, d, 'month') + ' ' + part(f, d, 'year') + ' ' +
      part(f, d, 'hour') + ':' + part(f, d, 'minute') + ' ' + zone(d);
  }
  /* a day "2026-11-30" as "30 November 2026" / "30 November 2026" */
  function day(s) {
    var m = typeof s === 'string' ? s.match(/^(\d{4})-(\d\d)-(\d\d)$/) : null;
    if (!m) return s || '';
    var d = new Date(+m[1], +m[2] - 1, +m[3]);
    return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long', year: 'numeric' }).format(d);
  }
  /* how long ago a village was last seen (kelengkapan's row k) */
  function lastSeen(k) {
    var d = k ? parseTime(k.waktu_terakhir_terlihat) : null;
    if (!d) return k && k.terakhir_terlihat && k.terakhir_terlihat !== 'belum pernah' ? k.terakhir_terlihat : t(STATUS.belum_pernah);
    var s = Math.max(0, (Date.now() - d.getTime()) / 1000);
    var rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
    if (s < 60) return t('just now');
    if (s < 3600) return rtf.format(-Math.floor(s / 60), 'minute');
    if (s < 86400) return rtf.format(-Math.floor(s / 3600), 'hour');
    return rtf.format(-Math.floor(s / 86400), 'day');
  }

  function Unauthorized() { this.message = 'unauthorized'; }
  function api(path) {
    return fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (r.status === 401) throw new Unauthorized();
        return r.json().then(function (j) {
          if (!r.ok) throw new Error(j.message || String(r.status));
          return j;
        });
      });
  }
  function post(path, body) {
    return fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {})
    }).then(function (r) { return r.json().then(function (j) { j._ok = r.ok; return j; }); });
  }

  /* ---- charts ---- */
  function chart(parent, title, config) {
    var box = el('div', { class: 'chart' });
    var canvas = el('canvas', { 'aria-label': title, role: 'img' });
    box.appendChild(canvas);
    parent.appendChild(el('h2', { text: title }));
    parent.appendChild(box);
    if (!window.Chart) return;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    charts.push(new window.Chart(canvas, config));
  }
  function dropCharts(root) {
    charts = charts.filter(function (c) {
      if (root.contains(c.canvas)) { c.destroy(); return false; }
      return true;
    });
  }

  function table(cols, rows, opts) {
    opts = opts || {};
    var head = el('tr');
    cols.forEach(function (c) { head.appendChild(el('th', { class: c.num ? 'num' : '', text: c.label })); });
    var body = el('tbody');
    rows.forEach(function (r) {
      var tr = el('tr', opts.rowAttrs ? opts.rowAttrs(r) : {});
      cols.forEach(function (c) {
        var v = c.get ? c.get(r) : r[c.key];
        var td = el('td', { class: (c.num ? 'num' : '') + (c.nowrap ? ' nowrap' : ''), data: { k: c.key || '' } });
        if (v && typeof v === 'object' && v.nodeType) td.appendChild(v); else td.textContent = fmt(v);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    return el('div', { class: 'scroll' }, el('table', {}, el('thead', {}, head), body));
  }
  function statusOf(k) {
    if (!k) return 'belum_pernah';
    if (!k.status) return null; /* a total row */
    if (k.cabang > 0 && k.status !== 'dicabut') return 'cabang';
    return k.status;
  }
  function badge(st) {
    if (!st) return '';
    return el('span', { class: 'st st-' + st, data: { status: st }, text: t(STATUS[st] || st) });
  }
  function card(label, n, key) {
    return el('div', { class: 'card', data: { k: key } }, el('div', { class: 'n', text: fmt(n) }), el('div', { class: 'l', text: label }));
  }
  function cards(row, keys) {
    var d = el('div', { class: 'cards' });
    keys.forEach(function (k) { d.appendChild(card(t(FIGURES[k]), row ? row[k] : 0, k)); });
    return d;
  }
  /* the columns a list of records shows besides id and nama (else its first three) */
  var COLS = { penduduk: ['jenis_kelamin', 'tanggal_lahir', 'status', 'dusun'], keluarga: ['dusun', 'rt', 'rw'] };
  var SUMMARY = ['penduduk', 'penduduk_l', 'penduduk_p', 'keluarga', 'program', 'penerima', 'kegiatan', 'laporan', 'aspirasi_terbuka', 'aspirasi_selesai'];

  /* ---- pages: each a list of parts, each part loaded and drawn, and
   * loaded again every POLL_MS (drawn again only when its data changed) ---- */
  function overview() {
    return [{
      load: function () { return Promise.all([api('/v1/reports/ringkasan'), api('/v1/reports/kelengkapan')]); },
      draw: function (d, root) {
        var rk = d[0], kel = {};
        d[1].villages.forEach(function (v) { kel[v.village] = v; });
        root.appendChild(el('h1', { text: t('Region') + ' ' + rk.region, data: { region: rk.region } }));
        root.appendChild(el('p', { class: 'muted', text: t('As of') + ' ' + day(rk.per) }));
        root.appendChild(cards(rk.total[0], SUMMARY));
        root.appendChild(el('h2', { text: t('Villages') }));
        root.appendChild(table([
          { key: 'name', label: t('Village'), get: function (r) { return el('a', { href: '#/desa/' + r.village, text: r.name }); } },
          { key: 'village', label: t('Code') },
          { key: 'status', label: t('Status'), get: function (r) { return badge(statusOf(kel[r.village])); } },
          { key: 'terakhir_terlihat', label: t('Last seen'), get: function (r) { return lastSeen(kel[r.village]); } },
          { key: 'penduduk', label: t('Residents'), num: true },
          { key: 'keluarga', label: t('Households'), num: true },
          { key: 'penerima', label: t('Beneficiaries'), num: true },
          { key: 'aspirasi_terbuka', label: t('Open aspirations'), num: true }
        ], rk.villages, { rowAttrs: function (r) { return { data: { village: r.village } }; } }));
        chart(root, t('Residents per village'), {
          type: 'bar',
          data: {
            labels: rk.villages.map(function (v) { return v.name; }),
            datasets: [
              { label: t('Male'), data: rk.villages.map(function (v) { return v.penduduk_l; }), backgroundColor: '#2f6f9f' },
              { label: t('Female'), data: rk.villages.map(function (v) { return v.penduduk_p; }), backgroundColor: '#c0504d' }
            ]
          },
          options: { scales: { x: { stacked: true }, y: { stacked: true } } }
        });
      }
    }];
  }

  function village(code) {
    var type = 'penduduk', recs = [], next = null, filter = '';
    var list = el('div');
    var hist = el('div');
    function q(s) { return encodeURIComponent(s); }
    function drawList() {
      list.textContent = '';
      var f = filter.toLowerCase();
      var shown = recs.filter(function (r) {
        if (!f) return true;
        var nama = r.record && r.record.nama ? String(r.record.nama).toLowerCase() : '';
        return r.id.toLowerCase().indexOf(f) >= 0 || nama.indexOf(f) >= 0 ||
          (r.record && r.record.nik && String(r.record.nik).indexOf(f) >= 0);
      });
      list.appendChild(el('p', { class: 'muted', text: fmt(shown.length) + ' / ' + fmt(recs.length) + ' ' + t('loaded') }));
      if (!shown.length) { list.appendChild(el('p', { text: t('No records.') })); }
      else {
        var extra = COLS[type] || Object.keys(shown[0].record || {}).filter(function (k) { return k !== 'nama' && k !== 'nik'; }).slice(0, 3);
        var cols = [{ key: 'id', label: 'ID' }, { key: 'nama', label: t('Name'), get: function (r) { return r.record.nama || ''; } }];
        extra.forEach(function (k) { cols.push({ key: k, label: k, get: function (r) { var v = r.record[k]; return v && typeof v === 'object' ? JSON.stringify(v) : v; } }); });
        list.appendChild(table(cols, shown, {
          rowAttrs: function (r) { return { class: 'click', data: { id: r.id }, tabindex: '0' }; }
        }));
        list.querySelectorAll('tr.click').forEach(function (tr) {
          tr.addEventListener('click', function () { showHistory(tr.dataset.id); });
        });
      }
      if (next) list.appendChild(el('button', { type: 'button', id: 'more', on: loadMore, text: t('Load more') }));
    }
    function loadMore() {
      var p = '/v1/records/' + type + '?village=' + q(code) + '&limit=200' + (next ? '&after=' + q(next) : '');
      return api(p).then(function (j) { recs = recs.concat(j.records); next = j.next; drawList(); }, showError(list));
    }
    function showHistory(id) {
      hist.textContent = '';
      api('/v1/history/' + q(code) + '/' + type + '/' + q(id)).then(function (j) {
        var box = el('div', { class: 'history', id: 'history' }, el('h2', { text: t('History') + ': ' + id }));
        box.appendChild(table([
          { key: 'time', label: t('Time'), nowrap: true, get: function (c) { return when(c.time); } },
          { key: 'op', label: t('Change'), get: function (c) { return el('span', { data: { op: c.op }, text: OPS[c.op] ? t(OPS[c.op]) : c.op }); } },
          { key: 'seq', label: t('No.'), num: true },
          { key: 'body', label: '', get: function (c) { return el('pre', { text: c.body ? JSON.stringify(c.body, null, 1) : '—' }); } }
        ], j.changes));
        hist.appendChild(box);
        box.scrollIntoView();
      }, showError(hist));
    }
    function restart() { recs = []; next = null; hist.textContent = ''; return loadMore(); }
    return [{
      load: function () { return api('/v1/reports/ringkasan?village=' + q(code)); },
      draw: function (rk, root) {
        var v = rk.villages[0] || { name: code };
        root.appendChild(el('p', {}, el('a', { href: '#/', text: '← ' + t('Back') })));
        root.appendChild(el('h1', { text: t('Village') + ' ' + v.name + (v.name === code ? '' : ' (' + code + ')'), data: { village: code } }));
        root.appendChild(cards(v, SUMMARY));
      }
    }, {
      once: function (root) {
        var dl = el('p', {}, t('Download this village\'s data') + ': ');
        if (session && session.role === 'auditor') {
          root.appendChild(el('p', { text: t('An auditor token does not read lists of people.') }));
          return;
        }
        TYPES.forEach(function (ty) {
          dl.appendChild(el('a', { href: '/v1/export/' + ty + '.csv?village=' + q(code), download: '' }, ty + '.csv'));
          dl.appendChild(document.createTextNode(' '));
          dl.appendChild(el('a', { href: '/v1/export/' + ty + '.xlsx?village=' + q(code), download: '' }, '.xlsx'));
          dl.appendChild(document.createTextNode(' · '));
        });
        var sel = el('select', { id: 'type' });
        TYPES.forEach(function (ty) { sel.appendChild(el('option', { value: ty, text: ty })); });
        sel.addEventListener('change', function () { type = sel.value; restart(); });
        var search = el('input', { id: 'search', type: 'search', placeholder: t('Search NIK or name') });
        search.addEventListener('input', function () { filter = search.value.trim(); drawList(); });
        root.appendChild(el('h2', { text: t('Records') }));
        root.appendChild(el('div', { class: 'toolbar' }, sel, search));
        root.appendChild(list);
        root.appendChild(hist);
        root.appendChild(dl);
        restart();
      }
    }];
  }

  function report(name) {
    var scope = '';
    return [{
      load: function () {
        return Promise.all([api('/v1/reports/' + name + (scope ? '?village=' + encodeURIComponent(scope) : '')),
          api('/v1/villages')]);
      },
      draw: function (d, root) {
        var r = d[0];
        root.appendChild(el('h1', { text: REPORTS[name] ? t(REPORTS[name]) : r.title, data: { report: name } }));
        var sel = el('select', { id: 'scope' }, el('option', { value: '', text: t('All villages') }));
        d[1].villages.forEach(function (v) {
          var o = el('option', { value: v.code, text: (v.name || v.code) + ' (' + v.code + ')' });
          if (v.code === scope) o.selected = true;
          sel.appendChild(o);
        });
        sel.addEventListener('change', function () { scope = sel.value; refresh(true); });
        root.appendChild(el('div', { class: 'toolbar' }, sel, el('span', { class: 'muted', text: t('As of') + ' ' + day(r.per) })));
        if (name === 'penduduk') {
          var rows = scope ? r.villages : r.total;
          var umur = rows.filter(function (x) { return x.kategori === 'umur'; });
          chart(root, t('Residents by age and sex'), {
            type: 'bar',
            data: {
              labels: umur.map(function (x) { return x.nilai; }),
              datasets: [
                { label: t('Male'), data: umur.map(function (x) { return x.l; }), backgroundColor: '#2f6f9f' },
                { label: t('Female'), data: umur.map(function (x) { return x.p; }), backgroundColor: '#c0504d' }
              ]
            }
          });
          root.appendChild(table(['kategori', 'nilai', 'l', 'p', 'jumlah'].map(function (k) {
            return { key: k, label: column(k), num: k === 'l' || k === 'p' || k === 'jumlah' };
          }), rows));
          return;
        }
        if (name === 'kelengkapan') {
          var counts = {};
          r.villages.forEach(function (v) { var s = statusOf(v); counts[s] = (counts[s] || 0) + 1; });
          var sts = Object.keys(counts);
          var colours = { aktif: '#2e7d32', terlambat: '#e08a00', belum_pernah: '#7a7f83', cabang: '#b71c1c', dicabut: '#37474f' };
          chart(root, t('Villages by reporting status'), {
            type: 'doughnut',
            data: { labels: sts.map(function (s) { return t(STATUS[s] || s); }), datasets: [{ data: sts.map(function (s) { return counts[s]; }), backgroundColor: sts.map(function (s) { return colours[s]; }) }] }
          });
        }
        if (name === 'bantuan') {
          var per = {};
          r.villages.forEach(function (v) { var k = v.nama_program || v.program; per[k] = (per[k] || 0) + (v.penerima || 0); });
          var ks = Object.keys(per);
          chart(root, t('Beneficiaries per programme'), {
            type: 'bar',
            data: { labels: ks, datasets: [{ label: t('Beneficiaries'), data: ks.map(function (k) { return per[k]; }), backgroundColor: '#1f5f4a' }] }
          });
        }
        var all = r.villages.concat(scope ? [] : r.total);
        var keys = all.length ? Object.keys(all[0]) : [];
        root.appendChild(table(keys.map(function (k) {
          var get;
          if (k === 'status') get = function (x) { return badge(statusOf(x)); };
          else if (k === 'terakhir_terlihat') get = function (x) { return x.waktu_terakhir_terlihat || x.terakhir_terlihat ? lastSeen(x) : ''; };
          else if (k === 'waktu_terakhir_terlihat' || k === 'entri_terbaru') get = function (x) { return when(x[k]); };
          return { key: k, label: column(k), num: typeof all[0][k] === 'number', get: get, nowrap: k === 'waktu_terakhir_terlihat' || k === 'entri_terbaru' };
        }), all));
      }
    }];
  }

  function downloads() {
    return [{
      once: function (root) {
        root.appendChild(el('h1', { text: t('Downloads') }));
        root.appendChild(el('p', { text: t('Export the data of the whole region (or your villages) as CSV or XLSX.') }));
        var ul = el('ul', { class: 'dl' });
        TYPES.forEach(function (ty) {
          ul.appendChild(el('li', {}, ty + ': ',
            el('a', { href: '/v1/export/' + ty + '.csv', download: '' }, 'CSV'), ' · ',
            el('a', { href: '/v1/export/' + ty + '.xlsx', download: '' }, 'XLSX')));
        });
        root.appendChild(ul);
      }
    }];
  }

  /* ---- routing, polling, session ---- */
  function showError(node) {
    return function (e) {
      if (e instanceof Unauthorized) { signedOut(); return; }
      node.textContent = '';
      node.appendChild(el('p', { class: 'error', text: t('Could not load') + ': ' + e.message }));
    };
  }
  function route() {
    var h = location.hash.replace(/^#/, '') || '/';
    var m;
    if ((m = h.match(/^\/desa\/([0-9.]+)$/))) return village(m[1]);
    if ((m = h.match(/^\/laporan\/(penduduk|bantuan|kelengkapan|ringkasan)$/))) return report(m[1]);
    if (h === '/unduh') return downloads();
    return overview();
  }
  function draw() {
    var page = $('page');
    dropCharts(page);
    page.textContent = '';
    if (!session) return;
    document.querySelectorAll('#nav a').forEach(function (a) {
      a.classList.toggle('on', a.getAttribute('href') === (location.hash || '#/'));
    });
    current = { parts: route() };
    current.parts.forEach(function (p) {
      p.node = el('section');
      page.appendChild(p.node);
      if (p.once) p.once(p.node);
    });
    refresh(true);
  }
  function refresh(force) {
    if (!session || !current) return;
    var cur = current;
    cur.parts.forEach(function (p) {
      if (!p.load) return;
      p.load().then(function (d) {
        if (cur !== current) return;
        var s = JSON.stringify(d);
        if (!force && s === p.last) return;
        p.last = s;
        dropCharts(p.node);
        p.node.textContent = '';
        p.draw(d, p.node);
        $('updated').textContent = t('Updated') + ' ' + when(new Date());
      }, showError(p.node));
    });
  }
  function translate() {
    document.documentElement.lang = lang;
    document.title = 'lumbung';
    Object.keys(STATIC).forEach(function (id) { $(id).textContent = t(STATIC[id]); });
    $('lang').setAttribute('aria-label', t('Language'));
    LANGS.forEach(function (l) {
      var b = $('lang-' + l);
      b.setAttribute('aria-pressed', String(l === lang));
      b.classList.toggle('on', l === lang);
    });
    $('token').placeholder = 'lbt_…';
    $('signin-error').hidden = true;
  }
  /* the ID | EN switch: remembered in this browser; a ?lang= in the address
   * follows it so a reload keeps what was chosen */
  function choose(l) {
    if (l === lang) return;
    lang = l;
    try { localStorage.setItem('lumbung_lang', l); } catch (e) { /* private mode: this page only */ }
    var u = new URL(location.href);
    if (u.searchParams.has('lang')) {
      u.searchParams.set('lang', l);
      history.replaceState(null, '', u.toString());
    }
    translate();
    draw();
  }
  function signedIn(s) {
    session = s;
    $('signin').hidden = true;
    $('nav').hidden = false;
    $('signout').hidden = false;
    $('who').textContent = s.name + ' · ' + s.role;
    draw();
  }
  function signedOut() {
    session = null;
    current = null;
    dropCharts($('page'));
    $('page').textContent = '';
    $('nav').hidden = true;
    $('signout').hidden = true;
    $('who').textContent = '';
    $('signin').hidden = false;
  }

  document.addEventListener('DOMContentLoaded', function () {
    lang = pickLang(null);
    translate();
    LANGS.forEach(function (l) {
      $('lang-' + l).addEventListener('click', function () { choose(l); });
    });
    $('signin').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var tok = $('token').value.trim();
      post('/v1/session', { token: tok }).then(function (j) {
        $('token').value = '';
        if (j._ok && j.signed_in) { $('signin-error').hidden = true; signedIn(j); }
        else { $('signin-error').textContent = t('That token is not valid.'); $('signin-error').hidden = false; }
      });
    });
    $('signout').addEventListener('click', function () { post('/v1/session/end').then(signedOut); });
    window.addEventListener('hashchange', draw);
    api('/v1/session').then(function (s) {
      /* the aggregator's bahasa is known now: it beats the browser's */
      var l = pickLang(s.bahasa);
      if (l !== lang) { lang = l; translate(); }
      if (s.signed_in) signedIn(s); else signedOut();
    }, signedOut);
    setInterval(function () { refresh(false); }, POLL_MS);
  });
})();
