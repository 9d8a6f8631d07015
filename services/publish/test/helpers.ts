// Helpers of the pushpin-publish tests: run the real binary, a recording HTTP server.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/pushpin-publish.js');

export interface CliResult { code: number | null; stdout: string; stderr: string; ms: number }

/** Runs pushpin-publish; kills it (and fails the result) after `timeoutMs`. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 10_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, GRIP_URL: undefined, ...env })) if (v !== undefined) childEnv[k] = v;
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pushpin-publish ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr=${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

export interface Recorded { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer; httpVersion: string }

/** An HTTP server recording requests; `answer` decides the response. */
export async function recordingServer(answer: (r: Recorded) => { status: number; body: string } | 'hang' = () => ({ status: 200, body: 'Published\n' })): Promise<{ port: number; requests: Recorded[]; close(): void }> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), httpVersion: req.httpVersion };
      requests.push(rec);
      const a = answer(rec);
      if (a === 'hang') return;
      res.writeHead(a.status, { 'Content-Type': 'text/plain', Connection: 'close', 'Content-Length': String(Buffer.byteLength(a.body)) });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close() { server.close(); server.closeAllConnections(); },
  };
}

export function tmpFile(name: string, data: Buffer | string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-publish-'));
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
