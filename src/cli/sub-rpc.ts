import { topics } from '../domain/index.js';

/** A JSON-RPC 2.0 error answer, with the server's `data` text when it sent one. */
export class RpcCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'RpcCallError';
  }
}

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * JSON-RPC 2.0 over MQTT with the client's own id (CONTRACT §3): requests go to
 * `rpc/{clientId}/request`, answers come on `rpc/{clientId}/response`, which the caller must have
 * subscribed and passes to `handle`.
 */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly clientId: string,
    private readonly publish: (topic: string, payload: string) => void,
    private readonly timeoutMs = 5000,
  ) {}

  get responseTopic(): string {
    return topics.rpcResponse(this.clientId);
  }

  call(method: string, params: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.publish(topics.rpcRequest(this.clientId), JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  /** An answer from the response topic; anything that is not one of ours is ignored. */
  handle(payload: unknown): void {
    if (typeof payload !== 'object' || payload === null) return;
    const { id, result, error } = payload as { id?: unknown; result?: unknown; error?: unknown };
    const waiting = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (!waiting) return;
    this.pending.delete(id as number);
    clearTimeout(waiting.timer);
    if (error && typeof error === 'object') {
      const e = error as { code?: unknown; message?: unknown; data?: unknown };
      const text = [e.message, e.data].filter((x) => typeof x === 'string').join(': ');
      waiting.reject(new RpcCallError(typeof e.code === 'number' ? e.code : 0, text || 'error'));
    } else {
      waiting.resolve(result);
    }
  }

  /** Rejects every call still waiting (the client is closing). */
  failAll(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
      this.pending.delete(id);
    }
  }
}
