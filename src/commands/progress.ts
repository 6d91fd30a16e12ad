// Progress on stderr for long runs: files done/total, files/s and an ETA on
// one rewritten line. Only for a person watching: never when stderr is piped,
// under CI=true, or with --quiet, so logs and reports stay clean.
export type Progress = (done: number, total: number) => void;

export function progressFor(opts: { quiet?: boolean }, stream: NodeJS.WriteStream = process.stderr, env = process.env): { progress?: Progress; end(): void } {
  if (opts.quiet || !stream.isTTY || env.CI === 'true' || env.CI === '1') return { end() {} };
  const start = Date.now();
  let last = 0;
  let shown = false;
  const progress: Progress = (done, total) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    const secs = (now - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 && done < total ? ` · ETA ${Math.ceil((total - done) / rate)} s` : '';
    stream.write(`\r\x1b[K${done}/${total} files · ${rate.toFixed(0)} files/s${eta}`);
    shown = true;
  };
  return {
    progress,
    end() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
