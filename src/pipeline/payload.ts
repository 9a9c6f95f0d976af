import type { Trade } from '../domain/index.js';

/** A number as JSON.stringify writes it (non-finite numbers become null). */
const num = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');

/**
 * Serializes trades of one source/symbol, byte for byte as `tradeToJson` does (CONTRACT §3 field
 * order), without building an object per trade first: the constant head is made once per pair,
 * and strings from upstream still go through JSON.stringify, so they are escaped exactly alike.
 */
export class PayloadWriter {
  private readonly head: string;

  constructor(source: string, symbol: string) {
    this.head = `{"source":${JSON.stringify(source)},"symbol":${JSON.stringify(symbol)},"tradeId":`;
  }

  write(t: Trade): string {
    return `${this.head}${JSON.stringify(t.tradeId)},"price":${num(t.price)},"qty":${num(t.qty)},"side":${JSON.stringify(
      t.side,
    )},"timestamp":${JSON.stringify(t.timestamp)},"seqnum":${num(t.seqnum)},"receivedAt":${JSON.stringify(t.receivedAt)}}`;
  }
}
