// Agora search (progressive enhancement of the form on /szukaj/; no libraries).
//
// The index is split (generator/site/src/search.rs): the manifest first, then
// only the term shards of the query's words, then what the first results
// show. Words are stemmed with the rules the manifest carries (the ones the
// index was built with), so "dotacja" finds "dotację"; diacritics and case
// do not matter; a word of 3 letters or more also finds the words it begins
// ("warszt"); "a phrase in quotes" must appear as it is. Title matches come
// first, then newer before older. Node's tests load this file as a module.
(function () {
  'use strict';
  var ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  var WORD = /[\p{Alphabetic}\p{N}]+/gu;
  var DIGIT = /\p{N}/u;
  var QUOTES = /["„“”]/;
  // A word this long or longer also finds the stems it begins...
  var PREFIX_MIN = 3;
  // ...unless that needs more shards than this.
  var PREFIX_SHARDS = 4;
  var PAGE = 20;

  function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
  function length(s) { return Array.from(s).length; }

  // The stemmer of generator/site/src/search/stemmer.rs, from the same rules.
  function Stemmer(rules) {
    var self = this;
    this.rules = rules;
    this.suffixes = {};
    this.longest = 0;
    rules.suffixes.forEach(function (pair) {
      self.suffixes[pair[0]] = pair[1];
      self.longest = Math.max(self.longest, length(pair[0]));
    });
  }
  // The words of a text: lowercased, folded, runs of letters and digits.
  Stemmer.prototype.words = function (text) {
    var fold = this.rules.fold;
    return (String(text || '').match(WORD) || []).map(function (run) {
      return Array.from(run).map(function (c) {
        return Array.from(c.toLowerCase()).map(function (l) { return has(fold, l) ? fold[l] : l; }).join('');
      }).join('');
    });
  };
  Stemmer.prototype.stem = function (word) {
    var rules = this.rules, min = rules.min_stem;
    if (DIGIT.test(word)) return word;
    for (var r = 0; r < rules.roots.length; r++) {
      if (word.indexOf(rules.roots[r]) === 0) return rules.roots[r];
    }
    var chars = Array.from(word), n = chars.length, stem = word, stemLength = n;
    for (var k = Math.min(this.longest, n - min); k >= 1; k--) {
      var suffix = chars.slice(n - k).join('');
      if (has(this.suffixes, suffix)) {
        stem = chars.slice(0, n - k).join('') + this.suffixes[suffix];
        stemLength = n - k + length(this.suffixes[suffix]);
        break;
      }
    }
    for (var e = 0; e < rules.endings.length; e++) {
      var ending = rules.endings[e][0], replacement = rules.endings[e][1];
      if (stem.slice(-ending.length) === ending && stemLength - length(ending) + length(replacement) >= min) {
        return stem.slice(0, stem.length - ending.length) + replacement;
      }
    }
    return stem;
  };

  // A list of document numbers, as generator/site/src/search.rs `encode` wrote it.
  function decode(text) {
    var out = [], i, d;
    if (text.charAt(0) === '~') {
      for (i = 1; i < text.length; i++) {
        d = ALPHABET.indexOf(text.charAt(i));
        for (var bit = 0; bit < 6; bit++) if (d & (1 << bit)) out.push((i - 1) * 6 + bit);
      }
      return out;
    }
    var previous = -1, gap = 0, scale = 1;
    for (i = 0; i < text.length; i++) {
      d = ALPHABET.indexOf(text.charAt(i));
      if (d >= 32) { gap += (d - 32) * scale; scale *= 32; } else {
        previous += gap + d * scale;
        out.push(previous);
        gap = 0; scale = 1;
      }
    }
    return out;
  }

  // The file of a shard: generator/site/src/search.rs `shard_path`.
  function shardFile(prefix) {
    var name = Array.from(prefix).map(function (c) {
      return /^[a-z0-9]$/.test(c) ? c : '_' + c.codePointAt(0).toString(16) + '_';
    }).join('');
    return 'terms/' + (name || '_') + '.json';
  }
  // The shard of a stem: the longest shard prefix it starts with.
  function shardOf(shards, stem) {
    var chars = Array.from(stem);
    for (var n = chars.length; n >= 0; n--) {
      var prefix = chars.slice(0, n).join('');
      if (shards.indexOf(prefix) >= 0) return prefix;
    }
    return null;
  }
  // The shards holding every stem that starts with `word`.
  function prefixShards(shards, word) {
    var found = shards.filter(function (p) { return p.length > word.length && p.indexOf(word) === 0; });
    var own = shardOf(shards, word);
    if (own !== null) found.push(own);
    return found;
  }

  // The words to find, and the phrases ("…" or „…”) that must appear as they are.
  function parseQuery(q, stemmer) {
    var parts = String(q || '').split(QUOTES), words = [], phrases = [];
    parts.forEach(function (part, i) {
      var w = stemmer.words(part);
      if (i % 2 === 1 && i < parts.length - 1 && w.length) phrases.push(w);
      w.forEach(function (x) { if (words.indexOf(x) < 0) words.push(x); });
    });
    return { words: words, phrases: phrases };
  }

  // The index at `manifestUrl` (absolute), its files read with
  // `load(url, fresh)` (a promise of JSON; `fresh`: the manifest, revalidated).
  function Index(manifestUrl, load) {
    this.url = manifestUrl;
    this.load = load;
    this.files = {};
    this.manifest = null;
  }
  Index.prototype.open = function () {
    var self = this;
    if (!this.opening) {
      this.opening = this.load(this.url, true).then(function (m) {
        self.manifest = m;
        self.stemmer = new Stemmer(m.stemmer);
        return self;
      });
    }
    return this.opening;
  };
  Index.prototype.file = function (path) {
    if (!has(this.files, path)) {
      this.files[path] = this.load(new URL(path + '?v=' + this.manifest.version, this.url).href, false);
    }
    return this.files[path];
  };
  // The documents matching `q`, best first: { numbers, phrases }.
  Index.prototype.search = function (q) {
    var self = this, m = this.manifest, stemmer = this.stemmer;
    var query = parseQuery(q, stemmer);
    var plans = query.words.map(function (word) {
      var stem = stemmer.stem(word), shards = [], prefix = length(word) >= PREFIX_MIN;
      var own = shardOf(m.shards, stem);
      if (own !== null) shards.push(own);
      if (prefix) {
        var more = prefixShards(m.shards, word);
        if (more.length > PREFIX_SHARDS) prefix = false;
        else shards = shards.concat(more);
      }
      return { word: word, stem: stem, prefix: prefix, shards: shards };
    });
    var needed = [];
    plans.forEach(function (p) { p.shards.forEach(function (s) { if (needed.indexOf(s) < 0) needed.push(s); }); });
    return Promise.all(needed.map(function (s) { return self.file(shardFile(s)); })).then(function (loaded) {
      var byShard = {};
      needed.forEach(function (s, i) { byShard[s] = loaded[i]; });
      var matches = plans.map(function (p) {
        var title = {}, all = {};
        p.shards.forEach(function (s) {
          var terms = byShard[s];
          Object.keys(terms).forEach(function (term) {
            if (term !== p.stem && !(p.prefix && term.indexOf(p.word) === 0)) return;
            decode(terms[term][0]).forEach(function (n) { title[n] = true; all[n] = true; });
            decode(terms[term][1]).forEach(function (n) { all[n] = true; });
          });
        });
        return { title: title, all: all };
      });
      if (!matches.length) return { numbers: [], phrases: query.phrases };
      var numbers = Object.keys(matches[0].all).map(Number).filter(function (n) {
        return matches.every(function (x) { return x.all[n]; });
      });
      var score = {};
      numbers.forEach(function (n) {
        score[n] = matches.filter(function (x) { return x.title[n]; }).length;
      });
      numbers.sort(function (a, b) { return score[b] - score[a] || a - b; });
      return { numbers: numbers, phrases: query.phrases };
    });
  };
  // Whether document `n` has every phrase as it is.
  Index.prototype.hasPhrases = function (n, phrases) {
    var per = this.manifest.texts_per_file;
    return this.file('text/' + Math.floor(n / per) + '.json').then(function (texts) {
      var text = texts[n % per];
      var fields = [' ' + text[0] + ' ', ' ' + text[1] + ' '];
      return phrases.every(function (p) {
        var needle = ' ' + p.join(' ') + ' ';
        return fields.some(function (f) { return f.indexOf(needle) >= 0; });
      });
    });
  };
  // What result `n` shows: { title, url, date, summary }.
  Index.prototype.entry = function (n) {
    var per = this.manifest.pages_per_file;
    return this.file('pages/' + Math.floor(n / per) + '.json').then(function (entries) { return entries[n % per]; });
  };

  var api = { Stemmer: Stemmer, decode: decode, shardFile: shardFile, shardOf: shardOf, parseQuery: parseQuery, Index: Index, PAGE: PAGE };
  if (typeof module === 'object' && module.exports) { module.exports = api; return; }

  // ---- The page ----
  var form = document.querySelector('form[data-index]');
  var out = document.getElementById('wyniki');
  if (!form || !out || !window.fetch || !window.Promise) return;
  var input = form.querySelector('input[name="q"]');
  var index = new Index(new URL(form.getAttribute('data-index'), location.href).href, function (url, fresh) {
    return fetch(url, fresh ? { cache: 'no-cache' } : {}).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  });
  var current = 0;

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    return e;
  }
  // Polish plural forms by the browser's own CLDR rules (the site's Rust
  // code has the same rule as agora_core::polish): 1 wynik, 2 wyniki,
  // 5 wyników ("other" is for fractions, never counted here).
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules('pl-PL') : null;
  var forms = { one: 'wynik', few: 'wyniki', many: 'wyników', other: 'wyników' };
  function plural(n) {
    return forms[plurals ? plurals.select(n) : 'many'];
  }
  function dateText(d) {
    var t = new Date(d + 'T12:00:00');
    return isNaN(t) ? d : t.toLocaleDateString('pl-PL', { day: 'numeric', month: 'long', year: 'numeric' });
  }
  function item(e) {
    var li = el('li'), a = el('a', e.title);
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
    return li;
  }
  // The next `PAGE` results from `numbers[from]` on that have the phrases:
  // { shown: [numbers], next: where to go on from }.
  function nextResults(numbers, from, phrases) {
    if (!phrases.length) return Promise.resolve({ shown: numbers.slice(from, from + PAGE), next: from + PAGE });
    var shown = [];
    function step(i) {
      if (i >= numbers.length || shown.length >= PAGE) return Promise.resolve({ shown: shown, next: i });
      return index.hasPhrases(numbers[i], phrases).then(function (yes) {
        if (yes) shown.push(numbers[i]);
        return step(i + 1);
      });
    }
    return step(from);
  }
  function show(q, found, run) {
    var list = el('ol'), status = el('p'), more = null, count = 0;
    out.textContent = '';
    out.appendChild(status);
    function page(from, focus) {
      return nextResults(found.numbers, from, found.phrases).then(function (r) {
        return Promise.all(r.shown.map(function (n) { return index.entry(n); })).then(function (entries) {
          if (run !== current) return;
          var first = null;
          entries.forEach(function (e) {
            var li = item(e);
            if (!first) first = li.querySelector('a');
            list.appendChild(li);
          });
          count += entries.length;
          var exact = !found.phrases.length || r.next >= found.numbers.length;
          var total = found.phrases.length ? count : found.numbers.length;
          status.textContent = !total ? 'Brak wyników dla „' + q + '”'
            : 'Znaleziono ' + (exact ? '' : 'co najmniej ') + total + ' ' + plural(total);
          if (count && !list.parentNode) out.appendChild(list);
          if (r.next < found.numbers.length && count) {
            if (!more) {
              more = el('button', 'Pokaż więcej wyników');
              more.type = 'button';
              more.className = 'search-more';
              out.appendChild(more);
            }
            more.onclick = function () { more.disabled = true; page(r.next, true).then(function () { if (more) more.disabled = false; }); };
          } else if (more) {
            more.remove();
            more = null;
          }
          if (focus && first) first.focus();
        });
      });
    }
    return page(0, false);
  }
  function run(q) {
    q = (q || '').trim();
    var me = ++current;
    if (!q) { out.textContent = ''; return; }
    index.open().then(function () { return index.search(q); }).then(function (found) {
      if (me === current) return show(q, found, me);
    }).catch(function () {
      if (me === current) out.textContent = 'Nie udało się wczytać wyszukiwarki. Spróbuj ponownie później.';
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
