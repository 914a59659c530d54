// A small SMTP server for browser tests: it accepts every message (EHLO,
// MAIL, RCPT, DATA, QUIT; no TLS) and keeps what it received.
//
//   const smtp = await startSMTP();   // smtp.port, smtp.mails, smtp.waitFor(pred)
//   await smtp.close();

import net from 'node:net';

export async function startSMTP() {
  const mails = [];
  const waiters = [];
  const server = net.createServer((sock) => {
    sock.setEncoding('utf8');
    let buf = '';
    let data = null;
    let cur = { from: '', to: [], data: '' };
    const say = (l) => sock.write(`${l}\r\n`);
    say('220 e2e-smtp ready');
    sock.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (data !== null) {
          if (line === '.') {
            cur.data = data;
            mails.push(cur);
            for (const w of waiters.splice(0)) w();
            data = null;
            cur = { from: '', to: [], data: '' };
            say('250 queued');
          } else {
            data += `${line.startsWith('.') ? line.slice(1) : line}\n`;
          }
          continue;
        }
        const cmd = line.toUpperCase();
        if (cmd.startsWith('EHLO') || cmd.startsWith('HELO')) {
          say('250-e2e-smtp');
          say('250 8BITMIME');
        } else if (cmd.startsWith('MAIL FROM:')) {
          cur.from = line.slice(10).replace(/[<>\s]/g, '');
          say('250 ok');
        } else if (cmd.startsWith('RCPT TO:')) {
          cur.to.push(line.slice(8).replace(/[<>\s]/g, ''));
          say('250 ok');
        } else if (cmd === 'DATA') {
          data = '';
          say('354 go ahead');
        } else if (cmd === 'QUIT') {
          say('221 bye');
          sock.end();
        } else {
          say('250 ok');
        }
      }
    });
    sock.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    mails,
    /** Resolves with the first mail matching pred, waiting up to timeoutMs. */
    async waitFor(pred, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = mails.find(pred);
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`no matching e-mail within ${timeoutMs} ms (${mails.length} received)`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 500);
        });
      }
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
