import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, type Scenario, startSimulator } from '../../simulator/index.js';
import { parseSimulate, runSimulate, type SimulateFlags, simulatorOptions } from '../../src/cli/simulate.js';
import { DataServerError } from '../../src/domain/index.js';
import { captureLogs, Harness, isTrade } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

const dir = mkdtempSync(join(tmpdir(), 'dataserver-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const appliedKinds = (lines: Array<Record<string, unknown>>): string[] =>
  lines.filter((l) => l.msg === 'fault applied').map((l) => (l.fault as { kind: string }).kind);

describe('runScenario', () => {
  it('applies the faults at their times, in time order, then resolves', async () => {
    const { logger, lines } = captureLogs();
    const sim = await h.simulator({ logger });
    const c = await h.client(sim.url);
    c.send({ action: 'subscribe', channel: 'trades', symbol: 'BTC-USD' });
    await c.find(isTrade());
    const scenario: Scenario = {
      faults: [
        { atMs: 150, fault: { kind: 'abrupt' } },
        { atMs: 0, fault: { kind: 'gap' } },
        { atMs: 50, fault: { kind: 'garbage', count: 1 } },
        { atMs: 50, fault: { kind: 'replay', count: 1 } },
      ],
    };
    const start = performance.now();
    await sim.runScenario(scenario);
    expect(performance.now() - start).toBeGreaterThanOrEqual(145);
    expect(appliedKinds(lines)).toEqual(['gap', 'garbage', 'replay', 'abrupt']);
    expect((await c.closed).code).toBe(1006);
    const { faults } = sim.status().counters;
    expect(faults).toMatchObject({ gap: 1, garbage: 1, replay: 1, abrupt: 1 });
  });

  it('skips a fault that cannot apply when its time comes, and goes on', async () => {
    const { logger, lines } = captureLogs();
    const sim = await h.simulator({ logger });
    await sim.runScenario({
      faults: [
        { atMs: 0, fault: { kind: 'stall', seconds: 1, connection: 7 } },
        { atMs: 10, fault: { kind: 'gap' } },
      ],
    });
    expect(lines.find((l) => l.msg === 'scenario fault not applied')).toMatchObject({ level: 40, atMs: 0 });
    expect(appliedKinds(lines)).toEqual(['gap']);
  });

  it('stops when aborted: rejects with the reason, later faults never apply', async () => {
    const sim = await h.simulator();
    const controller = new AbortController();
    const run = sim.runScenario(
      {
        faults: [
          { atMs: 0, fault: { kind: 'gap' } },
          { atMs: 60_000, fault: { kind: 'refuse', seconds: 1 } },
        ],
      },
      { signal: controller.signal },
    );
    controller.abort(new Error('enough'));
    await expect(run).rejects.toThrow('enough');
    expect(sim.status().counters.faults).toMatchObject({ gap: 1, refuse: 0 });
  });

  it('ends quietly when the simulator closes, clearing its timers', async () => {
    const sim = await h.simulator();
    const run = sim.runScenario({ faults: [{ atMs: 60_000, fault: { kind: 'abrupt' } }] });
    await sim.close();
    await expect(run).resolves.toBeUndefined();
  });

  it.each([
    [{ faults: [{ atMs: -1, fault: { kind: 'abrupt' } }] }, /"faults\.0\.atMs"/],
    [{ faults: [{ atMs: 0, fault: { kind: 'stall' } }] }, /"faults\.0\.fault\.seconds"/],
    [{ faults: [{ atMs: 0, fault: { kind: 'abrupt' } }, { fault: { kind: 'gap' } }] }, /"faults\.1\.atMs"/],
    [{ fault: [] }, /"faults".*fault/],
  ])('rejects an invalid scenario %j, naming the field', async (scenario, message) => {
    const sim = await h.simulator();
    await expect(sim.runScenario(scenario as never)).rejects.toThrow(message);
  });
});

describe('scenario files', () => {
  it('loads and validates a file', async () => {
    const path = file('ok.json', '{"faults":[{"atMs":1000,"fault":{"kind":"reject","symbol":"ETH-USD"}}]}');
    expect(await loadScenario(path)).toEqual({
      faults: [{ atMs: 1000, fault: { kind: 'reject', symbol: 'ETH-USD', count: 1 } }],
    });
  });

  it.each([
    ['missing.json', undefined, 'CONFIG_UNREADABLE', /Cannot read scenario ".*missing\.json"/],
    ['broken.json', '{"faults":[', 'CONFIG_INVALID', /Scenario ".*broken\.json" is not valid JSON/],
    [
      'wrong.json',
      '{"faults":[{"atMs":0,"fault":{"kind":"garbage","count":"many"}}]}',
      'CONFIG_INVALID',
      /Invalid scenario ".*wrong\.json": "faults\.0\.fault\.count"/,
    ],
  ])('%s gives one line naming the problem', async (name, text, code, message) => {
    const path = text === undefined ? join(dir, name) : file(name, text);
    const err = await loadScenario(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataServerError);
    expect((err as DataServerError).code).toBe(code);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('parseScenario names the problem with a custom label', () => {
    expect(() => parseScenario({ faults: 3 }, 'scenario "x.json"')).toThrow(
      /^Invalid scenario "x\.json": "faults"/,
    );
  });
});

describe('dataserver simulate --scenario', () => {
  it('takes the flag', () => {
    expect(parseSimulate(['--scenario', 'faults.json'])).toMatchObject({ scenario: 'faults.json' });
    expect(parseSimulate([])).toMatchObject({ scenario: undefined });
  });

  it('passes the simulator only its own options, whatever the flags', async () => {
    const flags = parseSimulate([
      '--port',
      '0',
      '--pretty',
      '--scenario',
      'x.json',
      '--rate',
      '50',
    ]) as SimulateFlags;
    const sim = await startSimulator(simulatorOptions(flags));
    try {
      expect(sim.port).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });

  it('refuses an invalid file before starting anything', async () => {
    const path = file('cli-bad.json', '{"faults":[{"atMs":0,"fault":{"kind":"stall","seconds":0}}]}');
    const err = await runSimulate(['--port', '0', '--scenario', path]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataServerError);
    expect((err as DataServerError).code).toBe('CONFIG_INVALID');
    expect((err as Error).message).toMatch(/"faults\.0\.fault\.seconds"/);
  });
});
