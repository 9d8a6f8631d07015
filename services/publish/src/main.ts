// pushpin-publish: argv → item → HTTP API or ZeroMQ PUSH. Output and exit status as
// Pushpin's tool: `Published` / `Error: <message>` (exit 1); usage errors exit 1.
import fs from 'node:fs';
import { DEFAULT_SPEC, helpText, parseCommandLine, PROGRAM_NAME, USAGE, VERSION, type ParsedCommandLine } from './args.js';
import { PublishCliError, PublishUsageError } from './errors.js';
import { runPublish } from './run.js';

function finish(code: number): void {
  process.exitCode = code;
  // Sockets are closed by now; if anything still holds the loop, do not hang on it.
  setTimeout(() => process.exit(code), 1000).unref();
}

async function main(): Promise<void> {
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(process.argv.slice(2), process.env['GRIP_URL'] ?? DEFAULT_SPEC);
  } catch (err) {
    if (!(err instanceof PublishUsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n\n${USAGE}\n\nFor more information try --help\n`);
    finish(1);
    return;
  }
  if (parsed.kind === 'help') { process.stdout.write(helpText()); finish(0); return; }
  if (parsed.kind === 'version') { process.stdout.write(`${PROGRAM_NAME} ${VERSION}\n`); finish(0); return; }
  try {
    await runPublish(parsed.args, (p) => fs.readFileSync(p));
  } catch (err) {
    const message = err instanceof PublishCliError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`Error: ${message}\n`);
    finish(1);
    return;
  }
  process.stdout.write('Published\n');
  finish(0);
}

void main();
