// The usual frame of a browser test file: one `ozgo demo` (or serve) and
// one Chromium for the whole file, stopped afterwards, with the server's
// output printed when a test fails.
//
//   const env = demoSuite();
//   ... env.server.url ... env.browser.newContext() ...

import { after, afterEach, before } from 'node:test';

import { launchBrowser } from './browser.js';
import { printOutputOnFailure, startServer } from './server.js';

/**
 * @param {object} [serverOptions]  passed to startServer ({ demo: true } by default)
 * @returns {{server: any, browser: import('playwright-core').Browser}}
 */
export function demoSuite(serverOptions = {}) {
  const env = { server: null, browser: null };
  before(
    async () => {
      // The first start of the demo imports ~16,000 regions and the catalog.
      env.server = await startServer({ demo: true, timeoutMs: 150_000, ...serverOptions });
      env.browser = await launchBrowser();
    },
    { timeout: 200_000 },
  );
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  afterEach((t) => printOutputOnFailure(t, env.server));
  return env;
}
