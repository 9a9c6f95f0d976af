import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../simulator/index.js';
import { captureLogs, Harness } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

describe('validation', () => {
  it.each([
    [{ kind: 'nope' }, /"kind"/],
    [{}, /"kind"/],
    [{ kind: 'stall' }, /"seconds"/],
    [{ kind: 'stall', seconds: -1 }, /"seconds"/],
    [{ kind: 'stall', seconds: '3' }, /"seconds"/],
    [{ kind: 'refuse', seconds: 1, connection: 1 }, /"connection"/],
    [{ kind: 'garbage', count: 1.5 }, /"count"/],
    [{ kind: 'replay', count: 5000 }, /"count"/],
    [{ kind: 'reject' }, /"symbol"/],
    [{ kind: 'reject', symbol: 'DOGE-USD' }, /"symbol".*DOGE-USD.*not offered/],
    [{ kind: 'graceful', connection: 99 }, /"connection".*99/],
    ['abrupt', /expected object/],
  ])('refuses %j, naming the field', async (fault, message) => {
    const sim = await h.simulator();
    expect(() => sim.fault(fault as never)).toThrow(message);
  });

  it('logs each applied fault at info', async () => {
    const { logger, lines } = captureLogs();
    const sim = await startSimulator({ port: 0, logger });
    try {
      sim.fault({ kind: 'gap' });
      sim.fault({ kind: 'replay', count: 2 });
    } finally {
      await sim.close();
    }
    const applied = lines.filter((l) => l.msg === 'fault applied');
    expect(applied.map((l) => [l.level, (l.fault as { kind: string }).kind])).toEqual([
      [30, 'gap'],
      [30, 'replay'],
    ]);
  });
});
