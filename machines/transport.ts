/**
 * The messages between a connector machine and its transport actor: the control plane's
 * vocabulary, shared by `machines/` (which reacts to them) and `src/connectors/` (which emits them).
 * It lives here so that every chart in `machines/` stands alone (Stately imports a file as is);
 * `src/domain` re-exports it for the rest of the code.
 */

/** Control messages a dialect reports from upstream frames. */
export type UpstreamControl =
  | { type: 'UPSTREAM.SUBSCRIBED'; symbol: string }
  | { type: 'UPSTREAM.UNSUBSCRIBED'; symbol: string }
  | { type: 'UPSTREAM.REJECTED'; symbol: string | null; text: string }
  | { type: 'UPSTREAM.GAP'; expected: number; received: number };

/** Everything a transport tells its connector. */
export type TransportEvent =
  | { type: 'TRANSPORT.OPEN' }
  | { type: 'TRANSPORT.CLOSED'; reason: string }
  | UpstreamControl;

/** Everything a connector tells its transport. */
export type TransportCommand =
  | { type: 'SUBSCRIBE'; symbols: string[] }
  | { type: 'UNSUBSCRIBE'; symbols: string[] };

/** What a transport needs to open one upstream connection. */
export interface TransportInput {
  sourceId: string;
  kind: string;
  url: string;
  token: string;
  staleAfterMs: number;
  /**
   * How long a subscribe request may go unanswered (no ack, no rejection) before the connection
   * is given up; the connector's timer (default 10,000 ms), not the transport's.
   */
  ackTimeoutMs?: number | undefined;
  /** Every symbol the source offers, as topics name them. */
  symbols: readonly string[];
  /** The venue's own name where it differs from the topic's (`{"BTC-USD": "XBT/USD"}`). */
  venueSymbols?: Readonly<Record<string, string>> | undefined;
}
