#!/usr/bin/env node
// Thin launcher: the built CLI lives in dist/ (made by `npm run build`, run on install by `prepare`).
import { main } from '../dist/src/cli.js';

process.exitCode = await main(process.argv.slice(2));
