// Keep-alive timer of GRIP WebSocket clients: content from the setup (our handler) or asked from
// the handler with need-keep-alive (Pushpin 1.36's handler), and off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientKeepAlive } from '../src/wsoh/client-keep-alive.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function make() {
  const sent: Array<[string, string]> = [];
  let asked = 0;
  const ka = new ClientKeepAlive((type, content) => sent.push([type, content.toString()]), (fn) => fn, () => { asked++; });
  return { ka, sent, asked: () => asked };
}

test('a setup with the message sends it itself (interval mode, 1 s less 0-999 ms jitter)', async () => {
  const { ka, sent, asked } = make();
  ka.setup({ message: Buffer.from('KA'), contentType: 'text', timeout: 1, keepAliveMode: 'interval' });
  await sleep(2100);
  ka.stop();
  assert.ok(sent.length >= 2, `sent ${sent.length}`);
  assert.deepEqual(sent[0], ['text', 'KA']);
  assert.equal(asked(), 0);
});

test('a setup with only timeout and mode (Pushpin 1.36) asks the handler instead', async () => {
  const { ka, sent, asked } = make();
  ka.setup({ timeout: 1, keepAliveMode: 'interval' });
  await sleep(2100);
  ka.stop();
  assert.ok(asked() >= 2, `asked ${asked()}`);
  assert.equal(sent.length, 0);
});

test('a setup with neither turns keep-alives off', async () => {
  const { ka, sent, asked } = make();
  ka.setup({ timeout: 1, keepAliveMode: 'interval' });
  ka.setup({});
  await sleep(1200);
  assert.equal(asked() + sent.length, 0);
});
