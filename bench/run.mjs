#!/usr/bin/env node
// Measures scan and fix --dry-run on a synthetic monorepo made of N copies of
// the demo services, and prints the figures and their ratio to the committed
// baseline (bench/baseline.json). Figures, not assertions: run it before and
// after a change to the engine. Usage: node bench/run.mjs [copies=20] [--update]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTransforms } from '../dist/transforms/registry.js';
import { runFix, runScan } from '../dist/src/engine/pipeline.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const demo = path.join(here, '..', 'fixtures', 'monorepo');
const copies = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 20);
const update = process.argv.includes('--update');

function synthesize(n) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-'));
  fs.cpSync(demo, root, { recursive: true });
  for (const group of ['services', 'apps']) {
    const dir = path.join(root, group);
    for (const svc of fs.readdirSync(dir)) {
      for (let i = 1; i < n; i++) fs.cpSync(path.join(dir, svc), path.join(dir, `${svc}-${i}`), { recursive: true });
    }
  }
  return root;
}

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 5);

async function time(label, fn) {
  const start = process.hrtime.bigint();
  const out = await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { label, ms, out };
}

const root = synthesize(copies);
try {
  const transforms = await loadTransforms();
  const fixers = transforms.filter((t) => t.fix);
  const scan = await time('scan', () => runScan(root, transforms));
  const fix = await time('fix --dry-run', () => runFix(root, transforms, fixers));
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const files = scan.out.files;
  const figures = {
    copies,
    services: scan.out.services.length,
    files,
    findings: scan.out.findings.length,
    changedFiles: fix.out.changes.length,
    scanMs: Math.round(scan.ms),
    fixMs: Math.round(fix.ms),
    scanFilesPerSec: Math.round((files / scan.ms) * 1000),
    fixFilesPerSec: Math.round((files / fix.ms) * 1000),
    peakRssMb: Math.round(peak / 1024 / 1024),
  };
  const baselineFile = path.join(here, 'baseline.json');
  const baseline = fs.existsSync(baselineFile) ? JSON.parse(fs.readFileSync(baselineFile, 'utf8')) : null;
  const rows = Object.entries(figures).map(([k, v]) => {
    const base = baseline?.[k];
    const ratio = typeof base === 'number' && base > 0 && typeof v === 'number' ? (v / base).toFixed(2) : '-';
    return `${k.padEnd(16)} ${String(v).padStart(8)}   baseline ${String(base ?? '-').padStart(8)}   ratio ${ratio}`;
  });
  process.stdout.write(`${rows.join('\n')}\n(node ${process.version}, ${os.cpus().length} cores)\n`);
  if (update) fs.writeFileSync(baselineFile, `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
