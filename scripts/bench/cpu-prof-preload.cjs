// Preloaded into every node process of ours by `bench --cpu-prof` (NODE_OPTIONS=--require ...,
// because Node refuses --cpu-prof in NODE_OPTIONS): profiles the whole life of the process
// with the inspector and writes <BENCH_CPU_PROF_DIR>/CPU.<pid>.cpuprofile when it exits
// (process.exit and normal ends; not SIGKILL).
'use strict';
const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const fs = require('node:fs');
  const path = require('node:path');
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.on('exit', () => {
    // the in-thread session answers synchronously, so this completes inside the exit handler
    session.post('Profiler.stop', (err, res) => {
      if (err || !res) return;
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(res.profile));
      } catch {
        // nothing useful to do at exit
      }
    });
  });
}
