// A child process under observation: its output as timestamped lines, its
// exit as a promise, signals sent to the process itself (as docker sends them
// to PID 1) and a hard kill of its whole process group for cleanup.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Cleanup, killGroup } from './cleanup.js';

export interface LogLine {
  /** Milliseconds since the child started. */
  at: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds since the child started. */
  at: number;
}

export interface StartOptions {
  cwd: string;
  env: Record<string, string>;
  cleanup: Cleanup;
}

/** Lines kept per child; older ones are dropped (a chatty retry loop must not grow memory). */
const MAX_LINES = 5000;
/** Long lines (kafkajs JSON logs with stacks) are cut for evidence. */
const MAX_LINE_CHARS = 400;

export class Child {
  readonly lines: LogLine[] = [];
  exitInfo: ExitInfo | null = null;
  readonly exited: Promise<ExitInfo>;
  private readonly startedAt = performance.now();
  private readonly proc: ChildProcess;
  private readonly unregister: () => void;

  constructor(command: string, args: string[], opts: StartOptions) {
    this.proc = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal Ctrl-C does not reach it, we decide, and
      // cleanup can kill everything the service spawned.
      detached: true,
    });
    this.unregister = opts.cleanup.add(() => this.kill());
    this.collect(this.proc.stdout, 'stdout');
    this.collect(this.proc.stderr, 'stderr');
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null, closeWaitMs: number) => {
        if (this.exitInfo) return;
        const info: ExitInfo = { code, signal, at: this.elapsed() };
        this.exitInfo = info;
        this.unregister();
        // Whatever the service left behind in its group goes with it.
        killGroup(this.proc.pid);
        // 'exit' can come before the last output is read: wait for the pipes to
        // close (bounded, in case a grandchild still holds them).
        const timer = setTimeout(() => resolve(info), closeWaitMs);
        this.proc.once('close', () => {
          clearTimeout(timer);
          resolve(info);
        });
      };
      this.proc.once('exit', (code, signal) => finish(code, signal, 500));
      this.proc.once('error', (err) => {
        this.push('stderr', `spawn ${command}: ${err.message}`);
        finish(127, null, 0);
      });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  elapsed(): number {
    return performance.now() - this.startedAt;
  }

  /** Resolves with the exit within `ms`, or null when still running. */
  async waitExit(ms: number): Promise<ExitInfo | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal to the service process only, as a container runtime does. */
  signal(sig: NodeJS.Signals): void {
    if (this.exitInfo || !this.proc.pid) return;
    try {
      process.kill(this.proc.pid, sig);
    } catch {
      // exited in between
    }
  }

  /** SIGKILL to the whole process group. Synchronous; safe to call twice. */
  kill(): void {
    if (!this.exitInfo) killGroup(this.proc.pid);
  }

  /** The last `n` lines, optionally only those logged at or after `since` ms. */
  tail(n: number, since = 0): LogLine[] {
    return this.lines.filter((l) => l.at >= since).slice(-n);
  }

  private push(stream: LogLine['stream'], text: string): void {
    const clean = text.replace(/\x1b\[[0-9;]*m/g, '').trimEnd();
    if (!clean) return;
    this.lines.push({ at: this.elapsed(), stream, text: clean.length > MAX_LINE_CHARS ? `${clean.slice(0, MAX_LINE_CHARS)}…` : clean });
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }

  private collect(stream: NodeJS.ReadableStream | null, name: LogLine['stream']): void {
    if (!stream) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const p of parts) this.push(name, p);
    });
    stream.on('end', () => {
      if (partial) this.push(name, partial);
      partial = '';
    });
  }
}

/** "1.4 s" / "320 ms": how long something took, for evidence lines. */
export function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Absolute path of an executable on PATH, or null. */
export function which(command: string, pathEnv = process.env.PATH ?? ''): string | null {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

