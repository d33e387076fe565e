'use strict';
// What a one-word query costs the browser: on a built site (the corpus of
// bench/src/corpus.rs, built by `agora build`), headless Chromium opens
// /szukaj/, then each query is sent from the form with a cold cache (a new
// browser context each run); it prints the bytes of the search index fetched
// (as sent, and gzipped as a server would send JSON) and the time from
// sending the query to the first result shown (median of the runs), on the
// loopback and with Chromium's "Fast 4G" throttling. Works with the split
// index (/search-index/) and with the single file of earlier builds
// (/search-index.json). See bench/README.md.
//
//   node bench/search-fetch.js --site target/bench-sites/10000/agora-out \
//     [--words projekt,podgórzu] [--runs 5] [--throttle]
//
// Uses the browser tests' Chromium and puppeteer-core (tests/browser: npm ci).

const path = require('node:path');
const zlib = require('node:zlib');
const { launchBrowser, startServer } = require('../tests/browser/lib');

function args() {
  const out = { site: null, words: ['projekt', 'podgórzu'], runs: 5, throttle: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--site') out.site = path.resolve(argv[++i]);
    else if (argv[i] === '--words') out.words = argv[++i].split(',');
    else if (argv[i] === '--runs') out.runs = Number(argv[++i]);
    else if (argv[i] === '--throttle') out.throttle = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!out.site) throw new Error('--site DIR: a built site');
  return out;
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

async function once(browser, origin, word, throttle) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/szukaj/`, { waitUntil: 'load' });
    if (throttle) {
      const puppeteer = require.resolve('puppeteer-core', { paths: [path.join(__dirname, '..', 'tests', 'browser')] });
      const { PredefinedNetworkConditions } = require(puppeteer);
      await page.emulateNetworkConditions(PredefinedNetworkConditions['Fast 4G']);
    }
    const fetched = [];
    page.on('response', async (res) => {
      const url = new URL(res.url());
      if (!url.pathname.startsWith('/search-index')) return;
      try {
        const body = await res.buffer();
        fetched.push({ path: url.pathname, bytes: body.length, gzip: zlib.gzipSync(body).length });
      } catch {
        // a response without a body (none expected)
      }
    });
    await page.$eval('input[name="q"]', (i, q) => { i.value = q; }, word);
    // The moment is taken in the page; Node asks for it now and then (one
    // long call would outlast the protocol's timeout on a slow network).
    await page.evaluate(() => {
      const out = document.getElementById('wyniki');
      const started = performance.now();
      const seen = () => out.querySelector('li') || /Brak wyników|Nie udało/.test(out.textContent);
      const observer = new MutationObserver(() => {
        if (seen()) {
          observer.disconnect();
          window.agoraFirstResults = performance.now() - started;
        }
      });
      observer.observe(out, { childList: true, subtree: true, characterData: true });
      document.querySelector('form[data-index]').requestSubmit();
    });
    let ms;
    for (const until = Date.now() + 180_000; ms === undefined && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 100));
      ms = await page.evaluate(() => window.agoraFirstResults);
    }
    if (ms === undefined) throw new Error(`no results for "${word}" after 180 s`);
    // Let the response handlers read their bodies.
    await new Promise((r) => setTimeout(r, 200));
    const results = await page.$$eval('#wyniki li', (lis) => lis.length);
    return { ms, fetched, results };
  } finally {
    await context.close();
  }
}

async function main() {
  const { site, words, runs, throttle } = args();
  const server = await startServer(site);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const chromium = await launchBrowser();
  try {
    console.log(`site: ${site}`);
    for (const net of throttle ? [false, true] : [false]) {
      for (const word of words) {
        const samples = [];
        for (let i = 0; i < runs; i++) samples.push(await once(chromium.browser, origin, word, net));
        const last = samples[samples.length - 1];
        const bytes = last.fetched.reduce((s, f) => s + f.bytes, 0);
        const gzip = last.fetched.reduce((s, f) => s + f.gzip, 0);
        console.log(`${net ? 'Fast 4G ' : 'loopback'}  "${word}": ${last.fetched.length} files, ` +
          `${(bytes / 1024).toFixed(1)} KiB (${(gzip / 1024).toFixed(1)} KiB gzipped), ` +
          `first results after ${median(samples.map((s) => s.ms)).toFixed(0)} ms ` +
          `(median of ${runs}; ${samples.map((s) => s.ms.toFixed(0)).join(', ')}), ${last.results} shown`);
        console.log(`          ${last.fetched.map((f) => `${f.path} ${f.bytes}`).join(', ')}`);
      }
    }
  } finally {
    await chromium.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
