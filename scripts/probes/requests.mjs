// Differential probe (scripts/diff-probes.mjs): what the origin receives, error texts.
import path from 'node:path';
const SKIP_H = new Set(['date', 'keep-alive', 'server', 'grip-sig', 'sec-websocket-key']);
const hdrs = (h) => Object.fromEntries(Object.entries(h).filter(([k]) => !SKIP_H.has(k)).sort());
const norm = (s) => s.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>').replace(/-[0-9a-f]{8}\b/g, '-<uid>').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>').replace(/"(connection-id)":"[^"]*"/g, '"$1":"<cid>"');
export default [
  {
    id: 'probe.requests', area: 'probe', description: 'what the origin receives; error texts; publish and command replies', timeout: 120000,
    async run(t) {
      const out = {};
      const rec = (k, v) => { out[k] = JSON.parse(norm(JSON.stringify(v))); };
      const probe = async (name, fn) => { try { await fn(); } catch (e) { rec(name + ':error', norm(String(e.message)).slice(0, 160)); } };
      await probe('origin-sees-get', async () => {
        const p = t.uid('/os'); let seen;
        t.route(p, (req, res) => { seen = { m: req.method, u: req.url, h: hdrs(req.headers), v: req.httpVersion }; res.end('ok'); });
        await t.request({ path: p + '?q=1&r=%20', headers: { 'X-Custom': 'a', Cookie: 'c=1', 'Accept-Encoding': 'gzip', Connection: 'keep-alive, X-Hop', 'X-Hop': 'h', TE: 'trailers', Upgrade: 'h2c', 'Grip-Sig': 'fake', 'Grip-Foo': 'x' } });
        rec('origin-sees-get', seen);
      });
      await probe('origin-sees-post', async () => {
        const p = t.uid('/op'); let seen;
        t.route(p, (req, res, body) => { seen = { m: req.method, h: hdrs(req.headers), b: body.toString() }; res.end('ok'); });
        await t.request({ path: p, method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '7' }, body: 'a=1&b=2' });
        rec('origin-sees-post', seen);
      });
      await probe('response-hop-headers', async () => {
        const p = t.uid('/rh');
        t.route(p, (req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain', 'Keep-Alive': 'timeout=5', 'X-Multi': ['a', 'b'], 'Set-Cookie': ['s=1', 't=2'], 'Proxy-Authenticate': 'Basic', 'Trailer': 'X-T', 'Grip-Foo': 'y' }); res.end('b'); });
        const r = await t.request({ path: p }); rec('response-hop-headers', { s: r.status, h: hdrs(r.headers), raw: r.rawHeaders.filter((x, i) => i % 2 === 0).map((x) => x.toLowerCase()).filter((x) => !SKIP_H.has(x)) });
      });
      await probe('backend-down', async () => { const r = await t.request({ path: '/dead/x' }); rec('backend-down', { s: r.status, h: hdrs(r.headers), b: r.text }); });
      await probe('woh-open-request', async () => {
        const { wsohHandler } = t.lib; const p = t.uid('/wsoh/req'); const seen = [];
        t.route(p, (req, res, buf) => {
          const body = buf.toString('latin1');
          seen.push({ m: req.method, u: req.url, h: hdrs(req.headers), b: body });
          res.writeHead(200, { 'Content-Type': 'application/websocket-events', 'Set-Meta-User': 'alice', 'Keep-Alive-Interval': '30' });
          res.end(body.startsWith('OPEN') ? 'OPEN\r\n' : (body.includes('TEXT') ? 'TEXT 5\r\nhello\r\n' : ''));
        });
        const c = await t.ws(p + '?x=1', { headers: { 'X-Client': 'cl', Cookie: 'k=v' }}).catch((e) => { throw e; });
        c.send('abc'); await c.next(3000); await t.sleep(300);
        rec('woh-open-request', seen.slice(0, 2));
        c.close();
      });
      await probe('get-zmq-uris', async () => { const a = await t.command('get-zmq-uris'); rec('get-zmq-uris', Object.keys(a.value || {}).sort()); });
      await probe('recover', async () => { const a = await t.command('recover'); rec('recover', a.success + ' ' + JSON.stringify(a.value)); });
      await probe('publish-get', async () => { const r = await t.publishRaw(undefined, {}, '/publish/', 'GET'); rec('publish-get', { s: r.status, h: hdrs(r.headers), b: r.text }); });
      await probe('publish-ok', async () => { const r = await t.publishRaw('{"items":[{"channel":"zz","formats":{"http-stream":{"content":"x"}}}]}'); rec('publish-ok', { s: r.status, h: hdrs(r.headers), b: r.text }); });
      await probe('publish-404', async () => { const r = await t.publishRaw('{}', { 'Content-Type': 'application/json' }, '/nope/'); rec('publish-404', { s: r.status, b: r.text }); });
      (await import('node:fs')).writeFileSync(path.join(process.env.PROBE_DIR, 'probe.requests.json'), JSON.stringify(out, null, 1));
    },
  },
];
