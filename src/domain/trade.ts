/** Aggressor (taker) side of a trade. */
export type Side = 'buy' | 'sell';

/**
 * One normalized trade, as published on `trades/{source}/{symbol}` (CONTRACT §3).
 * Field order here is the field order on the wire.
 */
export interface Trade {
  readonly source: string;
  readonly symbol: string;
  readonly tradeId: string;
  readonly price: number;
  readonly qty: number;
  readonly side: Side;
  /** The upstream's own timestamp text, unchanged (0, 6 or 9 fractional digits). */
  readonly timestamp: string;
  /** The upstream's per-connection sequence number of the frame that carried the trade. */
  readonly seqnum: number;
  /** When DataServer read the frame, ISO-8601 UTC with milliseconds. */
  readonly receivedAt: string;
}

/** A number as JSON.stringify writes it (non-finite numbers become null). */
const num = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');

/**
 * The one serializer of the wire format (CONTRACT §3 field order), for the trades of one
 * source/symbol: the constant head is made once, and no object is built per trade (the data plane
 * keeps one writer per pair). Strings from upstream go through JSON.stringify, so they are escaped
 * exactly as JSON.stringify of the whole trade would.
 */
export class TradeJsonWriter {
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

/** Serializes one trade with the contract's field order (off the hot path: a writer per call). */
export function tradeToJson(t: Trade): string {
  return new TradeJsonWriter(t.source, t.symbol).write(t);
}
