// Agora search (progressive enhancement of the form on /szukaj/; no libraries).
(function () {
  'use strict';
  var form = document.querySelector('form[data-index]');
  var out = document.getElementById('wyniki');
  if (!form || !out || !window.fetch || !''.normalize) return;
  var input = form.querySelector('input[name="q"]');
  var index = null;

  // Case- and diacritics-insensitive form of a text ("Łąka" → "laka").
  function norm(s) {
    return String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/ł/g, 'l');
  }
  function el(tag, text) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    return e;
  }
  function plural(n) {
    var t = n % 10, h = n % 100;
    return n === 1 ? 'wynik' : t >= 2 && t <= 4 && (h < 12 || h > 14) ? 'wyniki' : 'wyników';
  }
  function dateText(d) {
    var t = new Date(d + 'T12:00:00');
    return isNaN(t) ? d : t.toLocaleDateString('pl-PL', { day: 'numeric', month: 'long', year: 'numeric' });
  }
  function load() {
    if (index) return Promise.resolve(index);
    return fetch(form.getAttribute('data-index')).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (data) {
      index = data.filter(function (e) {
        return e && /^(\/|https?:)/.test(e.url);
      }).map(function (e, i) {
        return { e: e, i: i, t: norm(e.title), g: norm((e.tags || []).join(' ')), s: norm(e.summary), x: norm(e.text) };
      });
      return index;
    });
  }
  // Every word must occur somewhere; title matches rank first, then tags, summary, text.
  function search(q) {
    var words = norm(q).split(/\s+/).filter(Boolean);
    var hits = [];
    index.forEach(function (d) {
      var score = 0;
      for (var k = 0; k < words.length; k++) {
        var w = words[k];
        if (d.t.indexOf(w) >= 0) score += 100;
        else if (d.g.indexOf(w) >= 0) score += 10;
        else if (d.s.indexOf(w) >= 0) score += 3;
        else if (d.x.indexOf(w) >= 0) score += 1;
        else return;
      }
      hits.push({ d: d, score: score });
    });
    return hits.sort(function (a, b) {
      return b.score - a.score || String(b.d.e.date || '').localeCompare(String(a.d.e.date || '')) || a.d.i - b.d.i;
    });
  }
  function render(q) {
    var hits = search(q);
    out.textContent = '';
    out.appendChild(el('p', hits.length ? 'Znaleziono ' + hits.length + ' ' + plural(hits.length) : 'Brak wyników dla „' + q + '”'));
    if (!hits.length) return;
    var list = el('ol');
    hits.forEach(function (h) {
      var e = h.d.e, li = el('li'), a = el('a', e.title);
      a.href = e.url;
      li.appendChild(a);
      if (e.date) {
        var p = el('p'), t = el('time', dateText(e.date));
        t.dateTime = e.date;
        p.className = 'meta';
        p.appendChild(t);
        li.appendChild(p);
      }
      if (e.summary) li.appendChild(el('p', e.summary));
      list.appendChild(li);
    });
    out.appendChild(list);
  }
  function run(q) {
    q = (q || '').trim();
    if (!q) { out.textContent = ''; return; }
    load().then(function () { render(q); }, function () {
      out.textContent = 'Nie udało się wczytać wyszukiwarki. Spróbuj ponownie później.';
    });
  }
  function fromUrl() {
    var q = new URLSearchParams(location.search).get('q') || '';
    input.value = q;
    run(q);
  }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var q = input.value.trim();
    history.pushState(null, '', location.pathname + (q ? '?q=' + encodeURIComponent(q) : ''));
    run(q);
  });
  window.addEventListener('popstate', fromUrl);
  fromUrl();
})();
