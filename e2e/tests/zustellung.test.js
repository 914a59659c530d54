// The citizen path of the submission pipeline against `ozgo demo` in
// headless Chromium, and the authority's side through the FIT-Connect API:
//
//   - a citizen fills in the demo service "Beschäftigung einer schwangeren
//     oder stillenden Frau mitteilen" (FIM S00000094) page by page;
//   - the check page asks for the place of residence first (no submit
//     button without it), the citizen chooses Tübingen through /ort and
//     the check page names the Bürgerbüro Tübingen (Demo);
//   - after submitting, the receipt reports the encrypted delivery and
//     offers the receipt as PDF, which downloads as a PDF;
//   - the test then acts as the authority's subscriber: it creates an API
//     client for the demo Zustellpunkt with `ozgo fitconnect client create`
//     (while the server runs), takes a token, lists and fetches the
//     submission, decrypts metadata, data and attachments with the private
//     key the demo wrote to its data directory (RSA-OAEP-256 + A256GCM with
//     node:crypto, no JOSE library), checks the SHA-512 hashes of the
//     metadata, the form PDF (purpose "form"), the schemaUri (the $id of
//     `ozgo fim jsonschema`), and validates the data against the form with
//     `ozgo fim validate`.
//
// Every page visited is checked on arrival: status, title, one <h1>, axe
// (WCAG 2.1 A/AA), no console errors or failed requests.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import { chooseOrt, fillAllPages, MUTTERSCHUTZ_ANSWERS } from '../lib/formfill.js';
import { ozgoBinary, printOutputOnFailure, startServer } from '../lib/server.js';
import { visitor as newVisitor } from '../lib/visitor.js';

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIM = path.join(REPO, 'internal/demo/data/fim');

const TEST_TIMEOUT = 240_000;
const SLUG = 'mutterschutz-benachrichtigung';
const SERVICE = `/onlinedienste/${SLUG}`;
const SERVICE_TITLE = 'Beschäftigung einer schwangeren oder stillenden Frau mitteilen';
const FORM_XML = path.join(FIM, 'forms/S00000094V1.0_xdf2.xml');
const CHECK_TITLE = 'Angaben prüfen und absenden';
const RECEIPT_TITLE = 'Ihr Antrag ist eingegangen';
const AUTHORITY = 'Bürgerbüro Tübingen (Demo)';

const ANSWERS = MUTTERSCHUTZ_ANSWERS;

let server;
let browser;

before(
  async () => {
    // The first start of the demo imports the catalog and the regions and
    // creates the Zustellpunkt with its RSA-4096 keys.
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

function b64url(s) {
  return Buffer.from(s, 'base64url');
}

/**
 * Decrypts a compact JWE (RSA-OAEP-256 key wrap, A256GCM content) with a
 * private RSA key, as a FIT-Connect subscriber does.
 */
function decryptJWE(jwe, key) {
  const parts = jwe.split('.');
  assert.equal(parts.length, 5, 'compact JWE has five parts');
  const [protectedB64, encKey, iv, ciphertext, tag] = parts;
  const header = JSON.parse(b64url(protectedB64).toString('utf8'));
  assert.equal(header.alg, 'RSA-OAEP-256');
  assert.equal(header.enc, 'A256GCM');
  const cek = crypto.privateDecrypt({ key, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, b64url(encKey));
  const decipher = crypto.createDecipheriv('aes-256-gcm', cek, b64url(iv));
  decipher.setAAD(Buffer.from(protectedB64, 'ascii'));
  decipher.setAuthTag(b64url(tag));
  const plain = Buffer.concat([decipher.update(b64url(ciphertext)), decipher.final()]);
  return { header, plain };
}

const sha512 = (buf) => crypto.createHash('sha512').update(buf).digest('hex');

/** The FIT-Connect API of the server with a bearer token. */
async function api(token, p) {
  const res = await fetch(new URL(`/fitconnect${p}`, server.url), { headers: { Authorization: `Bearer ${token}` } });
  const body = await res.text();
  assert.equal(res.status, 200, `GET ${p}: ${res.status} ${body}`);
  return body;
}

describe('Antrag an die zuständige Stelle', { timeout: TEST_TIMEOUT }, () => {
  it('submits online, delivers end-to-end encrypted, and the authority can decrypt and validate it', async (t) => {
    const a = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = a;

    // --- Fill in the form, page by page. ---
    await a.goto(SERVICE, { title: `${SERVICE_TITLE} – ozgo` });
    await Promise.all([page.waitForEvent('framenavigated'), page.getByRole('button', { name: 'Antrag starten' }).click()]);
    await fillAllPages(a, SERVICE, ANSWERS);
    await a.arrive({ title: `${CHECK_TITLE} – ozgo`, url: new RegExp(`${SERVICE}/antrag/pruefen$`) });
    assert.equal(await page.getByRole('alert').count(), 0, 'no problems left on the check page');

    // --- No place yet: the check page asks for it. ---
    let main = await page.locator('main').innerText();
    assert.ok(main.includes('Wohnort fehlt'), 'the check page asks for the place');
    assert.equal(await page.getByRole('button', { name: 'Antrag verbindlich absenden' }).count(), 0, 'no submit button without a place');
    await chooseOrt(a, { query: 'Tübingen', name: 'Tübingen, Universitätsstadt', checkTitle: `${CHECK_TITLE} – ozgo` });
    main = await page.locator('main').innerText();
    assert.ok(main.includes(AUTHORITY), 'the check page names the authority');

    // --- Submit: the receipt reports the delivery and offers the PDF. ---
    await a.click(page.getByRole('button', { name: 'Antrag verbindlich absenden' }), {
      title: `${RECEIPT_TITLE} – ozgo`,
      url: new RegExp(`${SERVICE}/antrag/eingang$`),
    });
    main = await page.locator('main').innerText();
    const reference = main.match(/Ihre Vorgangsnummer:\s*(\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b/)?.[1];
    assert.ok(reference, 'the receipt names the Vorgangsnummer');
    assert.ok(main.includes(AUTHORITY), 'the receipt names the authority');
    assert.match(main, /verschlüsselt an die zuständige Stelle übermittelt/);
    const caseID = main.match(/Vorgangskennung der Übermittlung:\s*([0-9a-f-]{36})/)?.[1];
    assert.ok(caseID, 'the receipt shows the case id of the delivery');
    const pdfLink = page.getByRole('link', { name: 'Eingangsbestätigung als PDF herunterladen' });
    assert.equal(await pdfLink.count(), 1);
    const pdfRes = await page.request.get(new URL(await pdfLink.getAttribute('href'), server.url).href);
    assert.equal(pdfRes.status(), 200);
    assert.equal(pdfRes.headers()['content-type'], 'application/pdf');
    assert.match(pdfRes.headers()['content-disposition'] ?? '', new RegExp(`Antrag-${reference}\\.pdf`));
    const receiptPDF = await pdfRes.body();
    assert.equal(receiptPDF.subarray(0, 5).toString('latin1'), '%PDF-');
    // Another browser (no cookie) gets no PDF.
    const stranger = await browser.newContext();
    t.after(() => stranger.close());
    assert.equal((await stranger.request.get(new URL(`${SERVICE}/antrag/eingang.pdf`, server.url).href)).status(), 404);

    // --- The authority: a subscriber of the demo Zustellpunkt. ---
    const zpDir = path.join(server.dataDir, 'demo-zustellpunkt');
    const zp = JSON.parse(await fsp.readFile(path.join(zpDir, 'zustellpunkt.json'), 'utf8'));
    const stat = await fsp.stat(path.join(zpDir, zp.encryptionKeyFile));
    assert.equal(stat.mode & 0o077, 0, 'the private key is readable by its owner only');
    const jwk = JSON.parse(await fsp.readFile(path.join(zpDir, zp.encryptionKeyFile), 'utf8'));
    const privateKey = crypto.createPrivateKey({ key: jwk, format: 'jwk' });

    const { stdout: clientJSON } = await run(ozgoBinary(), [
      'fitconnect', 'client', 'create', '--name', 'Fachverfahren Bürgerbüro (Test)',
      '--scope', `subscribe:destination:${zp.destinationId}`, '--tenant', zp.tenantId, '--json', '--data', server.dataDir,
    ]);
    const client = JSON.parse(clientJSON);
    const tokenRes = await fetch(new URL('/fitconnect/token', server.url), {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret }),
    });
    assert.equal(tokenRes.status, 200);
    const token = (await tokenRes.json()).access_token;

    const list = JSON.parse(await api(token, `/v1/submissions?destinationId=${zp.destinationId}`));
    const items = list.submissions ?? [];
    assert.equal(items.length, 1, `one submission waits for pickup: ${JSON.stringify(list)}`);
    assert.equal(items[0].caseId, caseID, 'the case id on the receipt is the delivery\'s');
    const sub = JSON.parse(await api(token, `/v1/submissions/${items[0].submissionId}`));
    assert.equal(sub.serviceType.identifier, 'urn:de:fim:leika:leistung:99006028000000');

    const { header: metaHeader, plain: metaRaw } = decryptJWE(sub.encryptedMetadata, privateKey);
    assert.equal(metaHeader.kid, zp.encryptionKid);
    assert.equal(metaHeader.cty, 'application/json');
    const meta = JSON.parse(metaRaw.toString('utf8'));
    assert.equal(meta.$schema, 'https://schema.fitko.de/fit-connect/metadata/2.1.0/metadata.schema.json');
    const { plain: data } = decryptJWE(sub.encryptedData, privateKey);
    assert.equal(sha512(data), meta.contentStructure.data.hash.content, 'data hash');
    assert.equal(meta.contentStructure.data.hash.type, 'sha512');

    // The schema named is the form's JSON Schema, and the data fits it.
    const { stdout: schemaJSON } = await run(ozgoBinary(), ['fim', 'jsonschema', FORM_XML, '--codelists', path.join(FIM, 'codelists')], { maxBuffer: 64 << 20 });
    const schema = JSON.parse(schemaJSON);
    assert.equal(meta.contentStructure.data.submissionSchema.schemaUri, schema.$id);
    assert.equal(meta.contentStructure.data.submissionSchema.mimeType, 'application/json');
    const dataFile = path.join(server.dataDir, 'decrypted-data.json');
    await fsp.writeFile(dataFile, data);
    const { stdout: valid } = await run(ozgoBinary(), ['fim', 'validate', FORM_XML, dataFile, '--codelists', path.join(FIM, 'codelists')]);
    assert.match(valid, /: valid \(/);

    // Attachments: each decrypts to its hash; one is the form as PDF.
    const atts = meta.contentStructure.attachments;
    assert.deepEqual([...sub.attachments].sort(), atts.map((x) => x.attachmentId).sort(), 'announced attachments = metadata');
    let forms = 0;
    for (const att of atts) {
      const jwe = await api(token, `/v1/submissions/${items[0].submissionId}/attachments/${att.attachmentId}`);
      const { header, plain } = decryptJWE(jwe, privateKey);
      assert.equal(sha512(plain), att.hash.content, `hash of ${att.filename}`);
      assert.equal(header.cty, att.mimeType);
      if (att.purpose === 'form') {
        forms++;
        assert.equal(att.mimeType, 'application/pdf');
        assert.equal(plain.subarray(0, 5).toString('latin1'), '%PDF-');
        assert.ok(plain.equals(receiptPDF), 'the form attachment is the receipt PDF the citizen downloaded');
      } else {
        assert.equal(att.purpose, 'attachment');
      }
    }
    assert.equal(forms, 1, 'exactly one attachment with purpose "form"');
  });
});
