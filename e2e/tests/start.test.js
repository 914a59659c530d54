// Start page, 404 page and no-JavaScript smoke tests against a real ozgo
// server in headless Chromium.
//
// Contract with the server (see e2e/README.md):
//   - GET /healthz answers 200 once the server is ready
//   - GET / is a German HTML page (<html lang="de">) titled like
//     "Startseite – ozgo", whose first focusable element is a skip link
//     <a href="#main">Zum Inhalt springen</a> to <main id="main">, with an <h1>
//   - pages link /static/vendor/kern-ux/fonts/fira-sans.css and
//     /static/vendor/kern-ux/kern.min.css (a query string is allowed)
//   - every page is sent with a Content-Security-Policy header
//   - unknown paths answer 404 with a German page ("… nicht gefunden")

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { checkA11y, launchBrowser, watchPage } from '../lib/browser.js';
import { printOutputOnFailure, startServer } from '../lib/server.js';

const TEST_TIMEOUT = 60_000;
const KERN_STYLESHEETS = ['/kern-ux/fonts/fira-sans.css', '/kern-ux/kern.min.css'];

let server;
let browser;

before(
  async () => {
    server = await startServer();
    browser = await launchBrowser();
  },
  { timeout: 90_000 },
);

after(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach((t) => printOutputOnFailure(t, server));

/**
 * Opens `path` in a fresh browser context (no shared cache or cookies) and
 * waits until the network is idle. The context is closed after the test.
 */
async function open(t, path, contextOptions = {}) {
  const context = await browser.newContext({ locale: 'de-DE', ...contextOptions });
  t.after(() => context.close());
  const page = await context.newPage();
  const watch = watchPage(page);
  const responses = new Map();
  page.on('response', (r) => responses.set(r.url(), r));
  const response = await page.goto(new URL(path, server.url).href, { waitUntil: 'networkidle' });
  assert.ok(response, `no response for ${path}`);
  return { context, page, response, responses, watch };
}

function assertHtml(response) {
  const type = response.headers()['content-type'] ?? '';
  assert.match(type, /^text\/html\b/i, `Content-Type of ${response.url()} should be text/html, is "${type}"`);
}

async function assertGerman(page) {
  const lang = await page.locator('html').getAttribute('lang');
  assert.match(lang ?? '', /^de(-DE)?$/i, `<html lang> should be "de", is ${JSON.stringify(lang)}`);
}

function assertCsp(response) {
  const csp = response.headers()['content-security-policy'];
  assert.ok(csp && csp.trim(), `${response.url()} has no Content-Security-Policy header`);
  assert.match(csp, /(^|;)\s*(default-src|script-src)\s/i, `CSP should restrict scripts: "${csp}"`);
}

describe('start page /', { timeout: TEST_TIMEOUT }, () => {
  it('answers 200 with a German HTML page, a title naming ozgo and an <h1>', async (t) => {
    const { page, response, watch } = await open(t, '/');
    assert.equal(response.status(), 200);
    assertHtml(response);
    await assertGerman(page);

    const title = (await page.title()).trim();
    assert.ok(title, 'the page title is empty');
    assert.match(title, /ozgo/i, `the title should contain "ozgo": ${JSON.stringify(title)}`);

    const h1 = page.locator('h1');
    assert.ok((await h1.count()) >= 1, 'the page has no <h1>');
    assert.ok(await h1.first().isVisible(), 'the <h1> is not visible');
    assert.ok((await h1.first().innerText()).trim(), 'the <h1> is empty');
    watch.assertClean();
  });

  it('has a skip link to the main content as the first focusable element', async (t) => {
    const { page, watch } = await open(t, '/');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const href = el?.getAttribute('href') ?? '';
      let target = null;
      if (href.startsWith('#') && href.length > 1) {
        target = document.getElementById(decodeURIComponent(href.slice(1)));
      }
      const isMain = (n) => n && (n.tagName === 'MAIN' || n.getAttribute('role') === 'main');
      return {
        tag: el?.tagName.toLowerCase() ?? null,
        html: el?.outerHTML.slice(0, 200) ?? null,
        href,
        text: (el?.textContent ?? '').trim(),
        targetExists: target !== null,
        targetIsMain:
          target !== null &&
          (isMain(target) || isMain(target.closest('main,[role="main"]')) ||
            target.querySelector('main,[role="main"]') !== null),
      };
    });
    assert.equal(focused.tag, 'a', `the first Tab should focus the skip link, focused: ${focused.html}`);
    assert.match(focused.href, /^#.+/, `the skip link should point into the page: ${focused.html}`);
    assert.ok(focused.text, `the skip link has no text: ${focused.html}`);
    assert.ok(focused.targetExists, `the skip link target ${focused.href} does not exist`);
    assert.ok(focused.targetIsMain, `the skip link target ${focused.href} is not (in) the main landmark`);

    // A focused skip link must be visible (WCAG 2.4.7), not a 1×1 px clip.
    const box = await page.locator(':focus').boundingBox();
    const viewport = page.viewportSize();
    assert.ok(
      box && box.width >= 8 && box.height >= 8,
      `the focused skip link should be visible, its box is ${JSON.stringify(box)}`,
    );
    assert.ok(
      box.x >= 0 && box.y >= 0 && box.x < viewport.width && box.y < viewport.height,
      `the focused skip link should be inside the viewport, its box is ${JSON.stringify(box)}`,
    );

    await page.keyboard.press('Enter');
    assert.ok(page.url().endsWith(focused.href), `activating the skip link should go to ${focused.href}, URL: ${page.url()}`);
    watch.assertClean();
  });

  it('loads and applies the KERN stylesheets and the Fira Sans font', async (t) => {
    const { page, responses, watch } = await open(t, '/');
    const hrefs = await page.$$eval('link[rel~="stylesheet"]', (links) => links.map((l) => l.href));
    for (const suffix of KERN_STYLESHEETS) {
      const href = hrefs.find((h) => new URL(h).pathname.endsWith(suffix));
      assert.ok(href, `no <link rel="stylesheet"> whose path ends in ${suffix}; found: ${JSON.stringify(hrefs)}`);
      const res = responses.get(href);
      assert.ok(res, `no response recorded for ${href}`);
      assert.equal(res.status(), 200, `${href} answered ${res.status()}`);
      const type = res.headers()['content-type'] ?? '';
      assert.match(type, /^text\/css\b/i, `${href} should be served as text/css, is "${type}"`);
    }

    const fontFamily = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
    assert.match(fontFamily, /Fira Sans/, `body font-family should come from KERN, is ${fontFamily}`);

    const loadedFaces = await page.evaluate(async () => {
      await document.fonts.ready;
      return [...document.fonts]
        .filter((f) => f.family.replace(/["']/g, '') === 'Fira Sans' && f.status === 'loaded')
        .map((f) => `${f.weight} ${f.style}`);
    });
    assert.ok(loadedFaces.length > 0, 'no Fira Sans font face was loaded (woff2 files missing or blocked by CSP?)');
    watch.assertClean();
  });

  it('has no accessibility violations (axe, WCAG 2.1 A/AA)', async (t) => {
    const { page, watch } = await open(t, '/');
    await checkA11y(page);
    watch.assertClean();
  });

  it('causes no console errors, failed requests or sub-resource errors', async (t) => {
    const { page, watch } = await open(t, '/');
    await page.evaluate(() => document.fonts.ready);
    await page.waitForLoadState('networkidle');
    watch.assertClean();
  });

  it('sends a Content-Security-Policy header', async (t) => {
    const { response, watch } = await open(t, '/');
    assertCsp(response);
    watch.assertClean();
  });
});

describe('unknown address /gibt-es-nicht', { timeout: TEST_TIMEOUT }, () => {
  it('answers 404 with an accessible German error page', async (t) => {
    const { page, response, watch } = await open(t, '/gibt-es-nicht');
    assert.equal(response.status(), 404);
    assertHtml(response);
    await assertGerman(page);
    assertCsp(response);

    const h1 = page.locator('h1');
    assert.ok((await h1.count()) >= 1, 'the 404 page has no <h1>');
    const heading = (await h1.first().innerText()).trim();
    assert.match(heading, /nicht gefunden/i, `the heading should say "nicht gefunden": ${JSON.stringify(heading)}`);

    const title = (await page.title()).trim();
    assert.ok(title, 'the 404 page title is empty');
    assert.match(title, /nicht gefunden|404|fehler/i, `the title should name the error: ${JSON.stringify(title)}`);
    assert.doesNotMatch(title, /^ozgo\b/i, `the title should start with the page's subject, not the site name: ${JSON.stringify(title)}`);

    await checkA11y(page);
    watch.assertClean();
  });
});

describe('without JavaScript', { timeout: TEST_TIMEOUT }, () => {
  it('shows the start page with heading, skip link and KERN styles', async (t) => {
    const { page, response, watch } = await open(t, '/', { javaScriptEnabled: false });
    assert.equal(response.status(), 200);
    assert.ok(await page.locator('h1').first().isVisible(), 'the <h1> is not visible without JavaScript');
    assert.ok((await page.locator('a[href^="#"]').count()) >= 1, 'the skip link is missing without JavaScript');
    const fontFamily = await page.locator('body').evaluate((body) => getComputedStyle(body).fontFamily);
    assert.match(fontFamily, /Fira Sans/, `body font-family should come from KERN, is ${fontFamily}`);
    watch.assertClean();
  });
});
