// A child process under observation: its output as timestamped lines, its
// exit as a promise, signals sent to the process itself (as docker sends them
// to PID 1), and cleanup of everything it started: its process group and any
// helper that detached from it (see ProcessFamily), SIGTERM first, SIGKILL
// after a grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Cleanup, ProcessFamily, STOP_GRACE_MS } from './cleanup.js';

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
/**
 * How often the process table is read for new descendants: often while the
 * service starts (when helpers are spawned), then less; /proc is cheap, `ps` is not.
 */
const SCAN_MS = process.platform === 'linux' ? { early: 50, later: 250 } : { early: 250, later: 1000 };
const EARLY_MS = 2000;

export class Child {
  readonly lines: LogLine[] = [];
  exitInfo: ExitInfo | null = null;
  readonly exited: Promise<ExitInfo>;
  private readonly startedAt = performance.now();
  private readonly proc: ChildProcess;
  private readonly family: ProcessFamily | null;
  private scanTimer: NodeJS.Timeout | undefined;
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
    this.family = this.proc.pid ? new ProcessFamily(this.proc.pid) : null;
    const family = this.family;
    this.unregister = opts.cleanup.add({
      terminate: () => family?.terminate(),
      stopped: () => !family || family.stopped(),
      kill: () => this.kill(),
    });
    this.scanLater();
    this.collect(this.proc.stdout, 'stdout');
    this.collect(this.proc.stderr, 'stderr');
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null, closeWaitMs: number) => {
        if (this.exitInfo) return;
        const info: ExitInfo = { code, signal, at: this.elapsed() };
        this.exitInfo = info;
        clearTimeout(this.scanTimer);
        this.stopLeftovers();
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
    // The service may exit on this signal: note its helpers while they still have it as parent.
    this.family?.scan();
    try {
      process.kill(this.proc.pid, sig);
    } catch {
      // exited in between
    }
  }

  /** SIGKILL to the process, its group and every helper it started. Synchronous; safe to call twice. */
  kill(): void {
    this.family?.kill();
  }

  /** Scans for new descendants until the process exits, so a helper that detaches is still known after the service is gone. */
  private scanLater(): void {
    if (!this.family) return;
    const family = this.family;
    const ms = this.elapsed() < EARLY_MS ? SCAN_MS.early : SCAN_MS.later;
    this.scanTimer = setTimeout(() => {
      if (this.exitInfo) return;
      family.scan();
      this.scanLater();
    }, ms);
    this.scanTimer.unref();
  }

  /**
   * The process has exited: what it left running gets SIGTERM now and SIGKILL
   * after the grace period. It stays registered with the cleanup until then, so
   * a run that ends sooner still stops it.
   */
  private stopLeftovers(): void {
    const family = this.family;
    if (!family || family.stopped()) {
      this.unregister();
      return;
    }
    family.terminate();
    setTimeout(() => {
      family.kill();
      this.unregister();
    }, STOP_GRACE_MS).unref();
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

