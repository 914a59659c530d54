// An accessibility crawl of `ozgo demo`: every page reachable by links
// from the start page, as a visitor without an account and as staff of the
// demo tenant (operator, tenant admin, clerk), is loaded in Chromium and
// checked with axe (WCAG 2.1 A/AA), for exactly one <h1>, a <main
// id="main">, a title, a status below 500, and for console errors and
// failed sub-resources. The flow tests check what the pages do; this one
// makes sure no page that only a link leads to is left unchecked.
//
// The crawl follows same-origin GET links (<a href>), not forms, skips
// downloads (PDF, CSV, JSON, ZIP, images) and logging out, and visits at
// most a few addresses per path, so paging through the 5,000 Leistungen or
// 16,000 regions does not turn into a full scrape.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { checkA11y, watchPage } from '../lib/browser.js';
import { demoSuite } from '../lib/suite.js';

const env = demoSuite();

const PER_PATH = 2; // addresses per path (query variants)
const MAX_PAGES = 50; // per crawl
const SKIP = [
  /^\/abmelden/,
  /^\/static\//,
  /^\/api\//,
  /^\/fitconnect\//,
  /^\/saml\//,
  /^\/oidc\//,
  /^\/metrics/,
  /^\/healthz/,
  /\.(pdf|csv|json|zip|png|jpe?g|svg|ico|xml|txt)$/i,
  /\/(antrag\.pdf|daten\.json|export\.zip|anhang\/|datei\/)/,
];

/** Normalises a link to a same-origin path+query, or null to skip it. */
function target(href, base) {
  let u;
  try {
    u = new URL(href, base);
  } catch {
    return null;
  }
  if (u.origin !== new URL(env.server.url).origin) return null;
  if (SKIP.some((re) => re.test(u.pathname))) return null;
  u.hash = '';
  return u.pathname + u.search;
}

/**
 * Crawls breadth-first from the start paths with the given browser
 * context and returns the list of problems (empty when all is well).
 */
async function crawl(context, starts, label) {
  const page = await context.newPage();
  const watch = watchPage(page);
  const queue = [...starts];
  const seen = new Set(queue);
  const perPath = new Map();
  const problems = [];
  let visited = 0;
  while (queue.length > 0 && visited < MAX_PAGES) {
    const path = queue.shift();
    visited++;
    let status = 0;
    let contentType = '';
    try {
      const resp = await page.goto(new URL(path, env.server.url).href, { waitUntil: 'load' });
      status = resp?.status() ?? 0;
      contentType = resp?.headers()['content-type'] ?? '';
    } catch (err) {
      problems.push(`${label} ${path}: ${err.message}`);
      continue;
    }
    if (!contentType.startsWith('text/html')) continue;
    const where = `${label} ${path}${page.url() !== new URL(path, env.server.url).href ? ` (→ ${new URL(page.url()).pathname})` : ''}`;
    if (status >= 500 || status === 0) problems.push(`${where}: status ${status}`);
    try {
      assert.equal(await page.locator('h1').count(), 1, 'exactly one <h1>');
      assert.equal(await page.locator('main#main').count(), 1, 'a <main id="main">');
      assert.ok((await page.title()).trim() !== '', 'a title');
      await checkA11y(page);
      watch.assertClean('loading problems');
    } catch (err) {
      problems.push(`${where}: ${err.message}`);
    }
    for (const href of await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
      const next = target(href, page.url());
      if (!next || seen.has(next)) continue;
      const p = next.split('?')[0];
      const n = perPath.get(p) ?? 0;
      if (n >= PER_PATH) continue;
      perPath.set(p, n + 1);
      seen.add(next);
      queue.push(next);
    }
  }
  await page.close();
  assert.ok(visited >= 10, `${label}: only ${visited} pages reached`);
  return problems;
}

async function staffContext(email, password) {
  const context = await env.browser.newContext({ locale: 'de-DE' });
  const page = await context.newPage();
  await page.goto(new URL('/mitarbeiter/anmelden', env.server.url).href);
  await page.getByLabel('E-Mail-Adresse').fill(email);
  await page.getByLabel('Passwort').fill(password);
  await Promise.all([page.waitForEvent('framenavigated'), page.getByRole('button', { name: 'Anmelden' }).click()]);
  await page.waitForLoadState('load');
  assert.doesNotMatch(page.url(), /\/mitarbeiter\/anmelden/, `${email} should be logged in`);
  await page.close();
  return context;
}

describe('Accessibility crawl', { timeout: 600_000 }, () => {
  it('checks every page a visitor reaches by links', async (t) => {
    const context = await env.browser.newContext({ locale: 'de-DE' });
    t.after(() => context.close());
    const problems = await crawl(context, ['/', '/onlinedienste', '/dashboard/abdeckung?ars=08', '/status', '/anmelden'], 'anonym');
    assert.deepEqual(problems, [], problems.join('\n\n'));
  });

  for (const [role, email, password, start] of [
    ['Betrieb', 'betrieb@ozgo.example', 'demo-betrieb-2026', '/verwaltung'],
    ['Verwaltung', 'verwaltung@tuebingen.example', 'demo-verwaltung-2026', '/verwaltung'],
    ['Sachbearbeitung', 'sachbearbeitung@tuebingen.example', 'demo-sachbearbeitung-2026', '/sachbearbeitung'],
  ]) {
    it(`checks every page ${role} reaches by links`, async (t) => {
      const context = await staffContext(email, password);
      t.after(() => context.close());
      const problems = await crawl(context, [start, '/konto'], role);
      assert.deepEqual(problems, [], problems.join('\n\n'));
    });
  }
});
