import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DataServerError, describeError } from '../src/domain/index.js';
import { describeIssues, type FaultResult, faultSchema, type ParsedFault } from './faults.js';

// Node timers overflow above this and silently fire after 1 ms instead.
const MAX_TIMER_MS = 2 ** 31 - 1;

export const scenarioSchema = z.strictObject({
  faults: z.array(
    z.strictObject({
      /** Milliseconds from the scenario's start. */
      atMs: z.number().min(0).max(MAX_TIMER_MS),
      fault: faultSchema,
    }),
  ),
});

/** `{"faults":[{"atMs":1000,"fault":{"kind":"abrupt"}}, ...]}` as written. */
export type Scenario = z.input<typeof scenarioSchema>;
export type ParsedScenario = z.output<typeof scenarioSchema>;

export interface RunScenarioOptions {
  /** Aborting stops the scenario; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/** Validates a scenario; throws CONFIG_INVALID naming the bad field (`"faults.2.fault.seconds": ...`). */
export function parseScenario(value: unknown, name = 'scenario'): ParsedScenario {
  const result = scenarioSchema.safeParse(value);
  if (!result.success) {
    throw new DataServerError('CONFIG_INVALID', `Invalid ${name}: ${describeIssues(result.error.issues)}`);
  }
  return result.data;
}

/** Reads and validates a scenario file; every problem is one line naming the file and the field. */
export async function loadScenario(path: string): Promise<ParsedScenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DataServerError('CONFIG_UNREADABLE', `Cannot read scenario "${path}": ${describeError(err)}`, {
      cause: err,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DataServerError(
      'CONFIG_INVALID',
      `Scenario "${path}" is not valid JSON: ${describeError(err)}`,
      {
        cause: err,
      },
    );
  }
  return parseScenario(value, `scenario "${path}"`);
}

export interface ScenarioRun {
  readonly apply: (fault: ParsedFault) => FaultResult;
  /** Aborted when the simulator closes: the scenario then ends quietly. */
  readonly stop: AbortSignal;
  readonly log: Logger;
}

/**
 * Applies each fault `atMs` after the start, in time order (file order among equal times), on one
 * timer at a time. Resolves after the last fault, or when the simulator closes. A fault that
 * cannot apply then (its connection is gone) is logged and skipped.
 */
export async function runScenario(
  run: ScenarioRun,
  scenario: unknown,
  options: RunScenarioOptions = {},
): Promise<void> {
  const entries = parseScenario(scenario).faults.toSorted((a, b) => a.atMs - b.atMs);
  const { signal } = options;
  const { stop, log } = run;
  signal?.throwIfAborted();
  if (stop.aborted) return;
  await new Promise<void>((resolve, reject) => {
    const start = performance.now();
    let next = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (settle: () => void): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      stop.removeEventListener('abort', onStop);
      settle();
    };
    const onAbort = (): void => finish(() => reject(signal?.reason));
    const onStop = (): void => finish(resolve);
    const step = (): void => {
      const elapsed = performance.now() - start;
      for (let entry = entries[next]; entry !== undefined && entry.atMs <= elapsed; entry = entries[++next]) {
        try {
          run.apply(entry.fault);
        } catch (err) {
          log.warn({ err, atMs: entry.atMs, fault: entry.fault }, 'scenario fault not applied');
        }
      }
      const due = entries[next];
      if (due === undefined) finish(resolve);
      else timer = setTimeout(step, due.atMs - elapsed);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    stop.addEventListener('abort', onStop, { once: true });
    step();
  });
}
