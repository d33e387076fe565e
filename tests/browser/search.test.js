'use strict';

// The search page of the built Kraków site (AGORA_SITE_DIR) in Chromium:
// every query of the Polish recall list (tests/search/recall-pl.tsv, also
// checked against the index in generator/tests/krakow.rs) typed into
// /szukaj/ must list its page; exact phrases, prefixes, the order of
// results, and what a one-word query fetches.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { REPO_ROOT, launchBrowser, siteProblem, startServer, withBrowser } = require('./lib');

function recallList() {
  return fs.readFileSync(path.join(REPO_ROOT, 'tests/search/recall-pl.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => {
      const [query, url, forms] = l.split('\t');
      return { query, url, forms };
    });
}

const problem = siteProblem();
if (problem) {
  test('search tests: AGORA_SITE_DIR names a built site', () => assert.fail(problem));
} else {
  withBrowser('search tests (Chromium)', () => defineTests(path.resolve(process.env.AGORA_SITE_DIR)));
}

function defineTests(siteDir) {
  describe('search on /szukaj/', { timeout: 180_000 }, () => {
    let server;
    let origin;
    let chromium;
    let page;
    const requests = [];
    const errors = [];

    before(async () => {
      server = await startServer(siteDir);
      origin = `http://127.0.0.1:${server.address().port}`;
      chromium = await launchBrowser();
      page = await chromium.browser.newPage();
      page.setDefaultTimeout(15_000);
      page.on('request', (req) => requests.push(req.url()));
      page.on('pageerror', (err) => errors.push(String(err && err.message ? err.message : err)));
      await page.goto(`${origin}/szukaj/`, { waitUntil: 'load' });
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (server) await new Promise((resolve) => server.close(resolve));
    });

    // Types `query` into the form and sends it; the results shown, as
    // { status, links: [{ href, title, date }], more }.
    async function search(query) {
      await page.$eval('#wyniki', (r) => { r.textContent = ''; });
      await page.$eval('input[name="q"]', (i, q) => { i.value = q; }, query);
      await page.$eval('form[data-index]', (f) => f.requestSubmit());
      await page.waitForFunction(() => {
        const p = document.querySelector('#wyniki p');
        return p && p.textContent.trim().length > 0;
      });
      return results();
    }
    function results() {
      return page.evaluate(() => ({
        status: document.querySelector('#wyniki p').textContent.trim(),
        links: [...document.querySelectorAll('#wyniki li')].map((li) => {
          const a = li.querySelector('a');
          const time = li.querySelector('time');
          return { href: a.getAttribute('href'), title: a.textContent.trim(), date: time ? time.dateTime : '' };
        }),
        more: !!document.querySelector('#wyniki button'),
      }));
    }
    // Every result of `query`, "Pokaż więcej wyników" pressed until the end.
    async function allResults(query) {
      let found = await search(query);
      while (found.more) {
        const shown = found.links.length;
        await page.click('#wyniki button');
        await page.waitForFunction((n) => document.querySelectorAll('#wyniki li').length > n, {}, shown);
        found = await results();
      }
      return found;
    }

    test('every inflected query of the Polish recall list finds its page', async (t) => {
      const list = recallList();
      assert.ok(list.length >= 50, `the recall list has ${list.length} pairs`);
      const misses = [];
      for (const { query, url, forms } of list) {
        const found = await allResults(query);
        if (!found.links.some((l) => l.href === url)) misses.push(`${query} -> ${url} (${forms}): ${found.status}`);
      }
      const message = `Polish recall in the browser: ${list.length - misses.length} of ${list.length} ` +
        `inflected queries found their page (${(100 * (list.length - misses.length) / list.length).toFixed(1)} %)`;
      t.diagnostic(message);
      console.log(message);
      assert.deepEqual(misses, []);
      assert.deepEqual(errors, []);
    });

    test('diacritics and case do not matter', async () => {
      const a = await allResults('DOTACJE');
      const b = await allResults('dotację');
      assert.ok(a.links.length > 0, a.status);
      assert.deepEqual(a.links, b.links);
    });

    test('an exact phrase in quotes finds only its word order', async () => {
      const words = await allResults('budżetu obywatelskiego');
      const phrase = await allResults('„budżetu obywatelskiego”');
      const reversed = await allResults('"obywatelskiego budżetu"');
      assert.ok(phrase.links.length > 0, phrase.status);
      assert.ok(phrase.links.length <= words.links.length, `${phrase.links.length} > ${words.links.length}`);
      assert.equal(reversed.links.length, 0, reversed.status);
      assert.match(reversed.status, /^Brak wyników/);
    });

    test('a word begun finds the words it begins', async () => {
      const found = await allResults('warszt');
      assert.ok(found.links.some((l) => l.href === '/wspolne-projekty/miejskie/'), found.status);
      assert.ok(found.links.some((l) => l.href.startsWith('/wydarzenia/warsztat-')), found.status);
    });

    test('title matches first, then newer before older', async () => {
      const found = await allResults('ambasador');
      const inTitle = found.links.map((l) => /ambasador/i.test(l.title));
      const firstOther = inTitle.indexOf(false);
      assert.ok(inTitle[0], `the first result's title has no "ambasador": ${found.links[0].title}`);
      if (firstOther >= 0) {
        assert.ok(inTitle.slice(firstOther).every((x) => !x), `a title match after others: ${JSON.stringify(found.links)}`);
      }
      for (const group of [found.links.filter((_, i) => inTitle[i]), found.links.filter((_, i) => !inTitle[i])]) {
        const dates = group.map((l) => l.date).filter(Boolean);
        assert.deepEqual(dates, [...dates].sort().reverse(), 'newer before older');
        const firstUndated = group.findIndex((l) => !l.date);
        if (firstUndated >= 0) assert.ok(group.slice(firstUndated).every((l) => !l.date), 'dated before undated');
      }
    });

    test('a one-word query fetches the manifest, its shard and what the results show', async () => {
      await page.goto(`${origin}/szukaj/`, { waitUntil: 'load' });
      requests.length = 0;
      const found = await search('konsultacje');
      assert.ok(found.links.length > 0, found.status);
      const fetched = requests
        .map((u) => new URL(u))
        .filter((u) => u.pathname.startsWith('/search-index/'))
        .map((u) => u.pathname);
      assert.ok(fetched.includes('/search-index/manifest.json'), fetched.join(' '));
      assert.ok(fetched.some((p) => p.startsWith('/search-index/terms/')), fetched.join(' '));
      assert.ok(fetched.some((p) => p.startsWith('/search-index/pages/')), fetched.join(' '));
      assert.ok(!fetched.some((p) => p.startsWith('/search-index/text/')), `words fetched without a phrase: ${fetched.join(' ')}`);
      assert.deepEqual(errors, []);
    });
  });
}
