// Login against `ozgo demo` and its built-in test identity provider
// (ozgo devidp) in headless Chromium:
//
//   - a citizen logs in through the test IdP by SAML (BundID profile) at
//     "substantiell" and sees the account page;
//   - opens an online service that needs "hoch", is offered a login at
//     "hoch", logs in again (the IdP preselects "hoch") and comes back to
//     the service, starts the application and reaches its first page;
//   - logs out, and logs in by OpenID Connect;
//   - a staff member logs in with a password.
//
// ozgo's pages are checked with axe (WCAG 2.1 A/AA) on arrival; the test
// IdP's own pages are a test tool and only driven.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import { printOutputOnFailure, startServer } from '../lib/server.js';
import { visitor as newVisitor } from '../lib/visitor.js';

const SERVICE = '/onlinedienste/blaue-karte-eu-verlaengern';
const SERVICE_TITLE = 'Blaue Karte EU verlängern (mit Online-Ausweis)';

let server;
let browser;

before(
  async () => {
    server = await startServer({ demo: true, timeoutMs: 150_000 });
    browser = await launchBrowser();
  },
  { timeout: 200_000 },
);

after(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach((t) => printOutputOnFailure(t, server));

/** On the test IdP's page: choose the first person and `level`, log in. */
async function loginAtIdP(page, level, { expectPreselected } = {}) {
  await page.waitForURL((u) => u.href.startsWith(server.devidpURL), { timeout: 15_000 });
  await page.getByRole('heading', { level: 1, name: 'Test-Identitätsprovider – kein echtes Konto' }).waitFor();
  if (expectPreselected) {
    assert.equal(await page.locator(`input[name="level"][value="${expectPreselected}"]`).isChecked(), true, `level ${expectPreselected} preselected`);
  }
  await page.locator(`input[name="level"][value="${level}"]`).check();
  await page.getByRole('button', { name: 'Als Testperson anmelden' }).click();
  await page.waitForURL((u) => u.href.startsWith(server.url), { timeout: 15_000 });
  await page.waitForLoadState('load');
}

describe('Anmeldung', { timeout: 180_000 }, () => {
  it('raises the trust level for a service that needs "hoch"', async (t) => {
    const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = v;
    await v.goto('/anmelden', { title: 'Anmelden – ozgo' });
    await page.getByRole('button', { name: 'Anmelden mit BundID' }).click();
    await loginAtIdP(page, 'substantiell');
    await v.arrive({ title: 'Mein Konto – ozgo', url: /\/konto$/ });
    await page.getByText('substantiell', { exact: true }).waitFor();

    // The service needs "hoch": the start page offers the login at that level.
    await v.goto(SERVICE, { title: `${SERVICE_TITLE} – ozgo` });
    await v.click(page.getByRole('link', { name: 'Anmelden und Antrag starten' }), {
      title: 'Anmelden – ozgo',
      url: /\/anmelden\?/,
    });
    await page.getByRole('heading', { name: 'Vertrauensniveau „hoch“ erforderlich' }).waitFor();
    await page.getByRole('button', { name: 'Anmelden mit BundID' }).click();
    await loginAtIdP(page, 'hoch', { expectPreselected: 'hoch' });
    await v.arrive({ title: `${SERVICE_TITLE} – ozgo`, url: new RegExp(`${SERVICE}$`) });

    // Now the application can be started.
    await Promise.all([page.waitForURL(/\/antrag\/1$/), page.getByRole('button', { name: 'Antrag starten' }).click()]);
    await page.waitForLoadState('load');
    await v.arrive({ title: await page.title(), url: /\/antrag\/1$/ });
    assert.match(await page.title(), /Persönliche Angaben zum Antragsteller/);

    // Logging out ends it: the form page sends to the login again.
    await v.goto('/abmelden', { title: 'Abmelden – ozgo' });
    await v.click(page.getByRole('button', { name: 'Abmelden' }), { title: 'Abgemeldet – ozgo', url: /\/abgemeldet$/ });
    await page.goto(`${server.url}${SERVICE}/antrag/1`);
    assert.match(page.url(), /\/anmelden\?/);
  });

  it('logs in by OpenID Connect', async (t) => {
    const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = v;
    await v.goto('/anmelden?return=%2Fvollmachten', { title: 'Anmelden – ozgo' });
    await page.getByRole('button', { name: 'Anmelden mit Servicekonto' }).click();
    await loginAtIdP(page, 'niedrig');
    await v.arrive({ title: 'Vollmachten – ozgo', url: /\/vollmachten$/ });
  });

  it('ignores foreign return addresses', async (t) => {
    const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = v;
    for (const evil of ['https://evil.example/', '//evil.example']) {
      await v.goto(`/anmelden?return=${encodeURIComponent(evil)}`, { title: 'Anmelden – ozgo' });
      await page.getByRole('button', { name: 'Anmelden mit BundID' }).click();
      await loginAtIdP(page, 'niedrig');
      await v.arrive({ title: 'Mein Konto – ozgo', url: /\/konto$/ });
      assert.ok(page.url().startsWith(server.url));
    }
  });

  it('lets staff log in with a password', async (t) => {
    const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = v;
    await v.goto('/mitarbeiter/anmelden', { title: 'Anmeldung für Mitarbeitende – ozgo' });
    await page.getByLabel('E-Mail-Adresse').fill('sachbearbeitung@tuebingen.example');
    await page.getByLabel('Passwort').fill('falsch');
    await v.click(page.getByRole('button', { name: 'Anmelden' }), { title: 'Fehler: Anmeldung für Mitarbeitende – ozgo', status: 401 });
    await page.getByLabel('Passwort').fill('demo-sachbearbeitung-2026');
    await v.click(page.getByRole('button', { name: 'Anmelden' }), { title: 'Mein Konto – ozgo', url: /\/konto$/ });
    await page.getByText('Sachbearbeitung', { exact: true }).first().waitFor();
  });
});
