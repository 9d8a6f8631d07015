// Differential probe (scripts/diff-probes.mjs): the stats packets a few sessions produce.
import { createRequire } from 'node:module';
import path from 'node:path';
// run from the conformance copy (its node_modules has zeromq)
const zmq = createRequire(path.join(process.cwd(), 'package.json'))('zeromq');
export default [
  {
    id: 'probe.stats', area: 'probe', description: 'stats packets (conn, sub, message) for a WebSocket-over-HTTP session, a plain WebSocket and a plain request',
    timeout: 30000,
    async run(t) {
      const { wsohHandler } = t.lib;
      const sub = new zmq.Subscriber();
      sub.connect(`ipc://${t.sut.dir}/run/pushpin-stats`);
      sub.subscribe();
      const got = [];
      (async () => {
        for await (const [m] of sub) {
          const sp = m.indexOf(0x20);
          const type = m.subarray(0, sp).toString();
          if (type === 'activity' || type === 'counts' || type === 'report') continue; // timing-dependent
          const f = t.tnet.toPlain(t.tnet.decode(m.subarray(sp + 2)));
          got.push({ type, keys: Object.keys(f).sort(), kind: f.type ?? f.mode ?? null, unavailable: f.unavailable === true, idForm: String(f.id ?? '').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, '<uuid>').replace(/:.*/, ':<id>') });
        }
      })().catch(() => {});
      // let what earlier scenarios left behind (lingering subscriptions, closes) go by
      await t.sleep(2000);
      got.length = 0;
      const p = t.uid('/wsoh/st');
      t.route(p, wsohHandler(async (ctx) => { if (ctx.isOpening()) { ctx.accept(); ctx.subscribe('wsst'); } while (ctx.canRecv()) { const raw = ctx.recvRaw(); if (raw === null) { ctx.close(); break; } ctx.send('e:' + raw); } }), { raw: true });
      const c = await t.ws(p);
      c.send('hi'); await c.next(3000);
      await t.sleep(500);
      got.push({ type: '---- closing woh' });
      c.close();
      await t.sleep(1000);
      got.push({ type: '---- plain ws' });
      const q = t.uid('/ws/st');
      t.wsRoute(q, (ws) => ws.on('message', (d) => ws.send(d)));
      const w = await t.ws(q);
      w.send('x'); await w.next(3000);
      w.close();
      await t.sleep(1500);
      got.push({ type: '---- plain http' });
      await t.get('/plain-x');
      await t.sleep(1200);
      sub.close();
      const fs = await import('node:fs');
      // packets of one step arrive over two sockets (stats and ws-control): compare them unordered
      const steps = [[]];
      for (const g of got) { if (g.type.startsWith('----')) steps.push([g]); else steps[steps.length - 1].push(g); }
      const sorted = steps.flatMap((st) => [...st.filter((g) => g.type.startsWith('----')), ...st.filter((g) => !g.type.startsWith('----')).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))]);
      fs.writeFileSync(path.join(process.env.PROBE_DIR, 'probe.stats.json'), JSON.stringify(sorted, null, 1));
    },
  },
];
