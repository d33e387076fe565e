'use strict';
// Accessibility and behaviour tests of the built Agora site in headless Chromium.
//
//   AGORA_SITE_DIR=target/browser-site node --test tests/browser/
//
// Serves the built site on 127.0.0.1 (a random port), opens every kind of page
// at 1280×900 and 375×800 and checks it with axe-core (WCAG 2.0/2.1 A and AA),
// plus: lang="pl", one <h1>, no request leaving the local server, a working skip
// link, pages readable without JavaScript, and the offline search.
//
// Environment:
//   AGORA_SITE_DIR      the built site (required)
//   CHROMIUM            the browser (default /usr/bin/chromium)
//   AGORA_SKIP_BROWSER  =1 reports these tests as skipped when Chromium is
//                       missing (never in CI: with CI=true a missing browser fails)
// Screenshots go to target/browser-artifacts/ at the repository root.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const {
  ARTIFACTS_DIR, AXE_TAGS, VIEWPORTS, assertNoViolations, axeRun, launchBrowser, siteProblem,
  startServer, withBrowser,
} = require('./lib');

// Every kind of page the generator writes. `path` may be a function that finds
// the URL on the running site; `ready` waits for what the page's script renders.
const PAGES = [
  { name: 'home', path: '/', screenshot: 'home' },
  { name: 'news list', path: '/aktualnosci/' },
  { name: 'news post', path: '/aktualnosci/nowa-sciezka-projektow-bo/', screenshot: 'post' },
  { name: 'programme page with events list', path: '/wspolne-projekty/miejskie/' },
  { name: 'section', path: '/wspolne-projekty/' },
  { name: 'events list', path: '/wydarzenia/' },
  { name: 'cancelled event', path: '/wydarzenia/warsztat-iii-informacja-zwrotna/', screenshot: 'event' },
  { name: 'tags index', path: '/tagi/' },
  { name: 'tag page', path: (ctx) => ctx.discoverTagPage() },
  { name: 'search results', path: '/szukaj/?q=warsztat', ready: waitForLiveRegion, screenshot: 'search' },
  { name: 'contact', path: '/kontakt/' },
  { name: 'accessibility statement', path: '/deklaracja-dostepnosci/' },
  { name: 'privacy notice, rendered from the forms', path: '/polityka-prywatnosci/' },
  { name: 'how the lottery works', path: '/losowanie/' },
  { name: '404', path: '/nie-ma-takiej-strony/', status: 404 },
];

// ---------------------------------------------------------------------------
// Page helpers

async function waitForLiveRegion(page) {
  await page.waitForFunction(() => {
    const r = document.querySelector('[aria-live]');
    return r && r.textContent.trim().length > 0;
  }, { timeout: 10_000 });
}

// The live region's text and the result links inside it.
function liveRegion(page) {
  return page.evaluate(() => {
    const r = document.querySelector('[aria-live]');
    if (!r) return null;
    return {
      politeness: r.getAttribute('aria-live'),
      text: r.innerText.trim(),
      links: [...r.querySelectorAll('a[href]')].map((a) => ({ text: a.textContent.trim(), href: a.getAttribute('href') })),
    };
  });
}

function assertSearchResults(region, query) {
  assert.ok(region, 'the search page has no aria-live region');
  assert.match(region.politeness, /^(polite|assertive)$/, 'the live region is not announced');
  const m = region.text.match(/(\d+)\s+wynik/);
  assert.ok(m, `no result count announced for "${query}"; the live region says: ${JSON.stringify(region.text)}`);
  const n = Number(m[1]);
  assert.ok(n >= 1, `"${query}" found nothing: ${JSON.stringify(region.text)}`);
  assert.equal(region.links.length, n, `the live region announces ${n} results but lists ${region.links.length} links`);
}

// ---------------------------------------------------------------------------
// The tests

const problem = siteProblem();
if (problem) {
  test('browser tests: AGORA_SITE_DIR names a built site', () => {
    assert.fail(problem);
  });
} else {
  withBrowser('browser tests (axe-core in Chromium)', () => defineBrowserTests(path.resolve(process.env.AGORA_SITE_DIR)));
}

function defineBrowserTests(siteDir) {
  describe('Agora site in Chromium', { timeout: 120_000 }, () => {
    let server;
    let origin;
    let browser;
    let chromium;
    let tagPagePath;

    const ctx = {
      // The first tag linked from the tag index.
      async discoverTagPage() {
        if (tagPagePath) return tagPagePath;
        const page = await browser.newPage();
        try {
          await page.goto(origin + '/tagi/');
          const hrefs = await page.$$eval('main a[href]', (as) => as.map((a) => new URL(a.href).pathname));
          tagPagePath = hrefs.find((h) => /^\/tagi\/[^/]+\/$/.test(h));
          assert.ok(tagPagePath, `/tagi/ links to no tag page: ${hrefs.join(', ')}`);
          return tagPagePath;
        } finally {
          await page.close();
        }
      },
    };

    before(async () => {
      server = await startServer(siteDir);
      origin = `http://127.0.0.1:${server.address().port}`;
      chromium = await launchBrowser();
      browser = chromium.browser;
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (server) await new Promise((resolve) => server.close(resolve));
    });

    // A new tab that records every request and script error, and aborts any
    // request that would leave the local server.
    async function openPage(viewport, { javascript = true } = {}) {
      const page = await browser.newPage();
      page.setDefaultTimeout(15_000);
      const requests = [];
      const failedLoads = [];
      const errors = [];
      await page.setRequestInterception(true);
      page.on('request', (req) => {
        const url = req.url();
        requests.push(url);
        if (url.startsWith('data:') || url.startsWith('blob:') || url.startsWith(origin + '/')) {
          req.continue();
        } else {
          req.abort('blockedbyclient');
        }
      });
      page.on('response', (res) => {
        const url = new URL(res.url());
        if (res.status() >= 400 && res.request().resourceType() !== 'document' && url.pathname !== '/favicon.ico') {
          failedLoads.push(`${res.status()} ${res.url()}`);
        }
      });
      page.on('pageerror', (err) => errors.push(String(err && err.message ? err.message : err)));
      await page.setJavaScriptEnabled(javascript);
      await page.setViewport({ width: viewport.width, height: viewport.height, deviceScaleFactor: 1, isMobile: !!viewport.isMobile, hasTouch: !!viewport.hasTouch });
      await page.bringToFront();
      return { page, requests, failedLoads, errors };
    }

    async function goto(page, url, expectedStatus = 200) {
      const res = await page.goto(origin + url, { waitUntil: 'load' });
      assert.ok(res, `no response for ${url}`);
      assert.equal(res.status(), expectedStatus, `${url} answered ${res.status()}, expected ${expectedStatus}`);
      return res;
    }

    function offSiteRequests(requests) {
      return requests.filter((u) => !(u.startsWith(origin + '/') || u.startsWith('data:') || u.startsWith('blob:')));
    }

    for (const vp of VIEWPORTS) {
      describe(`at ${vp.width}×${vp.height}`, () => {
        for (const spec of PAGES) {
          test(`${spec.name} (${typeof spec.path === 'string' ? spec.path : 'found on /tagi/'})`, async (t) => {
            const url = typeof spec.path === 'function' ? await spec.path(ctx) : spec.path;
            const { page, requests, failedLoads, errors } = await openPage(vp);
            try {
              await goto(page, url, spec.status || 200);
              if (spec.ready) await spec.ready(page);

              await t.test('<html lang="pl">', async () => {
                assert.equal(await page.$eval('html', (h) => h.getAttribute('lang')), 'pl');
              });

              await t.test('exactly one <h1>', async () => {
                const h1s = await page.$$eval('h1', (hs) => hs.map((h) => h.textContent.trim()));
                assert.equal(h1s.length, 1, `found ${h1s.length} <h1>: ${JSON.stringify(h1s)}`);
                assert.ok(h1s[0].length > 0, 'the <h1> is empty');
              });

              await t.test(`axe-core: no violations of ${AXE_TAGS.join(', ')}`, async () => {
                const result = await axeRun(page);
                if (result.incomplete.length) {
                  t.diagnostic(`${url} @ ${vp.name}: axe could not decide (review by hand): ` +
                    result.incomplete.map((r) => `${r.id} (${r.nodes.length})`).join(', '));
                }
                assertNoViolations(result, `${url} at ${vp.name}`);
              });

              if (spec.screenshot) {
                await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${spec.screenshot}-${vp.name}.png`), fullPage: true });
              }

              await t.test('the first Tab focuses a visible skip link that moves focus to <main>', async () => {
                await page.keyboard.press('Tab');
                const link = await page.evaluate(() => {
                  const a = document.activeElement;
                  if (!a || a === document.body || a === document.documentElement) return null;
                  const r = a.getBoundingClientRect();
                  const cs = getComputedStyle(a);
                  const href = a.getAttribute('href') || '';
                  const target = href.startsWith('#') ? document.getElementById(decodeURIComponent(href.slice(1))) : null;
                  return {
                    tag: a.tagName.toLowerCase(),
                    html: a.outerHTML.slice(0, 200),
                    text: a.innerText.trim(),
                    href,
                    targetIsMain: !!target && target === document.querySelector('main'),
                    rect: { top: r.top, left: r.left, bottom: r.bottom, right: r.right, width: r.width, height: r.height },
                    viewport: { width: document.documentElement.clientWidth, height: window.innerHeight },
                    visibility: cs.visibility,
                    opacity: Number(cs.opacity),
                    clip: cs.clip,
                    clipPath: cs.clipPath,
                  };
                });
                assert.ok(link, 'the first Tab focused nothing');
                assert.equal(link.tag, 'a', `the first Tab focused ${link.html}, not a skip link`);
                assert.ok(link.targetIsMain, `the first focused link ${link.html} does not point to the <main> element's id`);
                assert.ok(link.text.length > 0, 'the skip link has no text');
                const { rect, viewport } = link;
                assert.ok(rect.width >= 1 && rect.height >= 1, `the focused skip link has no size: ${JSON.stringify(rect)}`);
                assert.ok(rect.top >= 0 && rect.left >= 0 && rect.bottom <= viewport.height && rect.right <= viewport.width,
                  `the focused skip link is not inside the viewport ${JSON.stringify(viewport)}: ${JSON.stringify(rect)}`);
                assert.equal(link.visibility, 'visible', 'the focused skip link is not visible');
                assert.ok(link.opacity >= 0.9, `the focused skip link is transparent (opacity ${link.opacity})`);
                assert.ok(['auto', ''].includes(link.clip) && ['none', ''].includes(link.clipPath),
                  `the focused skip link is clipped (clip: ${link.clip}, clip-path: ${link.clipPath})`);

                await page.keyboard.press('Enter');
                await page.waitForFunction(() => {
                  const main = document.querySelector('main');
                  return main && (document.activeElement === main || main.contains(document.activeElement));
                }, { timeout: 3_000 }).catch(() => {});
                // The theme may scroll smoothly: wait until <main> starts at the top of
                // the viewport, or the page is scrolled as far as it goes.
                await page.waitForFunction(() => {
                  const top = document.querySelector('main').getBoundingClientRect().top;
                  const maxScroll = document.documentElement.scrollHeight - window.innerHeight;
                  return Math.abs(top) <= 2 || window.scrollY >= maxScroll - 2;
                }, { timeout: 3_000 }).catch(() => {});
                const landed = await page.evaluate(() => {
                  const main = document.querySelector('main');
                  const r = main.getBoundingClientRect();
                  const a = document.activeElement;
                  return {
                    focusInMain: a === main || main.contains(a),
                    focused: a ? a.outerHTML.slice(0, 120) : null,
                    hash: location.hash,
                    mainTop: r.top,
                    mainBottom: r.bottom,
                    scrollY: window.scrollY,
                    maxScroll: document.documentElement.scrollHeight - window.innerHeight,
                    innerHeight: window.innerHeight,
                  };
                });
                assert.ok(landed.focusInMain, `after the skip link, focus is on ${landed.focused}, not in <main>`);
                assert.equal(landed.hash, link.href, 'the skip link did not go to its target');
                assert.ok(landed.mainTop < landed.innerHeight && landed.mainBottom > 0, `<main> is not in view after the skip link: ${JSON.stringify(landed)}`);
                // Scrolled so that <main> starts at the top, unless the page is too short to scroll that far.
                assert.ok(Math.abs(landed.mainTop) <= 2 || landed.scrollY >= landed.maxScroll - 2,
                  `the skip link did not scroll to <main>: ${JSON.stringify(landed)}`);
              });

              await t.test('no script errors and no failed loads', () => {
                assert.deepEqual(errors, [], `script errors: ${errors.join('; ')}`);
                assert.deepEqual(failedLoads, [], `failed loads: ${failedLoads.join('; ')}`);
              });

              await t.test('no request to any other host', () => {
                assert.ok(requests.length > 0, 'no request was recorded');
                assert.deepEqual(offSiteRequests(requests), [], 'requests left the local server');
              });
            } finally {
              await page.close();
            }
          });
        }
      });
    }

    describe('with JavaScript disabled', () => {
      for (const vp of VIEWPORTS) {
        for (const spec of PAGES) {
          test(`${spec.name} shows its main content at ${vp.width}×${vp.height}`, async () => {
            const url = typeof spec.path === 'function' ? await spec.path(ctx) : spec.path;
            const { page, requests } = await openPage(vp, { javascript: false });
            try {
              await goto(page, url, spec.status || 200);
              const main = await page.evaluate(() => {
                const m = document.querySelector('main');
                if (!m) return null;
                const r = m.getBoundingClientRect();
                const cs = getComputedStyle(m);
                const h1 = m.querySelector('h1');
                return {
                  text: m.innerText.trim(),
                  height: r.height,
                  display: cs.display,
                  visibility: cs.visibility,
                  h1: h1 ? h1.innerText.trim() : null,
                };
              });
              assert.ok(main, `${url} has no <main>`);
              assert.ok(main.text.length >= 20, `<main> of ${url} is (nearly) empty without JavaScript: ${JSON.stringify(main.text)}`);
              assert.ok(main.height > 0 && main.display !== 'none' && main.visibility === 'visible', `<main> of ${url} is hidden without JavaScript`);
              assert.ok(main.h1, `<main> of ${url} shows no <h1> without JavaScript`);
              assert.deepEqual(offSiteRequests(requests), [], 'requests left the local server');

              if (url.startsWith('/szukaj/')) {
                const alt = await page.evaluate(() => {
                  const ns = document.querySelector('main noscript');
                  if (!ns) return null;
                  // With scripting off, <noscript> content is parsed and rendered as ordinary elements.
                  const r = ns.getBoundingClientRect();
                  return {
                    text: ns.innerText.trim(),
                    height: r.height,
                    links: [...ns.querySelectorAll('a[href]')].map((a) => new URL(a.href).pathname),
                  };
                });
                assert.ok(alt, 'the search page has no <noscript> alternative in <main>');
                assert.ok(alt.text.length > 0 && alt.height > 0, 'the <noscript> alternative is not shown without JavaScript');
                assert.ok(alt.links.length > 0, 'the <noscript> alternative links nowhere');
              }
            } finally {
              await page.close();
            }
          });
        }
      }
    });

    describe('search (with JavaScript)', () => {
      test('finds results for "warsztat" from the URL and announces the count', async () => {
        const { page, requests, errors } = await openPage(VIEWPORTS[0]);
        try {
          await goto(page, '/szukaj/?q=warsztat');
          await waitForLiveRegion(page);
          assertSearchResults(await liveRegion(page), 'warsztat');
          assert.equal(await page.$eval('input[name="q"]', (i) => i.value), 'warsztat', 'the query is not shown in the search field');
          assert.deepEqual(errors, []);
          assert.deepEqual(offSiteRequests(requests), []);
        } finally {
          await page.close();
        }
      });

      test('finds "Wspólne" pages for the diacritics-free "wspolne" typed into the form', async () => {
        const { page, requests, errors } = await openPage(VIEWPORTS[1]);
        try {
          await goto(page, '/szukaj/');
          await page.type('input[name="q"]', 'wspolne');
          await page.keyboard.press('Enter');
          await waitForLiveRegion(page);
          const region = await liveRegion(page);
          assertSearchResults(region, 'wspolne');
          assert.ok(region.links.some((l) => /wspólne/i.test(l.text)),
            `no result title has "Wspólne": ${region.links.map((l) => l.text).join(' | ')}`);
          assert.match(page.url(), /[?&]q=wspolne(&|$)/, 'the query is not kept in the address');
          assert.deepEqual(errors, []);
          assert.deepEqual(offSiteRequests(requests), []);
        } finally {
          await page.close();
        }
      });
    });
  });
}
