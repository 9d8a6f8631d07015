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
  --source-addrs A  connect the streams from these source addresses, round-robin: a comma list
                    of IPv4 addresses and ranges (127.0.0.2-127.0.0.6; all of 127/8 is
                    loopback). One address has only the ephemeral port range (~28k) of ports
  --client-procs P  held: open the streams from P load-generator child processes (default: the
                    bench process itself). One process holds at most its open-file limit
  --ours-args ARGS  extra pushpin-runner flags for ours, e.g. "--connmgr-workers 6"
  --phase-budget S  longest time for opening the streams of one phase (held: max(180, n/200),
                    others 180)
  --stall S         stop opening streams once none opened for S seconds (30); the result says
                    stopped: "stalled" (e.g. the system reached its open-file limit)
  --max-wait S      longest wait for deliveries after the last publish (30)
  --log-level L     [runner] log_level of both systems (2, as the stock config)
  --set sec.key=v   override a pushpin.conf key (repeatable)
  --json FILE       also append every JSON line to FILE
  --keep            keep the temp dirs (config, logs)
  --cpu-prof DIR    ours only: V8 CPU profile of every service, saved to DIR (summarise with
                    node scripts/bench/profile-top.mjs DIR/*.cpuprofile)
  --timeout S       global time limit, everything is stopped after it (900)
`;

const NUMERIC = new Set(['n', 'msgs', 'rate', 'duration', 'clients', 'subs', 'pub-conns', 'batch', 'concurrency', 'settle', 'max-wait', 'log-level', 'timeout', 'client-procs', 'phase-budget', 'stall']);
const STRING = new Set(['scenario', 'only', 'json', 'cpu-prof', 'source-addrs', 'ours-args']);

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
  if (flags['client-procs'] !== undefined && (!Number.isInteger(flags['client-procs']) || flags['client-procs'] < 1 || flags['client-procs'] > 64)) {
    throw new Error(`--client-procs ${flags['client-procs']}: must be a whole number from 1 to 64`);
  }
  if (flags['client-procs'] !== undefined && !scenarios.includes('held')) throw new Error('--client-procs applies to the held scenario only');
  if (flags['phase-budget'] === 0) throw new Error('--phase-budget must be > 0');
  if (flags.stall === 0) throw new Error('--stall must be > 0');
  if (flags['source-addrs'] !== undefined) flags.sourceAddrs = parseAddrList(flags['source-addrs']);
  if (flags['ours-args'] !== undefined) {
    if (/["'\\]/.test(flags['ours-args'])) throw new Error('--ours-args: give plain space-separated flags (no quotes or backslashes)');
    flags.oursArgs = flags['ours-args'].trim().split(/\s+/).filter(Boolean);
    if (flags.oursArgs.includes('--config')) throw new Error('--ours-args: the bench sets --config itself');
    if (flags.only === 'pushpin') throw new Error('--ours-args has no effect with --only pushpin');
  }
  return { scenarios, flags };
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipToInt(text, what) {
  const m = IPV4.exec(text);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new Error(`${what}: "${text}" is not an IPv4 address`);
  return m.slice(1).reduce((a, o) => a * 256 + Number(o), 0);
}

const intToIp = (x) => [24, 16, 8, 0].map((b) => Math.floor(x / 2 ** b) % 256).join('.');

/**
 * `--source-addrs`: "127.0.0.2-127.0.0.6,127.0.1.1" -> ['127.0.0.2', …, '127.0.0.6', '127.0.1.1'].
 * Throws on a malformed entry, a reversed range, duplicates, or more than 256 addresses.
 */
export function parseAddrList(text) {
  const out = [];
  for (const part of text.split(',').map((x) => x.trim())) {
    if (part === '') throw new Error(`--source-addrs "${text}": empty entry`);
    const dash = part.indexOf('-');
    const lo = ipToInt(dash < 0 ? part : part.slice(0, dash), '--source-addrs');
    const hi = dash < 0 ? lo : ipToInt(part.slice(dash + 1), '--source-addrs');
    if (hi < lo) throw new Error(`--source-addrs: range ${part} ends before it starts`);
    if (out.length + (hi - lo + 1) > 256) throw new Error('--source-addrs: more than 256 addresses');
    for (let x = lo; x <= hi; x++) out.push(intToIp(x));
  }
  const dup = out.find((a, i) => out.indexOf(a) !== i);
  if (dup) throw new Error(`--source-addrs: ${dup} is listed twice`);
  return out;
}

/** Streams a scenario keeps open at once (what needs client ports and file descriptors). */
export function streamsOf(name, o) {
  return name === 'publish-rate' ? o.subs : name === 'passthrough' ? 0 : o.n;
}

/**
 * Checks that the streams of a scenario fit the client side of this machine: ephemeral ports per
 * source address (`portRange` = how many the kernel hands out) and open files per load-generator
 * process (`fdLimit`). Returns an error message, or undefined when it fits.
 */
export function capacityProblem(name, o, { portRange, fdLimit }) {
  const streams = streamsOf(name, o);
  if (streams === 0) return undefined;
  const addrs = o.sourceAddrs?.length || 1;
  const perAddr = Math.ceil(streams / addrs);
  // a few hundred ports stay for everything else using the same address
  if (portRange !== undefined && perAddr > portRange - 500) {
    const need = Math.ceil(streams / (portRange - 500));
    return `${name}: ${streams} streams from ${addrs} source address(es) need ${perAddr} client ports per address, but the ephemeral port range has ${portRange}; `
      + `use --source-addrs with at least ${need} addresses (e.g. 127.0.0.2-127.0.0.${need + 1})`;
  }
  const procs = name === 'held' ? o.clientProcs ?? 0 : 0;
  const perProc = procs > 0 ? Math.ceil(streams / procs) + 100 : streams + 300;
  if (fdLimit !== undefined && perProc > fdLimit) {
    const need = Math.ceil(streams / (fdLimit - 100));
    return `${name}: ${streams} streams need ${perProc} open files in ${procs > 0 ? 'each of the --client-procs processes' : 'the bench process'}, over the open-file limit ${fdLimit}; `
      + (name === 'held' ? `use --client-procs ${need} or more` : `lower --n / --subs`);
  }
  return undefined;
}

/** The options one scenario runs with (flags over its defaults). */
export function scenarioOptions(name, f) {
  const common = {
    concurrency: f.concurrency || 100, maxWait: f['max-wait'] ?? 30,
    // bound for any single load phase (opening connections, publishing)
    phaseBudgetMs: f['phase-budget'] ? f['phase-budget'] * 1000 : 180000,
    stallMs: (f.stall ?? 30) * 1000,
    ...(f.sourceAddrs ? { sourceAddrs: f.sourceAddrs } : {}),
  };
  switch (name) {
    case 'held': {
      const n = f.n || 5000;
      return {
        ...common, n, settle: f.settle ?? 2000,
        // 100k streams at ~1000/s take minutes: 5 ms per stream, at least 180 s
        phaseBudgetMs: f['phase-budget'] ? f['phase-budget'] * 1000 : Math.max(180000, n * 5),
        ...(f['client-procs'] ? { clientProcs: f['client-procs'] } : {}),
      };
    }
    case 'fanout': return { ...common, n: f.n || 1000, msgs: f.msgs || 100, rate: f.rate || 20, pubConns: f['pub-conns'] || 4 };
    case 'channels': return { ...common, n: f.n || 1000, rounds: f.msgs || 10, batch: f.batch || 100, pubConns: f['pub-conns'] || 4 };
    case 'passthrough': return { ...common, clients: f.clients || 50, duration: f.duration || 5 };
    case 'publish-rate': return { ...common, subs: f.subs || 100, duration: f.duration || 5, pubConns: f['pub-conns'] || 8 };
    default: throw new Error(`unknown scenario ${name}`);
  }
}
