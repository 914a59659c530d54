// A visitor: a fresh browser context that checks every page it arrives on.
//
//   const v = await visitor(t, browser, server.url);
//   await v.goto('/suche', { title: 'Suche – ozgo' });
//   await v.click(v.page.getByRole('link', { name: '…' }), { title: '…', status: 200, url: /…/ });
//
// `arrive` checks the page the browser is on now: its status, title, one
// <h1>, a <main id="main">, axe (WCAG 2.1 A/AA) and no console errors or
// failed requests. Without JavaScript axe runs in a twin context with the
// same cookies (the pages have no scripts, so both see the same document);
// that only works for pages reached by GET.

import assert from 'node:assert/strict';

import { checkA11y, watchPage } from './browser.js';

/**
 * @param {import('node:test').TestContext} t  closes the contexts when done
 * @param {import('playwright-core').Browser} browser
 * @param {string} baseURL
 * @param {object} [contextOptions]  e.g. { javaScriptEnabled: false }
 * @param {{waitUntil?: 'load'|'networkidle'}} [options]
 */
export async function visitor(t, browser, baseURL, contextOptions = {}, { waitUntil = 'networkidle' } = {}) {
  const context = await browser.newContext({ locale: 'de-DE', ...contextOptions });
  t.after(() => context.close());
  const page = await context.newPage();
  const watch = watchPage(page);
  let twin = null;
  let twinWatch = null;
  if (contextOptions.javaScriptEnabled === false) {
    const twinContext = await browser.newContext({ locale: 'de-DE' });
    t.after(() => twinContext.close());
    twin = await twinContext.newPage();
    twinWatch = watchPage(twin);
  }
  const a11y = async () => {
    if (!twin) return checkA11y(page);
    await twin.context().clearCookies();
    await twin.context().addCookies(await context.cookies());
    // Leave first: going to the same address with another #fragment would
    // not load the page again.
    await twin.goto('about:blank');
    await twin.goto(page.url(), { waitUntil });
    assert.equal(await twin.content(), await page.content(), `${page.url()} differs with JavaScript`);
    await checkA11y(twin);
    twinWatch.assertClean(`loading problems on ${page.url()} (with JavaScript)`);
  };
  let status = null;
  page.on('response', (r) => {
    const req = r.request();
    if (req.isNavigationRequest() && req.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400)) {
      status = r.status();
    }
  });
  const v = {
    context,
    page,
    async goto(path, expect) {
      await page.goto(new URL(path, baseURL).href);
      return v.arrive(expect);
    },
    /** Checks the current page: status, title, one <h1>, axe, no loading problems. */
    async arrive({ title, status: want = 200, url }) {
      await page.waitForLoadState(waitUntil);
      if (status !== want) {
        const problems = await page.getByRole('alert').allInnerTexts().catch(() => []);
        assert.fail(`${page.url()} answered ${status}, want ${want}${problems.length ? `:\n${problems.join('\n')}` : ''}`);
      }
      if (url) assert.match(page.url(), url, `URL ${page.url()} should match ${url}`);
      assert.equal(await page.title(), title, `title of ${page.url()}`);
      assert.equal(await page.locator('h1').count(), 1, `${page.url()} should have exactly one <h1>`);
      assert.equal(await page.locator('main#main').count(), 1, `${page.url()} has no <main id="main">`);
      await a11y();
      watch.assertClean(`loading problems on ${page.url()}`);
      return page;
    },
    /** Clicks and waits for the next page. */
    async click(locator, expect) {
      await Promise.all([page.waitForEvent('framenavigated'), locator.click()]);
      return v.arrive(expect);
    },
  };
  return v;
}
