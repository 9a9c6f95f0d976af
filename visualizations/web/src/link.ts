import mqtt, { type MqttClient } from 'mqtt';
import type { Trade } from './book.js';

/** The retained `status/{source}` payload (CONTRACT §3). */
export interface SourceStatus {
  source: string;
  state: string;
  since: string;
  attempt: number;
  nextRetryAt: string | null;
  lastError: string | null;
  symbols: Record<string, string>;
}

/** The retained `machines/{actorId}` payload: the actor's active state paths and viewer context. */
export interface MachineSnapshot {
  actorId: string;
  machine: string;
  value: unknown;
  /** Every active state path, e.g. `["session", "session.subscribed"]`: the SVG ids, less `state:`. */
  states: string[];
  status: string;
  context: Record<string, unknown>;
  at: string;
}

/** MQTT user name and password, for a server configured with `mqtt.auth`. */
export interface Credentials {
  username: string;
  password: string;
}

export interface LinkEvents {
  /** Every (re)connection of the page's MQTT client; `again` after the first. */
  connected(again: boolean): void;
  disconnected(): void;
  trade(trade: Trade): void;
  /** `null` when the retained status was cleared (source removed). */
  status(source: string, status: SourceStatus | null): void;
  machine(actorId: string, snapshot: MachineSnapshot | null): void;
  server(state: string): void;
  /** The server refused the connection; `signIn` true when credentials would help (CONNACK 4, 5). */
  refused(reason: string, signIn: boolean): void;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const RPC_TIMEOUT_MS = 10_000;
const decoder = new TextDecoder();

/** getRandomValues, not randomUUID: the page may be served over plain HTTP on a LAN address. */
function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}

/**
 * The page's one MQTT-over-WebSocket connection: the topics the page always reads, the trade
 * topics the user's cards hold (re-subscribed by us after a reconnect), and JSON-RPC calls on
 * `rpc/{clientId}/request|response`.
 */
export class Link {
  readonly clientId = `dashboard-${randomHex(4)}`;
  private client: MqttClient;
  private readonly held = new Set<string>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private everConnected = false;

  constructor(
    private readonly url: string,
    private readonly events: LinkEvents,
  ) {
    this.client = this.open(undefined);
  }

  /** Connects again as `credentials` (the page's subscriptions and cards carry over). */
  signIn(credentials: Credentials): void {
    const old = this.client;
    old.end(true);
    this.client = this.open(credentials);
  }

  private open(credentials: Credentials | undefined): MqttClient {
    // Our own re-subscription after a reconnect, so that the gap fill starts once it is in place.
    const client = mqtt.connect(this.url, {
      clientId: this.clientId,
      clean: true,
      reconnectPeriod: 1000,
      resubscribe: false,
      ...credentials,
    });
    const current = () => client === this.client;
    client.on('connect', () => {
      if (current()) void this.onConnect();
    });
    client.on('close', () => {
      if (!current()) return;
      this.failPending('the MQTT connection closed');
      this.events.disconnected();
    });
    client.on('error', (error) => {
      if (current()) this.onError(client, error);
    });
    client.on('message', (topic, payload) => {
      if (current()) this.onMessage(topic, payload);
    });
    return client;
  }

  /** A refused CONNACK stops mqtt.js from retrying (MQTT 3.1.1 §3.2.2.3 return codes). */
  private onError(client: MqttClient, error: Error & { code?: unknown }): void {
    if (error.code === 4 || error.code === 5) {
      this.events.refused(error.message, true);
    } else if (error.code === 3) {
      // Server unavailable (its connection limit): try again a little later.
      this.events.refused(error.message, false);
      setTimeout(() => {
        if (client === this.client && !client.connected) client.reconnect();
      }, 5000);
    } else {
      console.warn('MQTT:', error.message);
    }
  }

  get connected(): boolean {
    return this.client.connected;
  }

  private async onConnect(): Promise<void> {
    const again = this.everConnected;
    this.everConnected = true;
    try {
      await this.client.subscribeAsync([
        'status/+',
        'machines/+',
        'dataserver/status',
        `rpc/${this.clientId}/response`,
        ...this.held,
      ]);
    } catch (error) {
      console.warn('MQTT subscribe failed:', error);
      return;
    }
    this.events.connected(again);
  }

  /** Holds `topic` from now on (and after reconnects); resolves once the broker granted it. */
  async hold(topic: string): Promise<void> {
    this.held.add(topic);
    if (!this.client.connected) return;
    const [grant] = await this.client.subscribeAsync(topic);
    if (grant && grant.qos >= 128) throw new Error(`the server refused the subscription to ${topic}`);
  }

  async release(topic: string): Promise<void> {
    this.held.delete(topic);
    if (this.client.connected) await this.client.unsubscribeAsync(topic);
  }

  /** A JSON-RPC 2.0 call over MQTT; rejects with the server's error text, or when offline. */
  call<T>(method: string, params: Record<string, unknown>): Promise<T> {
    if (!this.client.connected) return Promise.reject(new Error('not connected'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer in ${RPC_TIMEOUT_MS / 1000} s`));
      }, RPC_TIMEOUT_MS);
      this.pending.set(id, { resolve: (r) => resolve(r as T), reject, timer });
      const request = JSON.stringify({ jsonrpc: '2.0', method, params, id });
      this.client.publishAsync(`rpc/${this.clientId}/request`, request).catch((error: unknown) => {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  private failPending(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
      this.pending.delete(id);
    }
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    const text = decoder.decode(payload);
    const slash = topic.indexOf('/');
    const kind = topic.slice(0, slash);
    const rest = topic.slice(slash + 1);
    try {
      if (kind === 'trades') this.events.trade(JSON.parse(text) as Trade);
      else if (kind === 'status')
        this.events.status(rest, text === '' ? null : (JSON.parse(text) as SourceStatus));
      else if (kind === 'machines')
        this.events.machine(rest, text === '' ? null : (JSON.parse(text) as MachineSnapshot));
      else if (kind === 'dataserver') this.events.server((JSON.parse(text) as { state: string }).state);
      else if (kind === 'rpc') this.onResponse(text);
    } catch (error) {
      console.warn(`unreadable message on ${topic}:`, error);
    }
  }

  private onResponse(text: string): void {
    const answer = JSON.parse(text) as {
      id?: number;
      result?: unknown;
      error?: { code: number; message: string; data?: string };
    };
    const p = typeof answer.id === 'number' ? this.pending.get(answer.id) : undefined;
    if (!p || answer.id === undefined) return;
    clearTimeout(p.timer);
    this.pending.delete(answer.id);
    if (answer.error) p.reject(new Error(`${answer.error.message}: ${answer.error.data ?? ''}`));
    else p.resolve(answer.result);
  }
}
