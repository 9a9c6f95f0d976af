import type { Logger } from 'pino';
import { type RawData, WebSocket } from 'ws';
import type { Exchange, Subscriber } from './exchange.js';
import {
  ackBody,
  type Body,
  frame,
  isRejection,
  notSubscribed,
  parseRequest,
  type Rejection,
  rejectedBody,
} from './protocol.js';

/** Beyond this much unsent data a client is not keeping up; dropping it bounds our memory. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

function toText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/**
 * One client socket. Owns the connection's seqnum: every message sent through `send` takes the
 * next number, whatever its channel (CONTRACT §6).
 */
export class Connection implements Subscriber {
  private seqnum = 0;
  private readonly closed: Promise<void>;

  constructor(
    readonly id: number,
    private readonly socket: WebSocket,
    private readonly exchange: Exchange,
    private readonly log: Logger,
  ) {
    this.closed = new Promise((resolve) => {
      socket.once('close', (code: number, reason: Buffer) => {
        exchange.drop(this);
        log.info({ code, reason: reason.toString('utf8') }, 'connection closed');
        resolve();
      });
    });
    socket.on('message', (data) => this.receive(toText(data)));
    socket.on('error', (err) => log.warn({ err }, 'socket error'));
  }

  /** Resolves once the socket has closed, for whatever reason. */
  get done(): Promise<void> {
    return this.closed;
  }

  /** Frames `body` with the next seqnum and sends it; a client too slow to read is dropped. */
  send(body: Body): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const buffered = this.socket.bufferedAmount;
    if (buffered > MAX_BUFFERED_BYTES) {
      this.log.warn({ bufferedAmount: buffered }, 'client too slow, terminating connection');
      this.socket.terminate();
      return;
    }
    this.socket.send(frame(this.seqnum++, body));
  }

  /** Closes with a close frame, or terminates if the client does not answer within `graceMs`. */
  close(code: number, reason: string, graceMs: number): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
    const timer = setTimeout(() => this.socket.terminate(), graceMs).unref();
    return this.closed.finally(() => clearTimeout(timer));
  }

  terminate(): void {
    this.socket.terminate();
  }

  private receive(text: string): void {
    const request = parseRequest(text, this.exchange.symbols);
    if (isRejection(request)) {
      this.reject(request);
      return;
    }
    if (request.action === 'subscribe') {
      // Ack first: no trade may precede the subscription's acknowledgement.
      this.send(ackBody('subscribed', request));
      this.exchange.subscribe(this, request);
      this.log.debug({ request }, 'subscribed');
    } else if (this.exchange.unsubscribe(this, request)) {
      this.send(ackBody('unsubscribed', request));
      this.log.debug({ request }, 'unsubscribed');
    } else {
      this.reject(notSubscribed(request));
    }
  }

  private reject(rejection: Rejection): void {
    this.send(rejectedBody(rejection));
    this.log.debug({ rejection }, 'request rejected');
  }
}
