#!/usr/bin/env node
// Makes sure the system tools the test suite runs for real are installed,
// before any test runs (package.json "pretest", so `npm test` runs it).
//   - all present: prints nothing, exits 0.
//   - some missing, running as root with apt-get: installs them through apt,
//     saying on one line what it installs and why.
//   - some missing and it cannot install (not root, no apt-get, or
//     SHIPSHAPE_TEST_SETUP=check): prints exactly what to install and the
//     command, exits 1, so no test runs.
//   node scripts/test-setup.mjs
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Each tool the tests really run, its Debian package, and why it is not mocked. */
const TOOLS = [
  {
    bin: 'shellcheck',
    apt: 'shellcheck',
    brew: 'shellcheck',
    why: 'proves every entrypoint and smoke-test script the fixers write (test/infra-validation.test.ts)',
  },
  {
    bin: 'redis-server',
    apt: 'redis-server',
    brew: 'redis',
    why: "the real dependency verify's readiness-recovers check starts (test/verify*.test.ts)",
  },
  {
    bin: 'chromium',
    apt: 'chromium',
    brew: 'chromium',
    why: 'the browser the HTML review page is opened in, through playwright-core, which downloads no browser of its own (test/review-e2e.test.ts)',
  },
];

const say = (line) => console.error(`test-setup: ${line}`);

/** Absolute path of an executable named `bin` on PATH, or null. */
function onPath(bin) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, bin);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

const missing = TOOLS.filter((t) => !onPath(t.bin));
if (missing.length === 0) process.exit(0);

const names = missing.map((t) => t.bin).join(' and ');
const isRoot = process.getuid?.() === 0;
const hasApt = onPath('apt-get') !== null;
const checkOnly = process.env.SHIPSHAPE_TEST_SETUP === 'check';

if (isRoot && hasApt && !checkOnly) {
  const pkgs = missing.map((t) => t.apt);
  say(`installing ${pkgs.join(' ')} through apt-get, because the tests run them for real:`);
  for (const t of missing) say(`  ${t.bin}: ${t.why}`);
  // Wait for another apt/dpkg run on a shared machine rather than failing on its lock.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => {
    const r = spawnSync('apt-get', [...lock, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) {
      process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
      say(`\`apt-get ${args.join(' ')}\` failed (${r.error?.message ?? `exit code ${r.status}`}); install ${pkgs.join(' ')} yourself, then run the tests again`);
      process.exit(1);
    }
  };
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', '--no-install-recommends', ...pkgs]);
  const still = missing.filter((t) => !onPath(t.bin));
  if (still.length > 0) {
    say(`apt-get installed ${pkgs.join(' ')}, but ${still.map((t) => t.bin).join(' and ')} is still not on PATH (${process.env.PATH ?? ''})`);
    process.exit(1);
  }
  say(`installed ${pkgs.join(' ')}`);
  process.exit(0);
}

// Cannot install: say exactly what is missing and how to get it, and stop here.
const reason = checkOnly
  ? 'SHIPSHAPE_TEST_SETUP=check'
  : !hasApt
    ? 'no apt-get on this machine'
    : 'not running as root';
say(`${names} ${missing.length > 1 ? 'are' : 'is'} not installed, and this script cannot install ${missing.length > 1 ? 'them' : 'it'} (${reason}).`);
say('The tests run these for real:');
for (const t of missing) say(`  ${t.bin}: ${t.why}`);
say('Install, then run the tests again:');
if (hasApt) say(`  ${isRoot ? '' : 'sudo '}apt-get update && ${isRoot ? '' : 'sudo '}apt-get install -y ${missing.map((t) => t.apt).join(' ')}`);
else if (process.platform === 'darwin' || onPath('brew')) say(`  brew install ${missing.map((t) => t.brew).join(' ')}`);
else say(`  the packages providing ${missing.map((t) => t.bin).join(', ')} (Debian/Ubuntu: apt-get install -y ${missing.map((t) => t.apt).join(' ')})`);
process.exit(1);
