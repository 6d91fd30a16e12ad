// Every process a verify run starts (the build, the service, redis-server) is
// registered here, so one call stops them all: at the end of the run, on an
// exception, and from the SIGINT/SIGTERM handler of the CLI. Disposers are
// synchronous so they also work inside a signal handler and on 'exit'.
export type Disposer = () => void;

export class Cleanup {
  private readonly disposers = new Set<Disposer>();

  /** Registers a disposer; the returned function unregisters it. */
  add(dispose: Disposer): () => void {
    this.disposers.add(dispose);
    return () => this.disposers.delete(dispose);
  }

  get size(): number {
    return this.disposers.size;
  }

  /** Runs every disposer once, newest first; one failing does not stop the rest. */
  runAll(): void {
    const all = [...this.disposers].reverse();
    this.disposers.clear();
    for (const dispose of all) {
      try {
        dispose();
      } catch {
        // best effort: the others must still run
      }
    }
  }
}

/** Kills a process group started with `detached: true`; ESRCH (already gone) is fine. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}
