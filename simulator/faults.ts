import { z } from 'zod';
import { DataServerError } from '../src/domain/index.js';

/** Trades kept per symbol for `replay`; also the largest count a replay may ask for. */
export const REPLAY_HISTORY = 1000;
/** An hour: a fault window longer than that is a typo, not a test. */
const MAX_FAULT_SECONDS = 3600;
const MAX_COUNT = 100_000;

const seconds = z.number().positive().max(MAX_FAULT_SECONDS);
const count = (max: number) => z.number().int().positive().max(max);
/** Faults acting on open sockets may name one connection (its id in the status); default all. */
const target = { connection: z.number().int().positive().optional() };

export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('graceful'), ...target }),
  z.strictObject({ kind: z.literal('abrupt'), ...target }),
  /** Refuses for a time (`seconds`) or for a number of connection attempts (`attempts`). */
  z
    .strictObject({
      kind: z.literal('refuse'),
      seconds: seconds.optional(),
      attempts: count(MAX_COUNT).optional(),
    })
    .check((ctx) => {
      const { seconds: s, attempts } = ctx.value;
      if ((s === undefined) === (attempts === undefined)) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          path: [s === undefined ? 'seconds' : 'attempts'],
          message: 'exactly one of "seconds" and "attempts" is needed',
        });
      }
    }),
  z.strictObject({ kind: z.literal('stall'), seconds, ...target }),
  z.strictObject({ kind: z.literal('garbage'), count: count(MAX_COUNT), ...target }),
  z.strictObject({ kind: z.literal('replay'), count: count(REPLAY_HISTORY) }),
  z.strictObject({ kind: z.literal('gap'), ...target }),
  /** The market pauses: no trade generated for `seconds` (0 ends a pause); heartbeats go on. */
  z.strictObject({ kind: z.literal('quiet'), seconds: z.number().min(0).max(MAX_FAULT_SECONDS) }),
  z.strictObject({
    kind: z.literal('reject'),
    symbol: z.string().min(1),
    count: count(MAX_COUNT).default(1),
  }),
  /**
   * The venue throttles a connection: the next `count` subscribe requests (one per connection) are
   * answered with its connection-wide rejection, and that connection's later requests are ignored.
   */
  z.strictObject({ kind: z.literal('throttle'), count: count(MAX_COUNT).default(1) }),
  /**
   * The venue never answers: the next `count` subscribe requests for trades get no answer at all
   * (no ack, no rejection, no trades); the connection otherwise works.
   */
  z.strictObject({ kind: z.literal('mute'), count: count(MAX_COUNT).default(1) }),
]);

/** A fault as written (JSON body, scenario entry, or in process); defaults not yet applied. */
export type Fault = z.input<typeof faultSchema>;
/** A validated fault with its defaults. */
export type ParsedFault = z.output<typeof faultSchema>;
export type FaultKind = ParsedFault['kind'];

export const FAULT_KINDS: readonly FaultKind[] = [
  'graceful',
  'abrupt',
  'refuse',
  'stall',
  'garbage',
  'replay',
  'gap',
  'reject',
  'quiet',
  'throttle',
  'mute',
];

/** What a fault did. */
export interface FaultResult {
  readonly fault: ParsedFault;
  /** Open connections it acted on at once; 0 for faults armed for later requests. */
  readonly connections: number;
  /** One line saying what was done. */
  readonly message: string;
}

/** `"path": message; ...`, naming each offending field. */
export function describeIssues(issues: z.ZodError['issues']): string {
  return issues
    .map((issue) => (issue.path.length > 0 ? `"${issue.path.join('.')}": ${issue.message}` : issue.message))
    .join('; ');
}

/** Validates a fault; throws CONFIG_INVALID naming the bad field. */
export function parseFault(value: unknown): ParsedFault {
  const result = faultSchema.safeParse(value);
  if (!result.success) {
    throw new DataServerError('CONFIG_INVALID', `Invalid fault: ${describeIssues(result.error.issues)}`);
  }
  return result.data;
}
