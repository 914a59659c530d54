// The tenant key in the browser, against `ozgo demo` in headless Chromium
// (docs/schluessel.md):
//
//   - the demo tenant admin creates a clerk at /verwaltung/mitarbeiter;
//     the clerk logs in with that password and opens /sachbearbeitung;
//   - an account made with `ozgo user create` on the tenant, which
//     already has a key, gets no key access: the command says so, and
//     the workspace explains that the key is locked (a wrong key password
//     is refused);
//   - the admin sets a new password for it, which grants the key, and
//     makes a recovery code; with the new password the workspace opens.
//
// Every ozgo page is checked on arrival, axe included.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import { printOutputOnFailure, startServer } from '../lib/server.js';
import { visitor as newVisitor } from '../lib/visitor.js';

const BIN = process.env.OZGO_BIN || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/ozgo');

let server;
let browser;

before(
  async () => {
    server = await startServer({ demo: true, timeoutMs: 200_000 });
    browser = await launchBrowser();
  },
  { timeout: 260_000 },
);

after(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach((t) => printOutputOnFailure(t, server));

async function staffLogin(t, email, password, expect = { title: 'Mein Konto – ozgo' }) {
  const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
  await v.goto('/mitarbeiter/anmelden', { title: 'Anmeldung für Mitarbeitende – ozgo' });
  await v.page.getByLabel('E-Mail-Adresse').fill(email);
  await v.page.getByLabel('Passwort').fill(password);
  await v.click(v.page.getByRole('button', { name: 'Anmelden', exact: true }), expect);
  return v;
}

describe('Schlüssel der Behörde', { timeout: 300_000 }, () => {
  it('grants key access to new accounts and explains a locked key', async (t) => {
    // --- The tenant admin creates a clerk. ---
    const admin = await staffLogin(t, 'verwaltung@tuebingen.example', 'demo-verwaltung-2026');
    const ap = admin.page;
    await admin.goto('/verwaltung/mitarbeiter', { title: 'Mitarbeitende – ozgo' });
    await ap.getByLabel('Name', { exact: true }).fill('Erika Neu');
    await ap.getByLabel('E-Mail-Adresse', { exact: true }).fill('neu@tuebingen.example');
    await ap.getByRole('radio', { name: 'Sachbearbeitung' }).check();
    await ap.getByLabel('Passwort', { exact: true }).fill('erikas-passwort-2026');
    await admin.click(ap.getByRole('button', { name: 'Konto anlegen' }), { title: 'Mitarbeitende – ozgo' });
    assert.ok((await ap.locator('main').innerText()).includes('hat Zugang zum Schlüssel'));

    const clerk = await staffLogin(t, 'neu@tuebingen.example', 'erikas-passwort-2026');
    await clerk.goto('/sachbearbeitung', { title: 'Sachbearbeitung – ozgo' });

    // --- An account from the command line: no key access. ---
    const res = spawnSync(BIN, ['user', 'create', '--data', server.dataDir, '--email', 'ohne@tuebingen.example', '--role', 'clerk',
      '--tenant', 'tuebingen', '--password-stdin'], { input: 'ein-passwort-ohne-schluessel\n', encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /HINWEIS: Der Mandant tuebingen hat bereits einen Schlüssel/);

    const locked = await staffLogin(t, 'ohne@tuebingen.example', 'ein-passwort-ohne-schluessel');
    const lp = locked.page;
    await locked.goto('/sachbearbeitung', { title: 'Schlüssel entsperren – ozgo', status: 403 });
    const text = await lp.locator('main').innerText();
    assert.ok(text.includes('Schlüssel ist in dieser Sitzung gesperrt') || text.includes('in dieser Sitzung gesperrt'));
    assert.ok(text.includes('kein Zugang zum Schlüssel'));
    await lp.getByLabel('Schlüsselkennwort').fill('ein-passwort-ohne-schluessel');
    await locked.click(lp.getByRole('button', { name: 'Schlüssel entsperren' }), { title: 'Fehler: Schlüssel entsperren – ozgo', status: 422 });
    assert.ok((await lp.locator('main').innerText()).includes('Das Schlüsselkennwort ist falsch'));

    // --- The admin sets a new password: it carries the key. ---
    await admin.goto('/verwaltung/mitarbeiter', { title: 'Mitarbeitende – ozgo' });
    await ap.getByLabel('Neues Passwort für ohne@tuebingen.example').fill('jetzt-mit-schluessel-2026');
    const row = ap.getByRole('row', { name: /ohne@tuebingen\.example/ });
    await admin.click(row.getByRole('button', { name: 'Passwort setzen' }), { title: 'Mitarbeitende – ozgo' });
    assert.ok((await ap.locator('main').innerText()).includes('der Schlüsselzugang gilt mit dem neuen Passwort'));

    // --- A recovery code, shown once. ---
    await admin.click(ap.getByRole('button', { name: 'Neuen Wiederherstellungscode erzeugen' }), { title: 'Mitarbeitende – ozgo' });
    assert.match(await ap.locator('main').innerText(), /[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}/);

    const unlocked = await staffLogin(t, 'ohne@tuebingen.example', 'jetzt-mit-schluessel-2026');
    await unlocked.goto('/sachbearbeitung', { title: 'Sachbearbeitung – ozgo' });
    await unlocked.goto('/mitarbeiter/schluessel', { title: 'Schlüssel entsperren – ozgo' });
    assert.ok((await unlocked.page.locator('main').innerText()).includes('für diese Sitzung entsperrt'));
  });
});
