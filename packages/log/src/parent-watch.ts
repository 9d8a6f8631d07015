/**
 * Calls `onGone` when the supervising runner disappears, so children never outlive it even
 * when the runner is SIGKILLed. The runner sets PUSHPIN_RUNNER_PID and gives each child a
 * stdin pipe; EOF on it (or a changed parent pid) means the runner is gone. Services started
 * by hand (no PUSHPIN_RUNNER_PID) are not affected.
 */
export function watchParent(onGone: () => void, env: NodeJS.ProcessEnv = process.env): void {
  const runner = env['PUSHPIN_RUNNER_PID'];
  if (!runner) return;
  let fired = false;
  const fire = () => { if (!fired) { fired = true; onGone(); } };
  process.stdin.on('end', fire);
  process.stdin.on('close', fire);
  process.stdin.on('error', fire);
  process.stdin.resume();
  const ppid = process.ppid;
  const t = setInterval(() => { if (process.ppid !== ppid) fire(); }, 2000);
  t.unref();
}
