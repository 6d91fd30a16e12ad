// Every process a verify run starts (the build, the service, redis-server) is
// registered here, so one call stops them all: at the end of the run, on an
// exception, and from the SIGINT/SIGTERM handler of the CLI. Stopping is
// synchronous so it also works inside a signal handler and on 'exit': SIGTERM
// to everything first, a bounded wait, then SIGKILL to whatever is left.
//
// A process group is not enough to find "everything": a service may start a
// helper with `detached: true`, which puts it in a new session and process
// group, and once the service exits the helper is re-parented to init. So a
// ProcessFamily remembers every descendant it has seen (Child scans while the
// service runs) and also claims anything still in the service's session or
// group, and a pid is only signalled while its start time still matches.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export type Disposer = () => void;

/** Processes to stop: asked with SIGTERM first, killed when the grace period is over. */
export interface Stoppable {
  /** Sends SIGTERM to everything still running; later calls add nothing. */
  terminate(): void;
  /** True once none of its processes runs any more (zombies waiting to be reaped count as stopped). */
  stopped(): boolean;
  /** SIGKILL to whatever is left; safe to call twice. */
  kill(): void;
}

/** How long SIGTERM'd processes get before SIGKILL when a run ends or is interrupted. */
export const STOP_GRACE_MS = 2000;
/** After SIGKILL, how long to wait for the kernel to take the processes down. */
const KILL_WAIT_MS = 1000;

function isStoppable(entry: Disposer | Stoppable): entry is Stoppable {
  return typeof entry === 'object';
}

function attempt(fn: () => void): void {
  try {
    fn();
  } catch {
    // best effort: the others must still run
  }
}

/** Blocks the thread for `ms`: cleanup runs in signal handlers and on 'exit', where nothing can be awaited. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits (blocking) until every stoppable has stopped or `ms` have passed; true when all stopped. */
function waitStopped(all: Stoppable[], ms: number): boolean {
  const deadline = performance.now() + ms;
  for (;;) {
    const running = all.filter((s) => {
      try {
        return !s.stopped();
      } catch {
        return false;
      }
    });
    if (running.length === 0) return true;
    if (performance.now() >= deadline) return false;
    sleepSync(20);
  }
}

export class Cleanup {
  private readonly entries = new Set<Disposer | Stoppable>();

  /** Registers a disposer, or processes to stop; the returned function unregisters it. */
  add(entry: Disposer | Stoppable): () => void {
    this.entries.add(entry);
    return () => this.entries.delete(entry);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Stops every registered process (SIGTERM to all, up to `graceMs` for them
   * to go, then SIGKILL), then runs every disposer once, newest first; one
   * failing does not stop the rest.
   */
  runAll(graceMs = STOP_GRACE_MS): void {
    const all = [...this.entries].reverse();
    this.entries.clear();
    const processes = all.filter(isStoppable);
    if (processes.length > 0) {
      for (const p of processes) attempt(() => p.terminate());
      if (!waitStopped(processes, graceMs)) {
        for (const p of processes) attempt(() => p.kill());
        waitStopped(processes, KILL_WAIT_MS);
      }
    }
    for (const entry of all) if (!isStoppable(entry)) attempt(entry);
  }
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Session id; null where `ps` cannot tell it (macOS). */
  sid: number | null;
  /** Start time as the OS reports it: tells a process from a later one that got the same pid. */
  start: string;
  zombie: boolean;
}

/** One process from /proc/<pid>/stat; the command name may hold spaces and parentheses, so fields count from the last ')'. */
function readStat(pid: number): ProcessInfo | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state); starttime is field 22.
    return { pid, ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), start: f[19] ?? '', zombie: f[0] === 'Z' || f[0] === 'X' };
  } catch {
    return null;
  }
}

function linuxTable(): ProcessInfo[] | null {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  return names.flatMap((name) => (/^\d+$/.test(name) ? (readStat(Number(name)) ?? []) : []));
}

function psTable(): ProcessInfo[] | null {
  let text: string;
  try {
    // lstart last: it holds spaces.
    text = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat=,lstart='], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
  return text.split('\n').flatMap((line) => {
    const [pid, ppid, pgid, stat, ...start] = line.trim().split(/\s+/);
    if (!pid || !/^\d+$/.test(pid)) return [];
    return [{ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), sid: null, start: start.join(' '), zombie: (stat ?? '').startsWith('Z') }];
  });
}

/** Every process of the machine the user may see, or null when the OS does not tell (Windows, no ps). */
export function processTable(): ProcessInfo[] | null {
  if (process.platform === 'linux') return linuxTable();
  if (process.platform === 'win32') return null;
  return psTable();
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: already gone
  }
}

/**
 * A process started with `detached: true` (its own session and group, whose
 * id is its pid) and everything it starts. `scan()` adds what is new: the
 * children of known members, and anything in the root's session or group
 * even after its parent exited.
 */
export class ProcessFamily {
  private readonly members = new Map<number, ProcessInfo>();
  private latest = new Map<number, ProcessInfo>();
  private terminated = false;

  constructor(readonly root: number) {}

  /** Refreshes the members from the process table; returns false when there is no table to read. */
  scan(table: ProcessInfo[] | null = processTable()): boolean {
    if (!table) return false;
    this.latest = new Map(table.map((p) => [p.pid, p]));
    // A member that is gone, or whose pid now belongs to another process, is forgotten.
    for (const [pid, known] of this.members) {
      const now = this.latest.get(pid);
      if (now?.start === known.start) this.members.set(pid, now);
      else this.members.delete(pid);
    }
    // The root leads its own group and session, so it joins by the same rule as an orphan left in them.
    const joins = (p: ProcessInfo) => this.members.has(p.ppid) || p.pgid === this.root || p.sid === this.root;
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of table)
        if (!this.members.has(p.pid) && joins(p)) {
          this.members.set(p.pid, p);
          grew = true;
        }
    }
    return true;
  }

  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.send('SIGTERM');
  }

  kill(): void {
    this.send('SIGKILL');
  }

  stopped(): boolean {
    if (!this.scan()) {
      // No process table: the root's group is all that can be checked.
      try {
        process.kill(-this.root, 0);
        return false;
      } catch {
        return true;
      }
    }
    return [...this.members.keys()].every((pid) => this.latest.get(pid)?.zombie !== false);
  }

  private send(sig: NodeJS.Signals): void {
    this.scan();
    signal(-this.root, sig);
    for (const p of this.members.values()) {
      if (p.zombie) continue;
      signal(p.pid, sig);
      // A detached helper leads its own group: whatever it started since the last scan is in it.
      if (p.pgid === p.pid && p.pid !== this.root) signal(-p.pid, sig);
    }
  }
}
