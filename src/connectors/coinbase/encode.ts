/** Requests of the Coinbase Exchange WebSocket feed (wss://ws-feed.exchange.coinbase.com). */

export function subscribeFrame(products: readonly string[]): string {
  // Heartbeats ride along: one message a second per product keeps the transport's silence
  // watchdog fed on quiet products, and carries the `last_trade_id` that reveals lost trades.
  return JSON.stringify({ type: 'subscribe', product_ids: products, channels: ['matches', 'heartbeat'] });
}

export function unsubscribeFrame(products: readonly string[]): string {
  // Only `matches` is released: the heartbeats go on, so a connection whose demand has all gone
  // stays alive instead of being closed as silent and reopened (Coinbase drops a connection that
  // has not subscribed within 5 s, so an empty reconnect would churn).
  return JSON.stringify({ type: 'unsubscribe', product_ids: products, channels: ['matches'] });
}

/** Heartbeats only: what a connection with no demand yet subscribes, to stay alive and watched. */
export function heartbeatFrame(products: readonly string[]): string {
  return JSON.stringify({ type: 'subscribe', product_ids: products, channels: ['heartbeat'] });
}
