// Starts a real ozgo server for a browser test.
//
//   const server = await startServer();            // ozgo serve
//   const server = await startServer({ demo: true }); // ozgo demo
//   ... server.url ...
//   await server.stop();
//
// Each server gets a fresh temporary data directory and a free loopback port.
// The binary comes from $OZGO_BIN (default: ../bin/ozgo relative to e2e/).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const HEALTH_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const MAX_OUTPUT_CHARS = 1 << 20; // keep at most the last 1 Mi characters per server

/** Servers started by this process that have not been cleaned up yet. */
const live = new Set();

/** Absolute path of the ozgo binary under test. */
export function ozgoBinary() {
  const fromEnv = process.env.OZGO_BIN;
  if (fromEnv) return path.resolve(process.cwd(), fromEnv);
  return path.resolve(E2E_DIR, '../bin/ozgo');
}

/** Finds a free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = srv.address();
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts ozgo and waits until GET /healthz answers 200.
 *
 * @param {object} [options]
 * @param {boolean} [options.demo=false]  run `ozgo demo` instead of `ozgo serve`
 * @param {string[]} [options.args=[]]    extra command-line arguments
 * @param {Record<string,string>} [options.env]  extra environment variables
 * @param {number} [options.timeoutMs=30000]    how long to wait for /healthz
 * @returns {Promise<{url: string, port: number, dataDir: string,
 *   output: () => string, printOutput: (why?: string) => void,
 *   stop: () => Promise<void>}>}
 */
export async function startServer(options = {}) {
  const { demo = false, args = [], env = {}, timeoutMs = HEALTH_TIMEOUT_MS } = options;
  const bin = ozgoBinary();
  try {
    await fsp.access(bin, fs.constants.X_OK);
  } catch {
    throw new Error(
      `ozgo binary not found or not executable: ${bin}\n` +
        'Build it first (from the repository root: go build -o bin/ozgo ./cmd/ozgo) ' +
        'or point OZGO_BIN at it.',
    );
  }

  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'ozgo-e2e-'));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const url = `http://${addr}`;
  const argv = [demo ? 'demo' : 'serve', '--addr', addr, '--data', dataDir, ...args];
  // The demo runs its test identity provider on a port of its own.
  let devidpURL = null;
  if (demo && !args.includes('--devidp-addr')) {
    const idpPort = await freePort();
    argv.push('--devidp-addr', `127.0.0.1:${idpPort}`);
    devidpURL = `http://127.0.0.1:${idpPort}`;
  }
  // ... and its payment simulator (ozgo paysim) too.
  let paysimURL = null;
  if (demo && !args.includes('--paysim-addr')) {
    const paysimPort = await freePort();
    argv.push('--paysim-addr', `127.0.0.1:${paysimPort}`);
    paysimURL = `http://127.0.0.1:${paysimPort}`;
  } else if (demo) {
    paysimURL = `http://${args[args.indexOf('--paysim-addr') + 1]}`;
  }
  const command = [bin, ...argv].join(' ');

  const child = spawn(bin, argv, {
    cwd: dataDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let output = '';
  let printedUpTo = 0;
  const capture = (chunk) => {
    output += chunk.toString('utf8');
    if (output.length > MAX_OUTPUT_CHARS) {
      const cut = output.length - MAX_OUTPUT_CHARS;
      output = output.slice(cut);
      printedUpTo = Math.max(0, printedUpTo - cut);
    }
  };
  child.stdout.on('data', capture);
  child.stderr.on('data', capture);

  let exitInfo = null; // {code, signal} once the process has exited
  let spawnError = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      spawnError = err;
      if (child.exitCode === null && child.pid === undefined) {
        exitInfo = { code: null, signal: null };
        resolve(exitInfo);
      }
    });
  });

  let stopping = false;
  let cleaned = false;

  const describeExit = () =>
    spawnError
      ? `could not be started: ${spawnError.message}`
      : `exited with ${exitInfo.signal ? `signal ${exitInfo.signal}` : `code ${exitInfo.code}`}`;

  const server = {
    url,
    devidpURL,
    paysimURL,
    port,
    dataDir,
    command,
    output: () => output,
    /** Prints the output not printed before (if any) to stderr. */
    printOutput(why = '') {
      const fresh = output.slice(printedUpTo).trimEnd();
      printedUpTo = output.length;
      if (!fresh) return;
      const title = `ozgo output${why ? ` (${why})` : ''}: ${command}`;
      process.stderr.write(`----- ${title} -----\n${fresh}\n----- end of ozgo output -----\n`);
    },
    hasUnprintedOutput: () => printedUpTo < output.length,
    /** true while the process runs. */
    running: () => exitInfo === null,
    /**
     * Sends SIGTERM, waits for the exit (SIGKILL after 10 s) and removes the
     * data directory. Throws if the server had died before stop() was called.
     */
    async stop() {
      if (cleaned) return;
      const diedEarly = exitInfo !== null && !stopping;
      stopping = true;
      if (exitInfo === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (exitInfo === null) {
            process.stderr.write(`ozgo did not exit within ${STOP_TIMEOUT_MS / 1000}s after SIGTERM; killing it\n`);
            child.kill('SIGKILL');
          }
        }, STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      cleaned = true;
      live.delete(server);
      await fsp.rm(dataDir, { recursive: true, force: true });
      if (diedEarly) {
        server.printOutput('server died during the test');
        throw new Error(`ozgo ${describeExit()} before stop() was called, while tests were running (${command})`);
      }
    },
    /** Synchronous last-resort cleanup, used by the process 'exit' handler. */
    killSync() {
      if (exitInfo === null && child.pid !== undefined) {
        try {
          child.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
      if (!cleaned) {
        cleaned = true;
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  live.add(server);
  installExitHandlers();

  // Wait for /healthz.
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (exitInfo !== null) {
      server.killSync();
      live.delete(server);
      throw new Error(
        `ozgo ${describeExit()} during start-up (${command})\n--- output ---\n${output.trimEnd() || '(none)'}`,
      );
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000), redirect: 'manual' });
      await res.arrayBuffer().catch(() => {});
      if (res.status === 200) break;
      lastProblem = `GET /healthz answered ${res.status}`;
    } catch (err) {
      lastProblem = `GET /healthz failed: ${err.cause?.code ?? err.cause?.message ?? err.message}`;
    }
    if (Date.now() >= deadline) {
      server.killSync();
      live.delete(server);
      throw new Error(
        `ozgo did not become healthy within ${timeoutMs / 1000}s at ${url}/healthz ` +
          `(${lastProblem}) (${command})\n--- output ---\n${output.trimEnd() || '(none)'}`,
      );
    }
    await sleep(100);
  }
  return server;
}

/**
 * For afterEach hooks: prints the server's output when the test failed.
 *
 *   afterEach((t) => printOutputOnFailure(t, server));
 */
export function printOutputOnFailure(t, server) {
  if (server && t && t.passed === false) server.printOutput(`test "${t.name}" failed`);
}

let handlersInstalled = false;

function killAllSync() {
  for (const server of live) server.killSync();
  live.clear();
}

function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Never leave a server behind, however the test process ends.
  process.on('exit', (code) => {
    if (code !== 0) {
      for (const server of live) {
        if (server.hasUnprintedOutput()) server.printOutput(`test process exiting with code ${code}`);
      }
    }
    killAllSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      killAllSync();
      // Exit as the default handler would; other 'exit' handlers (such as
      // Playwright's, which kills the browser) still run.
      process.exit(128 + (os.constants.signals[signal] ?? 0));
    });
  }
}
