import mqtt, { type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  /** Date.now() when it arrived. */
  at: number;
  /** Its position in `messages`. */
  index: number;
}

/**
 * A real MQTT client that records every message and lets a test wait for the one it needs.
 * Waiting is event-driven with a deadline, never a sleep.
 */
export class RecordingClient {
  readonly messages: Received[] = [];
  private waiters: Array<{ check: () => boolean }> = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const index = this.messages.length;
      this.messages.push({
        topic,
        payload: payload.toString('utf8'),
        retain: packet.retain,
        at: Date.now(),
        index,
      });
      for (const w of [...this.waiters]) w.check();
    });
  }

  static async connect(url: string, options: mqtt.IClientOptions = {}): Promise<RecordingClient> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    return new RecordingClient(client);
  }

  async subscribe(...filters: string[]): Promise<void> {
    await this.client.subscribeAsync(filters);
  }

  /** How many messages are recorded so far: pass it as `from` to wait only for later ones. */
  mark(): number {
    return this.messages.length;
  }

  /** Resolves with the first recorded message (past or future) matching `predicate`. */
  waitFor(
    predicate: (m: Received) => boolean,
    what: string,
    from = 0,
    timeoutMs = 10_000,
  ): Promise<Received> {
    return this.waitForCount(predicate, 1, what, from, timeoutMs).then((all) => all[0] as Received);
  }

  /** Resolves once `count` messages recorded at index `from` or later match `predicate`. */
  waitForCount(
    predicate: (m: Received) => boolean,
    count: number,
    what: string,
    from = 0,
    timeoutMs = 10_000,
  ): Promise<Received[]> {
    return new Promise((resolve, reject) => {
      const waiter = {
        check: () => {
          const found = this.messages.slice(from).filter(predicate);
          if (found.length < count) return false;
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(found.slice(0, count));
          return true;
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const have = this.messages.slice(from).filter(predicate).length;
        const recent = this.messages
          .slice(-5)
          .map((m) => `${m.topic} ${m.payload.slice(0, 300)}`)
          .join('\n  ');
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what} (${have}/${count} matched); last messages:\n  ${recent}`,
          ),
        );
      }, timeoutMs);
      if (!waiter.check()) this.waiters.push(waiter);
    });
  }

  json<T = Record<string, unknown>>(m: Received): T {
    return JSON.parse(m.payload) as T;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
