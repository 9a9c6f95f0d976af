import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { describeError } from '../src/domain/index.js';
import type { Fault, FaultResult } from './faults.js';

/** What the keyboard drives: a running simulator, in practice. */
export interface KeyboardTarget {
  fault(fault: Fault): FaultResult;
  close(): Promise<void>;
}

export interface KeyboardOptions {
  /** Called once `q` has closed the simulator (with the error if closing failed). */
  readonly onQuit?: (err?: unknown) => void;
}

export interface Keyboard {
  /** Stops reading commands; the simulator is left running. */
  close(): void;
}

export const KEYBOARD_HELP = `Fault keys (type the command, then Enter):
  g      graceful close (close frame 1000) of every connection
  a      abrupt drop (no close frame) of every connection
  t [N]  temporary drop: drop all and refuse new connections for N s (default 5)
  s [N]  stall: send nothing for N s (default 10)
  x [N]  garbage: interleave N malformed frames with the next trades (default 5)
  r [K]  replay: the next subscribe per symbol re-sends its last K trades (default 3)
  p      gap: skip one seqnum (Coinbase: lose matches until the next heartbeat) on every connection
  k      throttle: the next subscribe is refused for the whole connection, whose requests are then ignored
  m [N]  mute: the next N subscribes get no answer at all (default 1)
  q      quit
  h, ?   this help`;

type Command = { readonly fault: Fault } | 'quit' | 'help' | 'ignore' | { readonly error: string };

const bare: Record<string, Fault> = {
  g: { kind: 'graceful' },
  a: { kind: 'abrupt' },
  p: { kind: 'gap' },
  k: { kind: 'throttle' },
};

const withNumber: Record<string, { readonly make: (n: number) => Fault; readonly fallback: number }> = {
  t: { make: (seconds) => ({ kind: 'refuse', seconds }), fallback: 5 },
  s: { make: (seconds) => ({ kind: 'stall', seconds }), fallback: 10 },
  x: { make: (count) => ({ kind: 'garbage', count }), fallback: 5 },
  r: { make: (count) => ({ kind: 'replay', count }), fallback: 3 },
  m: { make: (count) => ({ kind: 'mute', count }), fallback: 1 },
};

/** One typed line to what it means. */
export function parseCommand(line: string): Command {
  const [key = '', arg, ...extra] = line.trim().toLowerCase().split(/\s+/);
  if (key === '') return 'ignore';
  if (key === 'q') return 'quit';
  if (key === 'h' || key === '?') return 'help';
  const fault = Object.hasOwn(bare, key) ? bare[key] : undefined;
  if (fault !== undefined && arg === undefined) return { fault };
  const numbered = Object.hasOwn(withNumber, key) ? withNumber[key] : undefined;
  if (numbered === undefined || extra.length > 0) return 'help';
  if (arg === undefined) return { fault: numbered.make(numbered.fallback) };
  const n = Number(arg);
  if (arg === '' || !Number.isFinite(n)) return { error: `${key}: expected a number, got "${arg}"` };
  return { fault: numbered.make(n) };
}

/**
 * Reads fault commands line by line from `input` (the terminal's own line editing applies, so
 * Ctrl-C stays a signal) and reports each outcome on `output`.
 */
export function attachKeyboard(
  target: KeyboardTarget,
  input: Readable,
  output: Writable,
  options: KeyboardOptions = {},
): Keyboard {
  const lines = createInterface({ input, terminal: false });
  const print = (text: string): void => void output.write(`${text}\n`);
  const quit = (): void => {
    lines.close();
    print('closing the simulator…');
    target.close().then(
      () => options.onQuit?.(),
      (err: unknown) => {
        print(`close failed: ${describeError(err)}`);
        options.onQuit?.(err);
      },
    );
  };
  lines.on('line', (line) => {
    const command = parseCommand(line);
    if (command === 'ignore') return;
    if (command === 'quit') return quit();
    if (command === 'help') return print(KEYBOARD_HELP);
    if ('error' in command) return print(command.error);
    try {
      print(target.fault(command.fault).message);
    } catch (err) {
      print(describeError(err));
    }
  });
  return { close: () => lines.close() };
}
