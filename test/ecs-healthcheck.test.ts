// ecs-healthcheck beyond the fixture folders: the ECS probe is the Dockerfile
// HEALTHCHECK's own (same script, same timing), the file's indentation is read
// from the file, and a CRLF task definition comes back CRLF through the engine.
import { parseTree } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { normalize, restore } from '../src/engine/text.js';
import { nodeProbe, PROBE_FLAGS } from '../transforms/docker/lib/stage-healthcheck.js';
import { formattingOf } from '../transforms/ecs/lib/task-definition.js';
import { registry } from '../transforms/registry.js';
import { loadCases, runCase } from './helpers/fixtures.js';

const transform = await registry.find((e) => e.id === 'ecs-healthcheck')!.load();
const cases = loadCases('ecs-healthcheck');
const byName = (name: string) => cases.find((c) => c.name === name)!;

describe('ecs-healthcheck', () => {
  it("writes the Dockerfile HEALTHCHECK's node probe and timing", () => {
    const c = byName('port-from-port-mappings');
    const out = JSON.parse(c.output!) as { containerDefinitions: { healthCheck: Record<string, unknown> }[] };
    const hc = out.containerDefinitions[0]!.healthCheck;
    // The Dockerfile fixer's exec form for the same port and route, with ECS's "CMD" in front.
    expect(hc.command).toEqual(['CMD', ...(JSON.parse(nodeProbe(3001, '/healthz')) as string[])]);
    const seconds = Object.fromEntries(PROBE_FLAGS.map(([k, v]) => [k, Number.parseInt(v, 10)]));
    expect({ interval: hc.interval, timeout: hc.timeout, retries: hc.retries, startPeriod: hc.startPeriod }).toEqual({
      interval: seconds.interval,
      timeout: seconds.timeout,
      retries: seconds.retries,
      startPeriod: seconds['start-period'],
    });
  });

  it("reads the indentation off the file's first key", () => {
    const opts = (text: string) => formattingOf(parseTree(text)!, text);
    expect(opts('{\n  "family": "x"\n}\n')).toMatchObject({ insertSpaces: true, tabSize: 2 });
    expect(opts('{\n    "family": "x"\n}\n')).toMatchObject({ insertSpaces: true, tabSize: 4 });
    expect(opts('{\n\t"family": "x"\n}\n')).toMatchObject({ insertSpaces: false });
    // A one-line file has no indentation to copy.
    expect(opts('{"family": "x"}\n')).toMatchObject({ insertSpaces: true, tabSize: 2 });
    // An indented root (a file that starts with a blank margin) counts from the root's own column.
    expect(opts('  {\n      "family": "x"\n  }\n')).toMatchObject({ insertSpaces: true, tabSize: 4 });
  });

  it('keeps CRLF line endings: the engine hands it LF text and restores CRLF, and every added line follows', () => {
    const c = byName('multiple-containers');
    const crlf = c.input.replace(/\n/g, '\r\n');
    const { text, shape } = normalize(crlf);
    const out = runCase(c, transform, text, 'fix');
    expect(out.error).toBeUndefined();
    const restored = restore(out.output!, shape);
    expect(restored).toBe(c.output!.replace(/\n/g, '\r\n'));
    expect(restored.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('changes nothing in a file whose services it cannot place (no workspace service matches)', () => {
    const c = byName('trigger-port-from-env');
    const alone = { ...c, config: { ...c.config, services: [] } };
    const out = runCase(alone, transform, c.input, 'fix');
    expect(out.output ?? c.input).toBe(c.input);
    expect(runCase(alone, transform, c.input, 'detect').findings).toEqual([]);
  });
});
