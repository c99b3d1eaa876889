/* lumbung dashboard: plain JavaScript, no framework.  Every figure comes
 * from the read API (docs/API.md) with the session cookie; nothing is
 * fetched from anywhere but this server.  Pages are routed by location.hash
 * and refreshed every 5 s so a village's push shows without a reload. */
'use strict';
(function () {
  var POLL_MS = 5000;
  var TYPES = ['penduduk', 'keluarga', 'program', 'penerima', 'kegiatan', 'laporan', 'aspirasi'];
  var T = {
    id: {
      overview: 'Ringkasan', r_penduduk: 'Penduduk', r_bantuan: 'Bantuan', r_kelengkapan: 'Kelengkapan',
      downloads: 'Unduh', signout: 'Keluar', signin_title: 'Masuk', signin: 'Masuk', token: 'Token',
      signin_help: 'Tempel token akses kantor Anda.', bad_token: 'Token tidak berlaku.',
      region: 'Wilayah', village: 'Desa', kecamatan: 'Kecamatan', status: 'Status', last_seen: 'Terakhir terlihat',
      penduduk: 'Penduduk', penduduk_l: 'Laki-laki', penduduk_p: 'Perempuan', keluarga: 'Keluarga',
      program: 'Program', penerima: 'Penerima', kegiatan: 'Kegiatan', laporan: 'Laporan',
      aspirasi_terbuka: 'Aspirasi terbuka', aspirasi_selesai: 'Aspirasi selesai',
      st_aktif: 'tepat waktu', st_terlambat: 'terlambat', st_belum_pernah: 'belum pernah',
      st_cabang: 'cabang (fork)', st_dicabut: 'dicabut', villages: 'Desa',
      records: 'Data', search: 'Cari NIK atau nama', more: 'Muat lebih', loaded: 'dimuat',
      history: 'Riwayat', no_records: 'Tidak ada data.', auditor_no_records: 'Token auditor tidak membaca daftar orang.',
      all_villages: 'Semua desa', updated: 'Diperbarui', per: 'per', error: 'Gagal memuat',
      age_by_sex: 'Penduduk menurut umur dan jenis kelamin', per_village: 'Penduduk per desa',
      status_chart: 'Status pelaporan desa', recipients_chart: 'Penerima per program',
      downloads_help: 'Ekspor data seluruh wilayah (atau desa Anda) sebagai CSV atau XLSX.',
      this_village_dl: 'Unduh data desa ini', time: 'Waktu', op: 'Operasi', back: 'Kembali',
      language: 'English', category: 'Kategori', value: 'Nilai'
    },
    en: {
      overview: 'Overview', r_penduduk: 'Population', r_bantuan: 'Assistance', r_kelengkapan: 'Reporting',
      downloads: 'Downloads', signout: 'Sign out', signin_title: 'Sign in', signin: 'Sign in', token: 'Token',
      signin_help: 'Paste your office access token.', bad_token: 'That token is not valid.',
      region: 'Region', village: 'Village', kecamatan: 'Sub-district', status: 'Status', last_seen: 'Last seen',
      penduduk: 'Residents', penduduk_l: 'Male', penduduk_p: 'Female', keluarga: 'Households',
      program: 'Programmes', penerima: 'Beneficiaries', kegiatan: 'Activities', laporan: 'Reports',
      aspirasi_terbuka: 'Open aspirations', aspirasi_selesai: 'Handled aspirations',
      st_aktif: 'on time', st_terlambat: 'late', st_belum_pernah: 'never', st_cabang: 'fork',
      st_dicabut: 'revoked', villages: 'Villages',
      records: 'Records', search: 'Search NIK or name', more: 'Load more', loaded: 'loaded',
      history: 'History', no_records: 'No records.', auditor_no_records: 'An auditor token does not read lists of people.',
      all_villages: 'All villages', updated: 'Updated', per: 'as of', error: 'Could not load',
      age_by_sex: 'Residents by age and sex', per_village: 'Residents per village',
      status_chart: 'Villages by reporting status', recipients_chart: 'Beneficiaries per programme',
      downloads_help: 'Export the data of the whole region (or your villages) as CSV or XLSX.',
      this_village_dl: 'Download this village\'s data', time: 'Time', op: 'Operation', back: 'Back',
      language: 'Bahasa Indonesia', category: 'Category', value: 'Value'
    }
  };
  var lang = localStorage.getItem('lumbung_lang') === 'en' ? 'en' : 'id';
  var session = null;
  var charts = [];
  var current = null; /* {key, parts: [{load, draw, node, last}]} */

  function t(k) {
    if (T[lang][k] !== undefined) return T[lang][k];
    return T.id[k] !== undefined ? T.id[k] : k;
  }
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
  function fmt(n) { return typeof n === 'number' ? n.toLocaleString(lang === 'en' ? 'en-GB' : 'id-ID') : n; }
  function ago(s) {
    if (lang === 'id' || !s) return s;
    return s.replace('baru saja', 'just now').replace('belum pernah', 'never')
      .replace(/(\d+) menit lalu/, '$1 minutes ago').replace(/(\d+) jam lalu/, '$1 hours ago')
      .replace(/(\d+) hari lalu/, '$1 days ago');
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
        var td = el('td', { class: c.num ? 'num' : '', data: { k: c.key || '' } });
        if (v && typeof v === 'object' && v.nodeType) td.appendChild(v); else td.textContent = fmt(v);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    return el('table', {}, el('thead', {}, head), body);
  }
  function statusOf(k) {
    if (!k) return 'belum_pernah';
    if (k.cabang > 0 && k.status !== 'dicabut') return 'cabang';
    return k.status;
  }
  function badge(st) { return el('span', { class: 'st st-' + st, data: { status: st }, text: t('st_' + st) }); }
  function card(label, n, key) {
    return el('div', { class: 'card', data: { k: key } }, el('div', { class: 'n', text: fmt(n) }), el('div', { class: 'l', text: label }));
  }
  function cards(row, keys) {
    var d = el('div', { class: 'cards' });
    keys.forEach(function (k) { d.appendChild(card(t(k), row ? row[k] : 0, k)); });
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
        root.appendChild(el('h1', { text: t('region') + ' ' + rk.region, data: { region: rk.region } }));
        root.appendChild(el('p', { class: 'muted', text: t('per') + ' ' + rk.per }));
        root.appendChild(cards(rk.total[0], SUMMARY));
        root.appendChild(el('h2', { text: t('villages') }));
        root.appendChild(table([
          { key: 'name', label: t('village'), get: function (r) { return el('a', { href: '#/desa/' + r.village, text: r.name }); } },
          { key: 'village', label: 'Kode' },
          { key: 'status', label: t('status'), get: function (r) { return badge(statusOf(kel[r.village])); } },
          { key: 'terakhir_terlihat', label: t('last_seen'), get: function (r) { var k = kel[r.village]; return ago(k ? k.terakhir_terlihat : ''); } },
          { key: 'penduduk', label: t('penduduk'), num: true },
          { key: 'keluarga', label: t('keluarga'), num: true },
          { key: 'penerima', label: t('penerima'), num: true },
          { key: 'aspirasi_terbuka', label: t('aspirasi_terbuka'), num: true }
        ], rk.villages, { rowAttrs: function (r) { return { data: { village: r.village } }; } }));
        chart(root, t('per_village'), {
          type: 'bar',
          data: {
            labels: rk.villages.map(function (v) { return v.name; }),
            datasets: [
              { label: t('penduduk_l'), data: rk.villages.map(function (v) { return v.penduduk_l; }), backgroundColor: '#2f6f9f' },
              { label: t('penduduk_p'), data: rk.villages.map(function (v) { return v.penduduk_p; }), backgroundColor: '#c0504d' }
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
      list.appendChild(el('p', { class: 'muted', text: shown.length + ' / ' + recs.length + ' ' + t('loaded') }));
      if (!shown.length) { list.appendChild(el('p', { text: t('no_records') })); }
      else {
        var extra = COLS[type] || Object.keys(shown[0].record || {}).filter(function (k) { return k !== 'nama' && k !== 'nik'; }).slice(0, 3);
        var cols = [{ key: 'id', label: 'ID' }, { key: 'nama', label: 'Nama', get: function (r) { return r.record.nama || ''; } }];
        extra.forEach(function (k) { cols.push({ key: k, label: k, get: function (r) { var v = r.record[k]; return v && typeof v === 'object' ? JSON.stringify(v) : v; } }); });
        list.appendChild(table(cols, shown, {
          rowAttrs: function (r) { return { class: 'click', data: { id: r.id }, tabindex: '0' }; }
        }));
        list.querySelectorAll('tr.click').forEach(function (tr) {
          tr.addEventListener('click', function () { showHistory(tr.dataset.id); });
        });
      }
      if (next) list.appendChild(el('button', { type: 'button', id: 'more', on: loadMore, text: t('more') }));
    }
    function loadMore() {
      var p = '/v1/records/' + type + '?village=' + q(code) + '&limit=200' + (next ? '&after=' + q(next) : '');
      return api(p).then(function (j) { recs = recs.concat(j.records); next = j.next; drawList(); }, showError(list));
    }
    function showHistory(id) {
      hist.textContent = '';
      api('/v1/history/' + q(code) + '/' + type + '/' + q(id)).then(function (j) {
        var box = el('div', { class: 'history', id: 'history' }, el('h2', { text: t('history') + ': ' + id }));
        box.appendChild(table([
          { key: 'time', label: t('time') }, { key: 'op', label: t('op') }, { key: 'seq', label: 'seq', num: true },
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
        root.appendChild(el('p', {}, el('a', { href: '#/', text: '← ' + t('back') })));
        root.appendChild(el('h1', { text: t('village') + ' ' + v.name + (v.name === code ? '' : ' (' + code + ')'), data: { village: code } }));
        root.appendChild(cards(v, SUMMARY));
      }
    }, {
      once: function (root) {
        var dl = el('p', {}, t('this_village_dl') + ': ');
        if (session && session.role === 'auditor') {
          root.appendChild(el('p', { text: t('auditor_no_records') }));
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
        var search = el('input', { id: 'search', type: 'search', placeholder: t('search') });
        search.addEventListener('input', function () { filter = search.value.trim(); drawList(); });
        root.appendChild(el('h2', { text: t('records') }));
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
        root.appendChild(el('h1', { text: r.title, data: { report: name } }));
        var sel = el('select', { id: 'scope' }, el('option', { value: '', text: t('all_villages') }));
        d[1].villages.forEach(function (v) {
          var o = el('option', { value: v.code, text: (v.name || v.code) + ' (' + v.code + ')' });
          if (v.code === scope) o.selected = true;
          sel.appendChild(o);
        });
        sel.addEventListener('change', function () { scope = sel.value; refresh(true); });
        root.appendChild(el('div', { class: 'toolbar' }, sel, el('span', { class: 'muted', text: t('per') + ' ' + r.per })));
        if (name === 'penduduk') {
          var rows = scope ? r.villages : r.total;
          var umur = rows.filter(function (x) { return x.kategori === 'umur'; });
          chart(root, t('age_by_sex'), {
            type: 'bar',
            data: {
              labels: umur.map(function (x) { return x.nilai; }),
              datasets: [
                { label: t('penduduk_l'), data: umur.map(function (x) { return x.l; }), backgroundColor: '#2f6f9f' },
                { label: t('penduduk_p'), data: umur.map(function (x) { return x.p; }), backgroundColor: '#c0504d' }
              ]
            }
          });
          root.appendChild(table([{ key: 'kategori', label: t('category') }, { key: 'nilai', label: t('value') },
            { key: 'l', label: 'L', num: true }, { key: 'p', label: 'P', num: true }, { key: 'jumlah', label: 'Jumlah', num: true }], rows));
          return;
        }
        if (name === 'kelengkapan') {
          var counts = {};
          r.villages.forEach(function (v) { var s = statusOf(v); counts[s] = (counts[s] || 0) + 1; });
          var sts = Object.keys(counts);
          var colours = { aktif: '#2e7d32', terlambat: '#e08a00', belum_pernah: '#7a7f83', cabang: '#b71c1c', dicabut: '#37474f' };
          chart(root, t('status_chart'), {
            type: 'doughnut',
            data: { labels: sts.map(function (s) { return t('st_' + s); }), datasets: [{ data: sts.map(function (s) { return counts[s]; }), backgroundColor: sts.map(function (s) { return colours[s]; }) }] }
          });
        }
        if (name === 'bantuan') {
          var per = {};
          r.villages.forEach(function (v) { var k = v.nama_program || v.program; per[k] = (per[k] || 0) + (v.penerima || 0); });
          var ks = Object.keys(per);
          chart(root, t('recipients_chart'), {
            type: 'bar',
            data: { labels: ks, datasets: [{ label: t('penerima'), data: ks.map(function (k) { return per[k]; }), backgroundColor: '#1f5f4a' }] }
          });
        }
        var all = r.villages.concat(scope ? [] : r.total);
        var keys = all.length ? Object.keys(all[0]) : [];
        root.appendChild(table(keys.map(function (k) {
          return { key: k, label: k, num: typeof all[0][k] === 'number', get: k === 'status' ? function (x) { return badge(statusOf(x)); } : (k === 'terakhir_terlihat' ? function (x) { return ago(x[k]); } : undefined) };
        }), all));
      }
    }];
  }

  function downloads() {
    return [{
      once: function (root) {
        root.appendChild(el('h1', { text: t('downloads') }));
        root.appendChild(el('p', { text: t('downloads_help') }));
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
      node.appendChild(el('p', { class: 'error', text: t('error') + ': ' + e.message }));
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
        $('updated').textContent = t('updated') + ' ' + new Date().toLocaleTimeString(lang === 'en' ? 'en-GB' : 'id-ID');
      }, showError(p.node));
    });
  }
  function translate() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-t]').forEach(function (n) { n.textContent = t(n.dataset.t); });
    $('lang').textContent = t('language');
    $('token').placeholder = 'lbt_…';
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
    translate();
    $('lang').addEventListener('click', function () {
      lang = lang === 'id' ? 'en' : 'id';
      localStorage.setItem('lumbung_lang', lang);
      translate();
      draw();
    });
    $('signin').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var tok = $('token').value.trim();
      post('/v1/session', { token: tok }).then(function (j) {
        $('token').value = '';
        if (j._ok && j.signed_in) { $('signin-error').hidden = true; signedIn(j); }
        else { $('signin-error').textContent = t('bad_token'); $('signin-error').hidden = false; }
      });
    });
    $('signout').addEventListener('click', function () { post('/v1/session/end').then(signedOut); });
    window.addEventListener('hashchange', draw);
    api('/v1/session').then(function (s) { if (s.signed_in) signedIn(s); else signedOut(); }, signedOut);
    setInterval(function () { refresh(false); }, POLL_MS);
  });
})();
