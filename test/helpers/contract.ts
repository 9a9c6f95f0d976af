/**
 * The normalized trade's fields in wire order, written out from CONTRACT §3 on purpose (not
 * imported from src/), so a change to the implementation cannot silently change the expectation.
 */
export const CONTRACT_TRADE_FIELDS: readonly string[] = [
  'source',
  'symbol',
  'tradeId',
  'price',
  'qty',
  'side',
  'timestamp',
  'seqnum',
  'receivedAt',
];
