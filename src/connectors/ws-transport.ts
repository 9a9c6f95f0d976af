import type { Logger } from 'pino';
import WebSocket from 'ws';
import { fromCallback } from 'xstate';
import {
  describeError,
  type TransportCommand,
  type TransportEvent,
  type TransportInput,
} from '../domain/index.js';
import type { FrameSink } from './dialect.js';
import { dialectFor } from './registry.js';

/** What the transport hands to the rest of the server: the data plane and the counters. */
export interface TransportDeps {
  /**
   * Receives every trade (plain call, the data plane) and counts frames; its optional `received`
   * is called once per frame before parsing (receipt time for metrics).
   */
  sink: (sourceId: string) => Omit<FrameSink, 'control'> & { received?: () => void };
  logger: Logger;
  /** Largest frame accepted, in bytes. */
  maxPayload?: number;
  handshakeTimeoutMs?: number;
  /** Downstream pressure (the broker's outstanding publishes): reading pauses while saturated. */
  flow?: Backpressure;
}

/** What the transport needs to know about the consumer of its trades. */
export interface Backpressure {
  readonly saturated: boolean;
  /** Calls `resume` on a later turn once the consumer has caught up. */
  whenDrained(resume: () => void): void;
}

/**
 * One upstream WebSocket connection as a callback actor. It opens the socket, reports
 * open/close and control frames to the connector machine, feeds trades straight to the data
 * plane, and closes a socket that has been silent for `staleAfterMs`. It never retries:
 * retry belongs to the machine (it invokes a new transport after its backoff).
 */
export function createWsTransport(deps: TransportDeps) {
  return fromCallback<TransportCommand, TransportInput, TransportEvent>(({ input, sendBack, receive }) => {
    const log = deps.logger.child({ source: input.sourceId });
    const dialect = dialectFor(input.kind);
    let ended = false;
    const end = (reason: string) => {
      if (ended) return;
      ended = true;
      sendBack({ type: 'TRANSPORT.CLOSED', reason });
    };
    const data = deps.sink(input.sourceId);
    const session = dialect.createSession({
      sourceId: input.sourceId,
      token: input.token,
      symbols: input.symbols,
      ...symbolMapping(input.venueSymbols),
      sink: { ...data, control: (event) => sendBack(event) },
    });
    const ws = new WebSocket(input.url, {
      headers: dialect.headers,
      handshakeTimeout: deps.handshakeTimeoutMs ?? 10_000,
      maxPayload: deps.maxPayload ?? 64 * 1024 * 1024,
      perMessageDeflate: false,
    });
    const subscribed = new Set<string>();
    let lastMessageAt = Date.now();
    let lastError: string | null = null;
    // Reading paused because the broker is behind: TCP flow control then slows the upstream,
    // and nothing queues without bound in between. Not silence: the watchdog leaves it be.
    let paused = false;
    const resume = () => {
      paused = false;
      lastMessageAt = Date.now();
      if (ws.readyState === WebSocket.OPEN) ws.resume();
    };

    // A timestamp per frame and a coarse check beat re-arming a timer per frame at high rates.
    const watchdog = setInterval(
      () => {
        if (paused || Date.now() - lastMessageAt < input.staleAfterMs) return;
        log.warn({ staleAfterMs: input.staleAfterMs }, 'upstream silent, closing');
        end(`no message for ${input.staleAfterMs} ms`);
        ws.terminate();
      },
      Math.max(50, Math.floor(input.staleAfterMs / 4)),
    );

    ws.on('open', () => {
      lastMessageAt = Date.now();
      for (const frame of session.opening()) ws.send(frame);
      sendBack({ type: 'TRANSPORT.OPEN' });
    });
    ws.on('message', (raw) => {
      lastMessageAt = Date.now();
      data.received?.();
      // binaryType is the default 'nodebuffer': every message, fragmented or not, is one Buffer.
      session.parse((raw as Buffer).toString('utf8'));
      // Frames already received still arrive after pause(); each is parsed and published in order.
      if (!paused && deps.flow?.saturated) {
        paused = true;
        ws.pause();
        deps.flow.whenDrained(resume);
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      lastError = `upgrade refused: HTTP ${res.statusCode}`;
      ws.terminate();
    });
    ws.on('error', (err) => {
      lastError = describeError(err);
    });
    ws.on('close', (code, reason) => {
      end(lastError ?? `closed by upstream (${code}${reason.length ? ` ${reason.toString()}` : ''})`);
    });

    receive((command) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const frames =
        command.type === 'SUBSCRIBE'
          ? session.subscribe(command.symbols)
          : session.unsubscribe(command.symbols);
      for (const s of command.symbols) {
        if (command.type === 'SUBSCRIBE') subscribed.add(s);
        else subscribed.delete(s);
      }
      for (const frame of frames) ws.send(frame);
    });

    return () => {
      ended = true;
      clearInterval(watchdog);
      if (ws.readyState === WebSocket.OPEN) {
        // Leave politely: release upstream subscriptions, then a normal close (1000).
        for (const frame of session.unsubscribe([...subscribed])) ws.send(frame);
        ws.close(1000, 'dataserver leaving');
        setTimeout(() => ws.terminate(), 1000).unref();
      } else {
        ws.terminate();
      }
    };
  });
}

/** Topic ↔ venue symbol names from a source's renames (Maps: names come from upstream). */
function symbolMapping(venueSymbols: Readonly<Record<string, string>> | undefined) {
  const entries = Object.entries(venueSymbols ?? {});
  if (entries.length === 0) return {};
  const toVenue = new Map(entries);
  const toTopic = new Map(entries.map(([topic, venue]) => [venue, topic]));
  return {
    toVenue: (symbol: string) => toVenue.get(symbol) ?? symbol,
    toTopic: (venueSymbol: string) => toTopic.get(venueSymbol) ?? venueSymbol,
  };
}
