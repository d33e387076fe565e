'use strict';

// The browser's stemmer (themes/default/static/search.js) against the
// index builder's (generator/site/src/search/stemmer.rs): the same rules
// (generator/site/src/search/polish.json) must give the same stem for every word
// of tests/search/stems.tsv, which generator/tests/krakow.rs keeps in step
// with the Rust stemmer. Plain Node: no browser, no built site.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const search = require(path.join(ROOT, 'themes/default/static/search.js'));
const rules = JSON.parse(fs.readFileSync(path.join(ROOT, 'generator/site/src/search/polish.json'), 'utf8'));
const stemmer = new search.Stemmer(rules);

test('the browser stems every word of the site as the index builder does', () => {
  const lines = fs.readFileSync(path.join(ROOT, 'tests/search/stems.tsv'), 'utf8')
    .split('\n').filter((l) => l && !l.startsWith('#'));
  assert.ok(lines.length > 1000, `only ${lines.length} words in tests/search/stems.tsv`);
  const differ = [];
  for (const line of lines) {
    const [word, stem] = line.split('\t');
    const words = stemmer.words(word);
    assert.deepEqual(words, [word], `"${word}" is not one folded word to the browser`);
    const mine = stemmer.stem(word);
    if (mine !== stem) differ.push(`${word}: Rust ${stem}, browser ${mine}`);
  }
  assert.deepEqual(differ, [], `${differ.length} of ${lines.length} stems differ`);
});

test('words are folded, lowercased runs of letters and digits', () => {
  assert.deepEqual(stemmer.words('Zażółć GĘŚLĄ jaźń, COVID-19 (Łódź)!'),
    ['zazolc', 'gesla', 'jazn', 'covid', '19', 'lodz']);
  const stem = (w) => stemmer.stem(stemmer.words(w)[0]);
  assert.equal(stem('dotację'), stem('dotacja'));
  assert.equal(stem('Podgórzu'), stem('podgorze'));
});

test('queries: words, and phrases in either kind of quotes', () => {
  assert.deepEqual(search.parseQuery('„budżet obywatelski” Kraków', stemmer),
    { words: ['budzet', 'obywatelski', 'krakow'], phrases: [['budzet', 'obywatelski']] });
  assert.deepEqual(search.parseQuery('"Nowa Huta" "park', stemmer),
    { words: ['nowa', 'huta', 'park'], phrases: [['nowa', 'huta']] });
});

test('lists of documents and shard files read as the builder wrote them', () => {
  // Values from generator/site/src/search.rs's tests.
  assert.deepEqual(search.decode('BkD'), [0, 100]);
  assert.deepEqual(search.decode(''), []);
  assert.deepEqual(search.decode('~H'), [0, 1, 2]);
  assert.equal(search.shardFile(''), 'terms/_.json');
  assert.equal(search.shardFile('pr'), 'terms/pr.json');
  assert.equal(search.shardFile('ж'), 'terms/_436_.json');
  assert.equal(search.shardOf(['pa', 'pr', 'q'], 'prawo'), 'pr');
  assert.equal(search.shardOf(['pa', 'pr', 'q'], 'pz'), null);
});
