// Peak-RSS recorder, preloaded into every node process of a measurement with
// NODE_OPTIONS="--import /abs/path/bench/rss-hook.mjs". NODE_OPTIONS is
// inherited, so processes that a tool forks (jscodeshift's workers) record
// themselves too. On exit each process appends one line to the file named by
// SHIPSHAPE_BENCH_RSS_FILE:
//
//   <pid>\t<maxRSS in KB>\t<script>
//
// maxRSS is the process's own high-water mark (getrusage), so worker_threads,
// which live inside the process, are included; only the main thread writes.
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

const file = process.env.SHIPSHAPE_BENCH_RSS_FILE;
if (file && isMainThread) {
  process.on('exit', () => {
    try {
      fs.appendFileSync(file, `${process.pid}\t${process.resourceUsage().maxRSS}\t${path.basename(process.argv[1] ?? '-')}\n`);
    } catch {
      // never change how the measured process exits
    }
  });
}
