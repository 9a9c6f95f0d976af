import { describe, expect, it } from 'vitest';
import { PublishFlow } from '../../src/broker/index.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PublishFlow', () => {
  it('is saturated from the high-water mark and releases waiters once down to the low-water mark', async () => {
    const flow = new PublishFlow(4, 2);
    for (let i = 0; i < 4; i++) flow.started();
    expect(flow.saturated).toBe(true);
    let resumed = 0;
    flow.whenDrained(() => resumed++);
    flow.done();
    expect(flow.saturated).toBe(false);
    await turn();
    expect(resumed).toBe(0); // 3 outstanding: still above the low-water mark
    flow.done();
    expect(resumed).toBe(0); // released on a later turn, never inside the callback's stack
    await turn();
    expect(resumed).toBe(1);
    expect(flow.inFlight).toBe(2);
  });

  it('resumes a waiter that asks while already drained, on a later turn', async () => {
    const flow = new PublishFlow(4, 2);
    let resumed = 0;
    flow.whenDrained(() => resumed++);
    expect(resumed).toBe(0);
    await turn();
    expect(resumed).toBe(1);
  });

  it('survives callbacks run synchronously, as Aedes does with no subscriber', () => {
    const flow = new PublishFlow(8, 4);
    for (let i = 0; i < 100_000; i++) {
      flow.started();
      flow.done();
    }
    expect(flow.inFlight).toBe(0);
  });

  it('refuses marks that cannot work', () => {
    expect(() => new PublishFlow(4, 4)).toThrow(RangeError);
    expect(() => new PublishFlow(4, -1)).toThrow(RangeError);
  });
});
