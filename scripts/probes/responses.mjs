// Differential probe (scripts/diff-probes.mjs): what clients get back.
import path from 'node:path';
const SKIP_H = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'server', 'content-length']);
const hdrs = (h) => Object.fromEntries(Object.entries(h).filter(([k]) => !SKIP_H.has(k) && !k.startsWith('x-ts-')).sort());
const norm = (s) => s.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>').replace(/-[0-9a-f]{8}\b/g, '-<uid>');
export default [
  {
    id: 'probe.responses', area: 'probe', description: 'responses to publishes, holds, errors and commands', timeout: 120000,
    async run(t) {
      const out = {};
      const rec = (k, v) => { out[k] = JSON.parse(norm(JSON.stringify(v))); };
      const probe = async (name, fn) => { try { await fn(); } catch (e) { rec(name + ':error', String(e.message).slice(0, 120)); } };
      // 1. http-response publish with code, reason, headers
      await probe('lp-code-headers', async () => {
        const ch = t.uid('c'); const p = t.uid('/lp');
        t.route(p, (req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain', 'Grip-Hold': 'response', 'Grip-Channel': ch, 'X-Orig': 'o' }); res.end('timeout\n'); });
        const q = t.request({ path: p, timeout: 8000 });
        await t.sleep(600);
        await t.publish({ channel: ch, formats: { 'http-response': { code: 201, reason: 'Made', headers: { 'X-Pub': 'p', 'Content-Type': 'application/json' }, body: '{"a":1}\n' } } });
        const r = await q; rec('lp-code-headers', { s: r.status, m: r.statusMessage, h: hdrs(r.headers), b: r.text });
      });
      // 2. Grip-Status on timeout
      await probe('grip-status-timeout', async () => {
        const ch = t.uid('c'); const p = t.uid('/gs');
        t.route(p, (req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain', 'Grip-Hold': 'response', 'Grip-Channel': ch, 'Grip-Timeout': '1', 'Grip-Status': '404 Nope' }); res.end('gone\n'); });
        const r = await t.request({ path: p, timeout: 8000 }); rec('grip-status-timeout', { s: r.status, m: r.statusMessage, h: hdrs(r.headers), b: r.text });
      });
      // 3. stream close action
      await probe('stream-close', async () => {
        const ch = t.uid('c'); const p = t.uid('/sc');
        t.route(p, (req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain', 'Grip-Hold': 'stream', 'Grip-Channel': ch }); res.end('open\n'); });
        const s = await t.stream({ path: p }); await s.waitFor('open\n', 3000); await t.settle(600);
        await t.publish({ channel: ch, formats: { 'http-stream': { content: 'x\n' } } });
        await t.publish({ channel: ch, formats: { 'http-stream': { action: 'close' } } });
        const txt = await s.waitEnd(5000); rec('stream-close', { s: s.status, h: hdrs(s.headers), b: txt });
      });
      // 4. body-patch
      await probe('body-patch', async () => {
        const ch = t.uid('c'); const p = t.uid('/bp');
        t.route(p, (req, res) => { res.writeHead(200, { 'Content-Type': 'application/json', 'Grip-Hold': 'response', 'Grip-Channel': ch }); res.end('{"a":1,"b":[1]}'); });
        const q = t.request({ path: p, timeout: 8000 }); await t.sleep(600);
        await t.publish({ channel: ch, formats: { 'http-response': { 'body-patch': [{ op: 'replace', path: '/a', value: 2 }, { op: 'add', path: '/b/-', value: 3 }] } } });
        const r = await q; rec('body-patch', { s: r.status, h: hdrs(r.headers), b: r.text });
      });
      // 5. SSE with id and event
      await probe('sse', async () => {
        const ch = t.uid('c'); const p = t.uid('/sse');
        t.route(p, (req, res) => { res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Grip-Hold': 'stream', 'Grip-Channel': ch }); res.end(''); });
        const s = await t.stream({ path: p }); await t.settle(600);
        await t.publish({ channel: ch, id: 'i1', formats: { 'http-stream': { content: 'event: e\ndata: d\n\n' } } });
        await s.waitFor('data: d', 3000); await t.sleep(200); rec('sse', { s: s.status, h: hdrs(s.headers), b: s.text }); s.close();
      });
      // 6. jsonp auto (Grip-Hold response with callback)
      await probe('hint', async () => {
        const ch = t.uid('c'); const p = t.uid('/hint'); let n = 0;
        t.route(p, (req, res) => { n++; if (n === 1) { res.writeHead(200, { 'Content-Type': 'text/plain', 'Grip-Hold': 'response', 'Grip-Channel': ch }); res.end('first\n'); } else { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end(`second ${n}\n`); } });
        const q = t.request({ path: p, timeout: 8000 }); await t.sleep(1800);
        await t.publish({ channel: ch, formats: { 'http-response': { action: 'hint' } } });
        const r = await q; rec('hint', { s: r.status, b: r.text.replace(/\d+/, 'N'), hits: n >= 2 });
      });
      // 7. stream keep-alive header formats (Grip-Keep-Alive with format=cstring)
      await probe('keepalive-cstring', async () => {
        const ch = t.uid('c'); const p = t.uid('/ka');
        t.route(p, (req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain', 'Grip-Hold': 'stream', 'Grip-Channel': ch, 'Grip-Keep-Alive': 'ka\\n; format=cstring; timeout=1' }); res.end('open\n'); });
        const s = await t.stream({ path: p }); await s.waitFor('ka\n', 4000); rec('keepalive-cstring', { b: s.text.slice(0, 8) }); s.close();
      });
      // 8. x-forwarded-for append and route header option
      await probe('xff', async () => {
        const p = t.uid('/xff'); let seen;
        t.route(p, (req, res) => { seen = { xff: req.headers['x-forwarded-for'], xfp: req.headers['x-forwarded-proto'], via: req.headers['via'] }; res.end('ok'); });
        await t.request({ path: p, headers: { 'X-Forwarded-For': '1.2.3.4' } }); rec('xff', seen);
      });
      // 9. publish errors: wrong content-type, bad item
      await probe('pub-errors', async () => {
        const a = await t.publishRaw('{"items":[{"channel":"x","formats":{"http-stream":{"content":1}}}]}');
        const b = await t.publishRaw('not json');
        const c = await t.publishRaw('{"items":[{"channel":"x","formats":{"bogus":{}}}]}');
        const d = await t.publishRaw('{"items":[{"channel":"x","formats":{}}]}');
        rec('pub-errors', [a, b, c, d].map((r) => ({ s: r.status, b: r.text.trim().slice(0, 100) })));
      });
      // 10. command methods
      await probe('command', async () => {
        const a = await t.command('get-zmq-uris');
        const b = await t.command('nope');
        const c = await t.command('conncheck', {});
        const d = await t.command('refresh', { cid: Buffer.from('nobody') });
        // key order and the random ids are not part of the comparison
        const plain = (r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'id').sort());
        rec('command', { a: Object.keys(a).sort(), b: plain(b), c: plain(c), d: plain(d) });
      });
      // 11. ws-message close with code via publish on WOH
      await probe('woh-close', async () => {
        const { wsohHandler } = t.lib; const ch = t.uid('c'); const p = t.uid('/wsoh/cl');
        t.route(p, wsohHandler(async (ctx) => { if (ctx.isOpening()) { ctx.accept(); ctx.subscribe(ch); } while (ctx.canRecv()) { if (ctx.recvRaw() === null) { ctx.close(); break; } } }), { raw: true });
        const c = await t.ws(p); await t.settle(500);
        await t.publish({ channel: ch, formats: { 'ws-message': { action: 'close', code: 4001, reason: 'bye' } } });
        const cl = await c.waitClose(3000); rec('woh-close', { code: cl.code, reason: String(cl.reason) });
      });
      // 12. HEAD and OPTIONS passthrough; 404 route
      await probe('methods', async () => {
        const p = t.uid('/m');
        t.route(p, (req, res) => { res.writeHead(200, { 'X-M': req.method, 'Content-Type': 'text/plain' }); res.end(req.method === 'HEAD' ? undefined : 'body'); });
        const h = await t.request({ path: p, method: 'HEAD' });
        const o = await t.request({ path: p, method: 'OPTIONS' });
        rec('methods', { h: { s: h.status, x: h.headers['x-m'], b: h.text }, o: { s: o.status, x: o.headers['x-m'] } });
      });
      // 13. Grip-Link gone? no. Instead: stream with content-bin and binary chunk via zmq J
      await probe('zmq-json', async () => {
        const ch = t.uid('c'); const p = t.uid('/zj');
        t.route(p, (req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain', 'Grip-Hold': 'stream', 'Grip-Channel': ch }); res.end('o\n'); });
        const s = await t.stream({ path: p }); await s.waitFor('o\n', 3000); await t.settle(600);
        await t.zmqPush(['J' + JSON.stringify({ channel: ch, formats: { 'http-stream': { content: 'viaJ\n' } } })]);
        await s.waitFor('viaJ\n', 3000); rec('zmq-json', s.text); s.close();
      });
      (await import('node:fs')).writeFileSync(path.join(process.env.PROBE_DIR, 'probe.responses.json'), JSON.stringify(out, null, 1));
    },
  },
];
