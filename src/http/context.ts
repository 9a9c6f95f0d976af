import type { z } from 'zod';
import type { TradeStore } from '../pipeline/index.js';

/** The parts of a source's status (the retained `status/{source}` payload) this layer reads. */
export interface SourceState {
  readonly state: string;
  readonly lastError: string | null;
  /** Per-symbol upstream state; any symbol not `idle` means someone wants it (demand). */
  readonly symbols: Readonly<Record<string, string>>;
}

/** A source's configuration as shown over HTTP: never its token. */
export interface SourceView {
  readonly id: string;
  readonly kind: string;
  readonly url: string;
  readonly [key: string]: unknown;
}

/**
 * What the HTTP layer reads and drives. The runtime passes live views (functions), so this layer
 * never imports the runtime and each answer reflects the moment of the request.
 */
export interface HttpContext<S extends { id: string } = { id: string }> {
  readonly version: string;
  readonly startedAt: Date;
  /** Bound MQTT ports; the HTTP port is added by the server itself. */
  ports(): { mqtt: number; mqttWs: number };
  brokerListening(): boolean;
  /** Current status of every running source, by id (the full status objects, shown as they are). */
  statuses(): Readonly<Record<string, SourceState>>;
  /** Every running source's configuration, token left out. */
  sources(): SourceView[];
  readonly store: TradeStore;
  /** Prometheus text exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Empty: admin routes refused to everyone. */
  readonly adminToken: string;
  /** Validates a source object of the config (the same schema the config file uses). */
  readonly sourceSchema: z.ZodType<S>;
  addSource(source: S): void;
  /** Resolves once the source is stopped and its retained status cleared. */
  removeSource(id: string): Promise<void>;
  /** RETRY for a `failed` source; answers the state it was in (undefined: unknown source). */
  retrySource(id: string): string | undefined;
}
