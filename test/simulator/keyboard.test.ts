import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  attachKeyboard,
  type Fault,
  type FaultResult,
  KEYBOARD_HELP,
  type KeyboardTarget,
  parseCommand,
  parseFault,
} from '../../simulator/index.js';
import { Harness, isTrade } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

/** Everything written to a PassThrough, with a way to wait for some text to appear. */
function screen(output: PassThrough) {
  let text = '';
  const waiters = new Set<() => void>();
  output.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const check of [...waiters]) check();
  });
  return {
    get text() {
      return text;
    },
    waitFor(pattern: RegExp | string | ((text: string) => boolean)): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found =
            typeof pattern === 'string'
              ? text.includes(pattern)
              : typeof pattern === 'function'
                ? pattern(text)
                : pattern.test(text);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`Timed out waiting for ${pattern} in:\n${text}`));
        }, 5000);
        waiters.add(check);
        check();
      });
    },
  };
}

/** A target recording the faults it is given, answering like a simulator with no connection. */
function fakeTarget() {
  const faults: Fault[] = [];
  const target: KeyboardTarget = {
    fault: (fault) => {
      faults.push(fault);
      const parsed = parseFault(fault);
      return { fault: parsed, connections: 0, message: `applied ${parsed.kind}` } satisfies FaultResult;
    },
    close: vi.fn(async () => {}),
  };
  return { target, faults };
}

function keyboard(target: KeyboardTarget, onQuit?: (err?: unknown) => void) {
  const input = new PassThrough();
  const output = new PassThrough();
  const out = screen(output);
  const kb = attachKeyboard(target, input, output, onQuit ? { onQuit } : {});
  return { type: (line: string) => input.write(`${line}\n`), out, kb };
}

describe('parseCommand', () => {
  it.each<[string, unknown]>([
    ['g', { fault: { kind: 'graceful' } }],
    ['a', { fault: { kind: 'abrupt' } }],
    ['t', { fault: { kind: 'refuse', seconds: 5 } }],
    ['t 2', { fault: { kind: 'refuse', seconds: 2 } }],
    ['s', { fault: { kind: 'stall', seconds: 10 } }],
    ['  S 0.5  ', { fault: { kind: 'stall', seconds: 0.5 } }],
    ['x', { fault: { kind: 'garbage', count: 5 } }],
    ['x 7', { fault: { kind: 'garbage', count: 7 } }],
    ['r', { fault: { kind: 'replay', count: 3 } }],
    ['r 4', { fault: { kind: 'replay', count: 4 } }],
    ['p', { fault: { kind: 'gap' } }],
    ['k', { fault: { kind: 'throttle' } }],
    ['k 2', 'help'],
    ['m', { fault: { kind: 'mute', count: 1 } }],
    ['m 3', { fault: { kind: 'mute', count: 3 } }],
    ['q', 'quit'],
    ['h', 'help'],
    ['?', 'help'],
    ['z', 'help'],
    ['g 3', 'help'],
    ['t 1 2', 'help'],
    ['constructor', 'help'],
    ['', 'ignore'],
    ['   ', 'ignore'],
    ['s abc', { error: 's: expected a number, got "abc"' }],
  ])('%j', (line, expected) => {
    expect(parseCommand(line)).toEqual(expected);
  });
});

describe('attachKeyboard', () => {
  it('maps each command line to its fault and prints the outcome', async () => {
    const { target, faults } = fakeTarget();
    const { type, out, kb } = keyboard(target);
    for (const line of ['g', 'a', 't 1', 's', 'x 2', 'r', 'p']) type(line);
    await out.waitFor('applied gap');
    expect(faults).toEqual([
      { kind: 'graceful' },
      { kind: 'abrupt' },
      { kind: 'refuse', seconds: 1 },
      { kind: 'stall', seconds: 10 },
      { kind: 'garbage', count: 2 },
      { kind: 'replay', count: 3 },
      { kind: 'gap' },
    ]);
    expect(out.text.trim().split('\n')).toEqual([
      'applied graceful',
      'applied abrupt',
      'applied refuse',
      'applied stall',
      'applied garbage',
      'applied replay',
      'applied gap',
    ]);
    kb.close();
  });

  it('prints help for h, ? and unknown input, and the problem for a bad value', async () => {
    const { target, faults } = fakeTarget();
    const { type, out, kb } = keyboard(target);
    type('h');
    await out.waitFor(KEYBOARD_HELP);
    type('bogus');
    await out.waitFor((text) => text.split(KEYBOARD_HELP).length === 3);
    type('s abc');
    await out.waitFor('s: expected a number, got "abc"');
    type('t -1');
    await out.waitFor(/Invalid fault: "seconds"/);
    expect(faults).toEqual([{ kind: 'refuse', seconds: -1 }]);
    expect(target.close).not.toHaveBeenCalled();
    kb.close();
  });

  it('q closes the simulator, then calls onQuit; later lines are ignored', async () => {
    const { target, faults } = fakeTarget();
    let quit: (value: unknown) => void = () => {};
    const quitted = new Promise((resolve) => {
      quit = resolve;
    });
    const { type } = keyboard(target, (err) => quit(err ?? 'clean'));
    type('q');
    type('g');
    expect(await quitted).toBe('clean');
    expect(target.close).toHaveBeenCalledTimes(1);
    expect(faults).toEqual([]);
  });

  it('drives a real simulator: a drops the client abruptly, q closes it', async () => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    c.send({ action: 'subscribe', channel: 'trades', symbol: 'BTC-USD' });
    await c.find(isTrade());
    const quitted = new Promise<unknown>((resolve) => {
      const { type, out } = keyboard(sim, resolve);
      type('a');
      void out.waitFor('dropped 1 connection').then(() => type('q'));
    });
    expect((await c.closed).code).toBe(1006);
    expect(await quitted).toBeUndefined();
    expect(sim.connections()).toBe(0);
    await expect(fetch(`http://127.0.0.1:${sim.port}/control/status`)).rejects.toThrow();
  });
});
