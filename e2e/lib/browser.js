// Browser helpers: launch Debian's Chromium through playwright-core, run axe
// accessibility checks, and watch a page for console errors and failed
// requests. No browser is ever downloaded: CHROMIUM_PATH (default
// /usr/bin/chromium) must point at an installed Chromium.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]);

/** WCAG 2.0 and 2.1, levels A and AA. */
export const A11Y_TAGS = Object.freeze(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);

export function chromiumPath() {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

/** Launches headless Chromium. Close it with `await browser.close()`. */
export async function launchBrowser(options = {}) {
  const executablePath = chromiumPath();
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}. Install Debian's package ` +
        '(apt-get install chromium) or set CHROMIUM_PATH. Browsers are never downloaded.',
    );
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    ...options,
  });
}

/** Formats axe violations as a readable multi-line report. */
export function formatViolations(violations, url = '') {
  const lines = [`${violations.length} accessibility violation(s)${url ? ` on ${url}` : ''}:`];
  violations.forEach((v, i) => {
    lines.push('');
    lines.push(`${i + 1}. [${v.impact ?? 'unknown impact'}] ${v.id}: ${v.help}`);
    if (v.helpUrl) lines.push(`   ${v.helpUrl}`);
    for (const node of v.nodes) {
      const target = node.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(', ');
      lines.push(`   - target: ${target}`);
      lines.push(`     html:   ${truncate(node.html.replace(/\s+/g, ' '), 300)}`);
      if (node.failureSummary) {
        const summary = node.failureSummary.split('\n').map((s) => s.trim()).filter(Boolean);
        for (const s of summary) lines.push(`     ${truncate(s, 300)}`);
      }
    }
  });
  return lines.join('\n');
}

function truncate(s, max) {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA) on the page and fails with a
 * readable report if there is any violation. Returns the axe results.
 *
 * @param {import('playwright-core').Page} page
 * @param {{exclude?: string[], disableRules?: string[]}} [options]
 */
export async function checkA11y(page, options = {}) {
  let builder = new AxeBuilder({ page }).withTags([...A11Y_TAGS]);
  for (const selector of options.exclude ?? []) builder = builder.exclude(selector);
  if (options.disableRules?.length) builder = builder.disableRules(options.disableRules);
  const results = await builder.analyze();
  if (results.violations.length > 0) {
    assert.fail(formatViolations(results.violations, page.url()));
  }
  return results;
}

function isAutomaticFaviconRequest(url, documentUrls) {
  try {
    const u = new URL(url);
    return u.pathname === '/favicon.ico' && [...documentUrls].some((d) => new URL(d).origin === u.origin);
  } catch {
    return false;
  }
}

/**
 * Records everything that went wrong while a page loaded: console errors,
 * uncaught page errors, failed requests and sub-resource responses >= 400.
 * The main document's own status is not counted (a 404 page is expected to
 * answer 404); Chromium's console message about that status is ignored too.
 *
 *   const watch = watchPage(page);
 *   await page.goto(url);
 *   watch.assertClean();
 */
export function watchPage(page) {
  const problems = [];
  const documentUrls = new Set();

  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
      documentUrls.add(request.url());
    }
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const { url, lineNumber } = msg.location();
    if (url && /^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) {
      // The document's own status is checked by the test itself.
      if (documentUrls.has(url)) return;
      // Chromium asks for /favicon.ico by itself, at a time that varies from
      // run to run. Icons at other paths are still checked.
      if (isAutomaticFaviconRequest(url, documentUrls)) return;
    }
    problems.push(`console error: ${msg.text()}${url ? ` (${url}${lineNumber ? `:${lineNumber}` : ''})` : ''}`);
  });
  page.on('pageerror', (err) => {
    problems.push(`uncaught page error: ${err.message}`);
  });
  page.on('requestfailed', (request) => {
    problems.push(`request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText ?? 'unknown'})`);
  });
  page.on('response', (response) => {
    const request = response.request();
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) return;
    if (response.status() >= 400) {
      problems.push(`HTTP ${response.status()} for sub-resource ${request.method()} ${response.url()}`);
    }
  });

  return {
    problems,
    assertClean(message = 'the page had loading problems') {
      if (problems.length > 0) assert.fail(`${message}:\n  ${problems.join('\n  ')}`);
    },
  };
}
