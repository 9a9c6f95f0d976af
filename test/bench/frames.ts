/** The Blockchain.com trade frame body (everything after `{"seqnum":n,`) the feeder sends. */
export function tradeBody(i: number, symbol: string, tradeId: string, timestamp: string): string {
  return `"event":"updated","channel":"trades","symbol":"${symbol}","timestamp":"${timestamp}","side":"${
    i % 2 ? 'buy' : 'sell'
  }","qty":0.0125,"price":${50_000 + (i % 1000)},"trade_id":"${tradeId}"}`;
}

export const SYMBOLS = ['BTC-USD', 'ETH-USD'] as const;

export const symbolOf = (i: number): string => SYMBOLS[i % SYMBOLS.length] as string;
