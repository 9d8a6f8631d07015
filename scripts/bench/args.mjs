// Command-line flags of `pnpm bench` and the per-scenario defaults.

export const SCENARIO_NAMES = ['held', 'fanout', 'channels', 'passthrough', 'publish-rate'];

export const USAGE = `usage: node scripts/bench.mjs [options]     (pnpm bench -- [options])

  --scenario S      all (default) or a comma list of: ${SCENARIO_NAMES.join(', ')}
  --only SYS        ours | pushpin (default: both; pushpin only if /usr/bin/pushpin exists)
  --n N             connections for held (5000), fanout subscribers (1000), channels (1000)
  --msgs M          fanout: messages per phase (100); channels: rounds, one message per channel each (10)
  --rate R          fanout fixed-rate phase, messages/s (20)
  --duration S      seconds of load for passthrough and publish-rate (5)
  --clients K       passthrough: concurrent keep-alive clients (50)
  --subs S          publish-rate: subscribers on the channel (100)
  --pub-conns P     closed-loop publisher connections (fanout/channels 4, publish-rate 8)
  --batch B         channels: items per publish request (100)
  --concurrency C   streams connecting at once (100)
  --settle MS       held: wait before reading RSS (2000)
  --max-wait S      longest wait for deliveries after the last publish (30)
  --log-level L     [runner] log_level of both systems (2, as the stock config)
  --set sec.key=v   override a pushpin.conf key (repeatable)
  --json FILE       also append every JSON line to FILE
  --keep            keep the temp dirs (config, logs)
  --cpu-prof DIR    ours only: V8 CPU profile of every service, saved to DIR (summarise with
                    node scripts/bench/profile-top.mjs DIR/*.cpuprofile)
  --timeout S       global time limit, everything is stopped after it (900)
`;

const NUMERIC = new Set(['n', 'msgs', 'rate', 'duration', 'clients', 'subs', 'pub-conns', 'batch', 'concurrency', 'settle', 'max-wait', 'log-level', 'timeout']);
const STRING = new Set(['scenario', 'only', 'json', 'cpu-prof']);

/** Parses argv into { scenarios, systems?, raw flags }; throws with a message on bad input. */
export function parseArgs(argv) {
  const flags = { set: [] };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '--') continue;
    if (a === '-h' || a === '--help') return { help: true };
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    a = a.slice(2);
    let value;
    const eq = a.indexOf('=');
    if (eq >= 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (a === 'keep') {
      flags.keep = true;
      continue;
    }
    if (!NUMERIC.has(a) && !STRING.has(a) && a !== 'set') throw new Error(`unknown option --${a}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Error(`--${a} needs a value`);
    }
    if (a === 'set') flags.set.push(value);
    else if (NUMERIC.has(a)) {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${a} ${value}: not a non-negative number`);
      flags[a] = n;
    } else flags[a] = value;
  }
  const scenarios = !flags.scenario || flags.scenario === 'all' ? SCENARIO_NAMES : flags.scenario.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of scenarios) if (!SCENARIO_NAMES.includes(s)) throw new Error(`unknown scenario ${s} (${SCENARIO_NAMES.join(', ')})`);
  if (flags.only !== undefined && !['ours', 'pushpin'].includes(flags.only)) throw new Error('--only must be ours or pushpin');
  if (flags.rate === 0) throw new Error('--rate must be > 0 (the max-rate phase always runs)');
  return { scenarios, flags };
}

/** The options one scenario runs with (flags over its defaults). */
export function scenarioOptions(name, f) {
  const common = {
    concurrency: f.concurrency || 100, maxWait: f['max-wait'] ?? 30,
    // bound for any single load phase (opening connections, publishing)
    phaseBudgetMs: 180000,
  };
  switch (name) {
    case 'held': return { ...common, n: f.n || 5000, settle: f.settle ?? 2000 };
    case 'fanout': return { ...common, n: f.n || 1000, msgs: f.msgs || 100, rate: f.rate || 20, pubConns: f['pub-conns'] || 4 };
    case 'channels': return { ...common, n: f.n || 1000, rounds: f.msgs || 10, batch: f.batch || 100, pubConns: f['pub-conns'] || 4 };
    case 'passthrough': return { ...common, clients: f.clients || 50, duration: f.duration || 5 };
    case 'publish-rate': return { ...common, subs: f.subs || 100, duration: f.duration || 5, pubConns: f['pub-conns'] || 8 };
    default: throw new Error(`unknown scenario ${name}`);
  }
}
