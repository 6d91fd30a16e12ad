// A throwaway redis-server for the readiness-recovers check: loopback only, on
// the port the service was already told to use, no persistence (--save '' and
// --appendonly no) and a temp working dir removed on stop. Registered with the
// run's Cleanup so it dies with the run, whatever happens.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Child, which } from './child.js';
import type { Cleanup } from './cleanup.js';
import { isListening } from './ports.js';

export class RedisUnavailableError extends Error {}

export interface RedisServer {
  port: number;
  pid: number | undefined;
  /** Milliseconds redis-server took to accept connections. */
  startupMs: number;
  stop(): void;
}

export async function startRedis(port: number, cleanup: Cleanup, timeoutMs = 5000): Promise<RedisServer> {
  const binary = which('redis-server');
  if (!binary) throw new RedisUnavailableError('redis-server is not installed or not on PATH (Debian/Ubuntu: apt-get install redis-server)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-redis-'));
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  const unregisterDir = cleanup.add(removeDir);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', ''];
  const child = new Child(binary, args, { cwd: dir, env: { PATH: process.env.PATH ?? '' }, cleanup });
  const started = performance.now();
  const stop = () => {
    child.kill();
    removeDir();
    unregisterDir();
  };
  while (performance.now() - started < timeoutMs) {
    if (child.exitInfo) break;
    if (await isListening(port, 200)) return { port, pid: child.pid, startupMs: performance.now() - started, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = child.tail(3).map((l) => l.text).join(' | ');
  stop();
  throw new RedisUnavailableError(
    child.exitInfo
      ? `redis-server exited with code ${child.exitInfo.code} on port ${port}${log ? `: ${log}` : ''}`
      : `redis-server did not accept connections on 127.0.0.1:${port} within ${timeoutMs} ms`,
  );
}
