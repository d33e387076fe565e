'use strict';
// The Content-Security-Policy that CloudFront sends (infra/template.yaml)
// blocks nothing the site and the form functions' pages load.
//
//   AGORA_BIN=target/debug/agora node --test tests/browser/csp.test.js
//
// `agora serve` runs the Kraków site and the form functions; a small proxy in
// front of it plays CloudFront: /api/* and /panel/* answers get the template's Api policy,
// everything else its Site policy (both replace what the origin sent, as the
// response headers policies' Override does). Chromium opens every page of the
// sitemap, the search, the 404 page, a form sent with JavaScript (its
// status fetch, its background submission, the page after it) and without,
// and the functions' confirmation and withdrawal pages; any CSP violation
// fails the test. A control page under `default-src 'none'` proves that
// violations are seen at all.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const {
  REPO_ROOT, copyKrakowSite, launchBrowser, planWorkshops, startAgoraServe, withBrowser,
} = require('./lib');

const AGORA_BIN = process.env.AGORA_BIN ? path.resolve(process.env.AGORA_BIN) : '';
const TEMPLATE = path.join(REPO_ROOT, 'infra', 'template.yaml');
// A moment inside the workshops' recruitment (as in forms.test.js).
const NOW = '2020-03-05 12:00';
const FORM = {
  id: 'warsztaty-wspolne-projekty-miejskie-2020',
  page: '/wspolne-projekty/miejskie/',
  values: { full_name: 'Jan Kowalski', email: 'jan@example.pl', attends_all: true, processing: true },
};
const MIN_FILL_MS = 3_500;

// The two policies of the template's `Csp` mapping (Site and Api).
function templatePolicies() {
  const text = fs.readFileSync(TEMPLATE, 'utf8');
  const mapping = text.match(/^ {2}Csp:\n((?: {4}.*\n|\s*\n)+)/m);
  assert.ok(mapping, `${TEMPLATE} has no Csp mapping under Mappings`);
  const policy = (name) => {
    const found = mapping[1].match(new RegExp(`^ {4}${name}:\\n {6}Policy: "([^"]+)"`, 'm'));
    assert.ok(found, `the Csp mapping in ${TEMPLATE} has no ${name}: Policy: "..."`);
    return found[1];
  };
  return { site: policy('Site'), api: policy('Api') };
}

// Starts `agora serve` on a copy of the site; resolves with its port.
async function startServe(root) {
  // As a machine serving residents runs it: CloudFront's pages carry no
  // live-reload script (tests/browser/live.test.js covers that one).
  const serve = await startAgoraServe(AGORA_BIN, root, ['--now', NOW, '--no-watch']);
  return { child: serve.child, port: Number(new URL(serve.origin).port) };
}

// CloudFront in miniature: passes every request on and sets the policy of
// the path's cache behaviour. `/csp-control/` answers a page that breaks
// its own policy.
function startProxy(upstreamPort, policies) {
  const server = http.createServer((req, res) => {
    if (req.url === '/csp-control/') {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': "default-src 'none'",
      });
      res.end('<!doctype html><html lang="pl"><title>control</title><style>p{color:red}</style><p>x</p></html>');
      return;
    }
    const upstream = http.request({
      host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers,
    }, (answer) => {
      const headers = { ...answer.headers };
      delete headers['content-security-policy'];
      // CloudFront sends /panel/* to the same API, with the same headers.
      const api = req.url.startsWith('/api/') || req.url.startsWith('/panel/');
      headers['content-security-policy'] = api ? policies.api : policies.site;
      res.writeHead(answer.statusCode, headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
    // A page left behind closes its live-reload event stream: so must we.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// A tab that records every CSP violation: the DOM event (with scripts on)
// and the browser's own console report (with them off too). `firstReported`
// resolves when the first violation is.
async function watchedPage(browser, { javascript = true } = {}) {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  const violations = [];
  let noticed;
  const firstReported = new Promise((resolve) => { noticed = resolve; });
  const report = (text) => {
    violations.push(text);
    noticed();
  };
  const session = await page.createCDPSession();
  await session.send('Log.enable');
  session.on('Log.entryAdded', ({ entry }) => {
    if (/Content Security Policy/i.test(entry.text)) report(`${entry.url || page.url()}: ${entry.text}`);
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) report(`${page.url()}: ${message.text()}`);
  });
  await page.exposeFunction('agoraCspViolation', report);
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.agoraCspViolation(`${document.location.href}: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile || ''}:${e.lineNumber || ''})`);
    });
  });
  await page.setJavaScriptEnabled(javascript);
  return { page, violations, session, firstReported };
}

// Resolves once forms.js has had the status of each form on the page: the
// fetch's resource timing entry is there when its answer has come. (Not
// puppeteer's network idle: it counts the favicon, whose request a
// navigation can leave pending forever.) A status fetch the policy blocks
// never comes: then the violations are the failure.
async function statusesFetched(page, violations) {
  try {
    await page.waitForFunction(() => [...document.querySelectorAll('[data-agora-form]')]
      .filter((panel) => panel.querySelector('form.agora-form'))
      .map((panel) => new URL(panel.dataset.statusUrl, document.baseURI).href)
      .every((url) => performance.getEntriesByName(url).length > 0));
  } catch (error) {
    assertNone(violations, page.url());
    throw error;
  }
}

// Brings every report of what the tab has done so far (each page has
// loaded and had what its scripts fetch): a report may still be on its
// way, in a task of the page (the DOM event, with scripts on) or a
// message of the logging session. One turn of the page's tasks and one
// round trip through each channel deliver them, in order.
async function reportsIn({ page, session }) {
  if (page.isJavaScriptEnabled()) {
    await page.evaluate(() => new Promise((resolve) => { setTimeout(resolve, 0); }));
  }
  await session.send('Runtime.evaluate', { expression: '0' });
}

// Resolves as `promise` does; fails with `problem` if it has not within `ms`.
function within(promise, ms, problem) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(problem)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function assertNone(violations, where) {
  assert.deepEqual([...new Set(violations)], [], `CSP violations on ${where}`);
}

function defineTests() {
  describe('the CloudFront Content-Security-Policy on agora serve', { timeout: 240_000 }, () => {
    let chromium;
    let browser;
    let root;
    let serve;
    let proxy;
    let origin;
    let policies;

    before(async () => {
      policies = templatePolicies();
      root = copyKrakowSite('agora-csp-');
      planWorkshops(root);
      serve = await startServe(root);
      proxy = await startProxy(serve.port, policies);
      origin = `http://127.0.0.1:${proxy.address().port}`;
      chromium = await launchBrowser();
      browser = chromium.browser;
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (proxy) proxy.close();
      if (serve) serve.child.kill();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    test('the policies are strict: nothing inline anywhere, no script on the functions\' pages', () => {
      assert.match(policies.site, /default-src 'none'/);
      assert.match(policies.api, /default-src 'none'/);
      assert.doesNotMatch(policies.api, /script-src/);
      for (const policy of [policies.site, policies.api]) {
        assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|\*|https?:|data:/);
      }
      for (const policy of [policies.site, policies.api]) {
        assert.match(policy, /frame-ancestors 'none'/);
        assert.match(policy, /base-uri 'none'/);
        assert.match(policy, /form-action 'self'/);
      }
    });

    test('a violation is seen (control page), with JavaScript and without', async () => {
      for (const javascript of [true, false]) {
        const { page, firstReported } = await watchedPage(browser, { javascript });
        try {
          await page.goto(`${origin}/csp-control/`, { waitUntil: 'load' });
          await within(
            firstReported,
            15_000,
            `the control page's inline style was not reported (JavaScript ${javascript ? 'on' : 'off'})`,
          );
        } finally {
          await page.close();
        }
      }
    });

    test('every page of the sitemap, the search and the 404 page, with JavaScript and without', async () => {
      const sitemap = await (await fetch(`${origin}/sitemap.xml`)).text();
      const paths = [...sitemap.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => new URL(m[1]).pathname);
      assert.ok(paths.length >= 10, `the sitemap lists ${paths.length} pages`);
      paths.push('/szukaj/?q=warsztat', '/nie-ma-takiej-strony/');
      for (const javascript of [true, false]) {
        const watched = await watchedPage(browser, { javascript });
        const { page, violations } = watched;
        try {
          for (const p of paths) {
            await page.goto(origin + p, { waitUntil: 'load' });
            // forms.js fetches each form's status once the page is there:
            // had before the tab moves on, so that no fetch is cut short.
            if (javascript) await statusesFetched(page, violations);
            if (javascript && p.startsWith('/szukaj/')) {
              await page.waitForFunction(() => document.querySelector('[aria-live]')
                && document.querySelector('[aria-live]').textContent.trim() !== '');
            }
          }
          await reportsIn(watched);
          assertNone(violations, `the site's pages (JavaScript ${javascript ? 'on' : 'off'})`);
        } finally {
          await page.close();
        }
      }
    });

    test('a form sent with JavaScript: the status fetch, the background submission, the page after it', async () => {
      const watched = await watchedPage(browser);
      const { page, violations } = watched;
      try {
        // networkidle0: the status request has brought the fill-time stamp.
        await page.goto(origin + FORM.page, { waitUntil: 'networkidle0' });
        const opened = Date.now();
        await page.evaluate((entries) => {
          for (const [name, value] of entries) {
            for (const input of document.querySelectorAll(`form.agora-form [name="${name}"]`)) {
              if (input.type === 'checkbox') input.checked = value === true;
              else input.value = value;
            }
          }
        }, Object.entries(FORM.values));
        // The functions take a form filled in faster than a person as a
        // bot's: here the time itself is what is waited for.
        const left = MIN_FILL_MS - (Date.now() - opened);
        if (left > 0) await new Promise((resolve) => { setTimeout(resolve, left); });
        await Promise.all([
          page.waitForNavigation({ waitUntil: 'load' }),
          page.click('form.agora-form button[type="submit"]'),
        ]);
        assert.match(new URL(page.url()).pathname, new RegExp(`^/api/forms/${FORM.id}/`));
        await reportsIn(watched);
        assertNone(violations, `${FORM.page} and the page after it`);
      } finally {
        await page.close();
      }
    });

    test('a form sent without JavaScript, and the functions\' own pages', async () => {
      const watched = await watchedPage(browser, { javascript: false });
      const { page, violations } = watched;
      try {
        await page.goto(origin + FORM.page, { waitUntil: 'load' });
        // Empty: the functions answer their page with the mistakes.
        await Promise.all([
          page.waitForNavigation({ waitUntil: 'load' }),
          page.click('form.agora-form button[type="submit"]'),
        ]);
        assert.match(new URL(page.url()).pathname, /^\/api\/forms\//);
        for (const p of [
          `/api/forms/${FORM.id}/wyslane`,
          `/api/forms/${FORM.id}/potwierdz?token=nieznany`,
          `/api/forms/${FORM.id}/wycofaj?token=nieznany`,
          '/api/forms/nie-ma-takiego',
          // The staff workspace's pages a visitor without a session sees.
          '/panel/logowanie',
          '/panel/logowanie/link?token=nieznany',
        ]) {
          await page.setExtraHTTPHeaders({ Accept: 'text/html' });
          await page.goto(origin + p, { waitUntil: 'load' });
        }
        await reportsIn(watched);
        assertNone(violations, 'the form functions\' pages');
      } finally {
        await page.close();
      }
    });
  });
}

if (!AGORA_BIN || !fs.existsSync(AGORA_BIN)) {
  test('CSP: AGORA_BIN names the agora binary', () => {
    assert.fail(`AGORA_BIN=${AGORA_BIN || '(unset)'}: build it (cargo build -p agora) and run AGORA_BIN=target/debug/agora node --test tests/browser/`);
  });
} else {
  withBrowser('CSP of infra/template.yaml', defineTests);
}
