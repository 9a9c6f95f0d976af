/**
 * The part of mqtt.js's browser bundle (`mqtt/dist/mqtt.esm.js`, served at `/vendor/mqtt.esm.js`)
 * the dashboard uses. The package's own types describe its Node build and pull Node's globals into
 * this DOM-only program, so the browser code is checked against this narrower surface instead.
 * The bundle's default export is the module namespace: `connect` and friends.
 */
export interface IClientOptions {
  clientId?: string;
  username?: string;
  password?: string;
  clean?: boolean;
  /** Milliseconds between reconnect attempts; 0 turns reconnecting off. */
  reconnectPeriod?: number;
  connectTimeout?: number;
  keepalive?: number;
  /** Re-send the client's subscriptions after a reconnect (default true). */
  resubscribe?: boolean;
}

/** What the client emits on `error`: a refused CONNACK carries its return code in `code`. */
export interface ErrorWithReasonCode extends Error {
  code?: number;
}

export interface ISubscriptionGrant {
  topic: string;
  /** 128 (0x80) when the broker refused the subscription. */
  qos: number;
}

export interface IPublishPacket {
  topic: string;
  retain: boolean;
}

export interface MqttClient {
  readonly connected: boolean;
  on(event: 'connect' | 'reconnect' | 'close' | 'offline', listener: () => void): this;
  on(event: 'error', listener: (error: ErrorWithReasonCode) => void): this;
  on(event: 'message', listener: (topic: string, payload: Uint8Array, packet: IPublishPacket) => void): this;
  subscribeAsync(topics: string | string[]): Promise<ISubscriptionGrant[]>;
  unsubscribeAsync(topics: string | string[]): Promise<unknown>;
  publishAsync(topic: string, message: string): Promise<unknown>;
  end(force?: boolean): this;
  /** Connects again with the same options (also after a refused CONNACK stopped the retries). */
  reconnect(): this;
}

declare const mqtt: {
  connect(url: string, options?: IClientOptions): MqttClient;
};
export default mqtt;
