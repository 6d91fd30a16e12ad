#!/usr/bin/env node
// Thin launcher: the built CLI lives in dist/ (made by `npm run build`, run on install by `prepare`).
import { main } from '../dist/src/cli.js';

// A reader that stops early (`| head`, a closed pager) is not an error of
// ours: stop quietly, as cat and grep do, instead of an unhandled EPIPE trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });

process.exitCode = await main(process.argv.slice(2));
