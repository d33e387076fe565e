'use strict';
// What the browser test files share: the browser, axe-core, the gate that
// fails loudly in CI when Chromium is missing.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const ARTIFACTS_DIR = path.join(REPO_ROOT, 'target', 'browser-artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const VIEWPORTS = [
  { name: '1280x900', width: 1280, height: 900 },
  { name: '375x800', width: 375, height: 800, isMobile: true, hasTouch: true },
];
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

// Defines the tests when Chromium is there; else one failing test (or, only
// outside CI and with AGORA_SKIP_BROWSER=1, one skipped test).
function withBrowser(name, defineTests) {
  if (isExecutable(CHROMIUM)) {
    defineTests();
    return;
  }
  const msg = `Chromium not found at ${CHROMIUM} (set CHROMIUM to another path, or install it: apt-get install chromium).`;
  if (process.env.CI === 'true') {
    test(`${name}: Chromium is installed (required in CI)`, () => {
      console.error(`\n*** ${msg} CI=true: the browser tests must run in CI. ***\n`);
      assert.fail(`${msg} CI=true: the browser tests must run in CI; scripts/test installs Chromium.`);
    });
  } else if (process.env.AGORA_SKIP_BROWSER === '1') {
    test(name, { skip: `${msg} Skipped because AGORA_SKIP_BROWSER=1.` }, () => {});
  } else {
    test(`${name}: Chromium is installed`, () => {
      assert.fail(`${msg} Set AGORA_SKIP_BROWSER=1 to skip the browser tests on this machine.`);
    });
  }
}

// Like `withBrowser`, for tests that run `agora serve`: first, one failing
// test unless AGORA_BIN names the agora binary.
function withAgoraBin(agoraBin, name, defineTests) {
  if (!agoraBin || !fs.existsSync(agoraBin)) {
    test(`${name}: AGORA_BIN names the agora binary`, () => {
      assert.fail(`AGORA_BIN=${agoraBin || '(unset)'}: build it (cargo build -p agora) and run AGORA_BIN=target/debug/agora node --test tests/browser/`);
    });
    return;
  }
  withBrowser(name, defineTests);
}

// A headless Chromium with a fresh profile; `close()` removes the profile.
async function launchBrowser() {
  const puppeteer = require('puppeteer-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-chromium-'));
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, `--user-data-dir=${userDataDir}`],
    timeout: 30_000,
    protocolTimeout: 30_000,
  });
  return {
    browser,
    async close() {
      await browser.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

function formatViolations(violations) {
  return violations.map((v) => {
    const nodes = v.nodes.slice(0, 3).map((n) => `      ${JSON.stringify(n.target)}  ${n.html.replace(/\s+/g, ' ').slice(0, 160)}`);
    const more = v.nodes.length > 3 ? [`      … and ${v.nodes.length - 3} more`] : [];
    return [`  [${v.impact}] ${v.id}: ${v.help} (${v.nodes.length} element${v.nodes.length === 1 ? '' : 's'})`, `      ${v.helpUrl}`, ...nodes, ...more].join('\n');
  }).join('\n');
}

// Runs axe-core on the page: its violations, and what it could not decide.
// Evaluated through DevTools, not added as a script element: the pages'
// Content-Security-Policy (agora serve sends it) refuses inline scripts.
async function axeRun(page) {
  await page.evaluate(fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate((tags) => window.axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    resultTypes: ['violations', 'incomplete'],
  }), AXE_TAGS);
}

// Fails with the violations listed, if axe-core found any.
function assertNoViolations(result, where) {
  if (result.violations.length) {
    assert.fail(`${result.violations.length} axe-core violation(s) on ${where}:\n${formatViolations(result.violations)}`);
  }
}

// Runs axe-core on the page and fails on any violation. A page shown with
// JavaScript off is checked as a copy in a tab with it on (axe is a script).
async function assertAxeClean(page, where) {
  // Puppeteer's evaluate works with scripts off; axe's own checks do not.
  const scripting = page.isJavaScriptEnabled();
  let target = page;
  if (!scripting) {
    const html = await page.content();
    target = await page.browser().newPage();
    // The copy's own scripts stay out: only axe runs.
    await target.setContent(html.replace(/<script\b[^]*?<\/script>/gi, ''), { waitUntil: 'load' });
  }
  try {
    const result = await axeRun(target);
    assertNoViolations(result, where);
    return result;
  } finally {
    if (target !== page) await target.close();
  }
}

// A copy of the Kraków site (agora.yaml, content/, themes/) in a new
// temporary folder, for tests that edit it or keep a store in it.
function copyKrakowSite(prefix) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.copyFileSync(path.join(REPO_ROOT, 'agora.yaml'), path.join(root, 'agora.yaml'));
  fs.cpSync(path.join(REPO_ROOT, 'content'), path.join(root, 'content'), { recursive: true });
  fs.cpSync(path.join(REPO_ROOT, 'themes'), path.join(root, 'themes'), { recursive: true });
  return root;
}

// The copy's 2020 workshops as they were planned: the recruitment was
// called off and the sources give no closing date, so the tests that walk
// residents through it get a window of their own (a fixture, not a fact).
function planWorkshops(root) {
  const file = path.join(root, 'content', 'forms', 'warsztaty-wspolne-projekty-miejskie-2020.yaml');
  const planned = fs
    .readFileSync(file, 'utf8')
    .replace(/^cancelled:.*\n(?:[ ].*\n)*/m, '')
    .replace(/^(opens:.*\n)/m, '$1closes: 2020-03-20 23:59\n');
  fs.writeFileSync(file, planned);
}

// Starts `agora serve --root ROOT --port 0 ARGS…` and resolves with its
// address once it listens; `output()` is everything it printed so far.
function startAgoraServe(agoraBin, root, args = []) {
  const { spawn } = require('node:child_process');
  const child = spawn(agoraBin, ['serve', '--root', root, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`agora serve did not start in 60 s:\n${output}`));
    }, 60_000);
    const read = (chunk) => {
      output += chunk;
      const address = output.match(/http:\/\/127\.0\.0\.1:\d+/);
      if (address) {
        clearTimeout(timer);
        resolve({ child, origin: address[0], output: () => output });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agora serve exited with ${code}:\n${output}`));
    });
  });
}

// Every e-mail `agora serve` wrote to `address` in ROOT/.agora/outbox/,
// decoded from quoted-printable, newest first.
function outboxMailsTo(root, address) {
  const dir = path.join(root, '.agora', 'outbox');
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.eml')) : [];
  const decode = (file) => {
    const raw = fs.readFileSync(file, 'latin1').replace(/=\r?\n/g, '');
    return Buffer.from(raw.replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))), 'latin1')
      .toString('utf8');
  };
  const to = new RegExp(`^To: ${address.replace(/[.+]/g, '\\$&')}\\r?$`, 'm');
  return names
    .map((name) => path.join(dir, name))
    .map((file) => ({ text: decode(file), at: fs.statSync(file).mtimeMs }))
    .filter((mail) => to.test(mail.text))
    .sort((a, b) => b.at - a.at)
    .map((mail) => mail.text);
}

// ---------------------------------------------------------------------------
// The built site (AGORA_SITE_DIR), served as it is

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.ics': 'text/calendar; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.pdf': 'application/pdf',
};

// What is missing before a test of the built site (AGORA_SITE_DIR) starts.
function siteProblem() {
  const dir = process.env.AGORA_SITE_DIR;
  if (!dir) {
    return 'AGORA_SITE_DIR is not set: build the site first ' +
      '(cargo run -p agora -- build --out target/browser-site) and run ' +
      'AGORA_SITE_DIR=target/browser-site node --test tests/browser/';
  }
  for (const f of ['index.html', '404.html']) {
    if (!fs.existsSync(path.join(path.resolve(dir), f))) {
      return `AGORA_SITE_DIR=${dir} is not a built Agora site: ${f} is missing there`;
    }
  }
  return null;
}

// A tiny static server for the built site.
function startServer(root) {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      res.writeHead(400);
      res.end();
      return;
    }
    const rel = path.posix.normalize(pathname);
    let file = path.join(root, rel);
    if (!file.startsWith(root + path.sep) && file !== root) return notFound(res, req);
    let stat = statOrNull(file);
    if (stat && stat.isDirectory()) {
      if (!pathname.endsWith('/')) {
        res.writeHead(301, { Location: pathname + '/' });
        res.end();
        return;
      }
      file = path.join(file, 'index.html');
      stat = statOrNull(file);
    }
    if (!stat || !stat.isFile()) return notFound(res, req);
    send(res, req, 200, file);
  });

  function notFound(res, req) {
    send(res, req, 404, path.join(root, '404.html'));
  }
  function send(res, req, status, file) {
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream';
    const body = fs.readFileSync(file);
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': body.length,
      'Cache-Control': 'no-store',
      // A wrong content type then breaks the page the way it would in production.
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function statOrNull(file) {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

module.exports = {
  siteProblem,
  startServer,
  copyKrakowSite,
  planWorkshops,
  startAgoraServe,
  outboxMailsTo,
  ARTIFACTS_DIR,
  AXE_TAGS,
  CHROMIUM,
  REPO_ROOT,
  VIEWPORTS,
  assertAxeClean,
  assertNoViolations,
  axeRun,
  launchBrowser,
  withAgoraBin,
  withBrowser,
};
