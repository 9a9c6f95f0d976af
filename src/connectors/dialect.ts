import type { Trade, UpstreamControl } from '../domain/index.js';

/** Where a dialect session delivers what it parsed. Called synchronously, once per item. */
export interface FrameSink {
  /** Data plane: one normalized trade. Never an actor event. */
  trade(trade: Trade): void;
  /** Control plane: acknowledgements, rejections, sequence gaps. */
  control(event: UpstreamControl): void;
  /** A frame that could not be understood; `reason` is short and stable (a metric label). */
  bad(reason: string, frame: string): void;
  /** A sequence number seen before on this connection: a duplicate or late frame, ignored. */
  duplicate(seqnum: number): void;
}

/** One upstream connection's worth of dialect state (e.g. its sequence counter). */
export interface DialectSession {
  /** Frames to send as soon as the socket opens (e.g. heartbeat subscription). */
  opening(): string[];
  subscribe(symbols: readonly string[]): string[];
  unsubscribe(symbols: readonly string[]): string[];
  /** Parses one text frame, reporting everything in it to the sink. Never throws. */
  parse(frame: string): void;
}

export interface DialectContext {
  sourceId: string;
  token: string;
  /** Every symbol the source offers (not only those with demand), as topics name them. */
  symbols: readonly string[];
  /** The venue's name for a topic symbol, and back (a source's symbol mapping; absent: the same). */
  toVenue?: (symbol: string) => string;
  toTopic?: (venueSymbol: string) => string;
  sink: FrameSink;
  /** Clock for `receivedAt`; injectable for tests. */
  now?: () => Date;
}

/** A venue's wire protocol: everything a connector needs to know that differs between venues. */
export interface Dialect {
  readonly kind: string;
  /** Extra HTTP headers for the WebSocket upgrade request. */
  readonly headers: Readonly<Record<string, string>>;
  createSession(context: DialectContext): DialectSession;
}

export const sameSymbol = (symbol: string): string => symbol;
