import type { Logger } from 'pino';
import type { InspectionEvent, Observer } from 'xstate';

// Types only: the package itself is loaded by `startInspector`, so a server without --inspect never loads it.
type InspectLib = typeof import('@statelyai/inspect');
type StatelyInspectionEvent = import('@statelyai/inspect').StatelyInspectionEvent;

/** Keys whose values never leave the process, at any depth of a context or an event. */
const SECRET_KEYS = new Set(['token', 'password', 'passwordHash', 'adminToken', 'authorization']);
const MAX_DEPTH = 12;

/** A URL with its user and password removed; anything else unchanged. */
function withoutCredentials(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(text)) return text;
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return text;
  }
}

/**
 * A JSON-safe copy of a context or an event for an inspector outside the process: secrets
 * (source tokens, credentials in URLs) are blanked, functions and actor references become
 * their names, cycles and very deep nesting are cut.
 */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return withoutCredentials(value);
  if (typeof value === 'function') return `[function ${value.name}]`;
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (depth >= MAX_DEPTH || seen.has(value)) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    // An actor reference (a child, `self`) or another class instance: its identity is enough.
    const id = (value as { id?: unknown }).id;
    return typeof id === 'string' ? `[actor ${id}]` : `[${(value as object).constructor?.name ?? 'object'}]`;
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEYS.has(key) ? (v === '' || v == null ? v : '[redacted]') : redact(v, depth + 1, seen);
  }
  return out;
}

/**
 * What the inspector needs of a snapshot (`status`, `value`, `context`, `output`, `error`), not
 * the whole object: a machine snapshot also holds its machine and its children, cyclic and large.
 */
function slimSnapshot(snapshot: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { status: snapshot.status, value: snapshot.value };
  for (const key of ['context', 'output', 'error'] as const) {
    if (snapshot[key] !== undefined) out[key] = redact(snapshot[key]);
  }
  return out;
}

function safeEvent(event: StatelyInspectionEvent): StatelyInspectionEvent {
  switch (event.type) {
    case '@xstate.actor':
      return { ...event, snapshot: slimSnapshot(event.snapshot as Record<string, unknown>) };
    case '@xstate.snapshot':
      return {
        ...event,
        snapshot: slimSnapshot(event.snapshot as unknown as Record<string, unknown>) as typeof event.snapshot,
        event: redact(event.event) as typeof event.event,
      };
    case '@xstate.event':
      return { ...event, event: redact(event.event) as typeof event.event };
    default:
      return event;
  }
}

/**
 * An inspector whose events are redacted and slimmed (see `redact`) before `send` sees them.
 * `inspector.inspect` is the observer to give `createActor` (createServer's `inspect` option).
 */
export function createSafeInspector(lib: InspectLib, send: (event: StatelyInspectionEvent) => void) {
  return lib.createInspector({ send: (event) => send(safeEvent(event)) });
}

export interface InspectorHandle {
  inspect: Observer<InspectionEvent>;
  /** Where the user watches: the receiver's WebSocket URL, or where Stately prints its link. */
  where: string;
  stop(): void;
}

export interface StartInspectorOptions {
  logger: Logger;
  /**
   * A WebSocket inspection receiver (`ws://…`), e.g. `@statelyai/inspect/server`'s bridge;
   * absent: Stately's hosted inspector, which prints a stately.ai link to stdout once connected.
   */
  url?: string | undefined;
}

/**
 * Loads `@statelyai/inspect` (only now: inspection is off by default) and connects an inspector.
 * Every event it forwards passes through `createSafeInspector` first: source tokens never leave.
 */
export async function startInspector({ logger, url }: StartInspectorOptions): Promise<InspectorHandle> {
  const lib = await import('@statelyai/inspect');
  const log = logger.child({ component: 'inspector' });
  let active = true;
  if (url !== undefined) {
    const transport = lib.createWebSocketInspector({ url });
    const inspector = createSafeInspector(lib, (event) => {
      if (active) transport.adapter.send(event);
    });
    log.info({ url }, 'Stately inspector: sending the live actor system to this WebSocket receiver');
    return {
      inspect: inspector.inspect,
      where: url,
      stop: () => {
        active = false;
        transport.stop();
      },
    };
  }
  let failures = 0;
  const sky = lib.createSkyInspector({
    onerror: (err: unknown) => {
      failures++;
      const reason =
        err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err);
      // It retries by itself; say so once, then only at debug level.
      if (failures === 1)
        log.warn({ reason }, 'Stately inspector cannot reach stately.ai yet; it keeps retrying');
      else log.debug({ reason, failures }, 'Stately inspector still cannot reach stately.ai');
    },
  });
  const inspector = createSafeInspector(lib, (event) => {
    if (active) sky.adapter.send(event);
  });
  const where = 'https://stately.ai/registry/inspect/… (the link printed below once connected)';
  log.info(
    { where },
    'Stately inspector: watch the live actor system in a browser at the stately.ai link it prints (needs internet access)',
  );
  return {
    inspect: inspector.inspect,
    where,
    stop: () => {
      // The hosted inspector's socket has no close of its own; nothing more is sent to it.
      active = false;
    },
  };
}
