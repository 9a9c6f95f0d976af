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

/** Serializes a trade with the contract's field order. */
export function tradeToJson(t: Trade): string {
  return JSON.stringify({
    source: t.source,
    symbol: t.symbol,
    tradeId: t.tradeId,
    price: t.price,
    qty: t.qty,
    side: t.side,
    timestamp: t.timestamp,
    seqnum: t.seqnum,
    receivedAt: t.receivedAt,
  });
}
