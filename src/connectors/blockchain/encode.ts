/** Requests of the Blockchain.com Exchange WebSocket API (CONTRACT §6). */
export function subscribeFrame(channel: 'trades' | 'heartbeat', symbol?: string): string {
  return JSON.stringify(
    symbol === undefined ? { action: 'subscribe', channel } : { action: 'subscribe', channel, symbol },
  );
}

export function unsubscribeFrame(channel: 'trades' | 'heartbeat', symbol?: string): string {
  return JSON.stringify(
    symbol === undefined ? { action: 'unsubscribe', channel } : { action: 'unsubscribe', channel, symbol },
  );
}

export function authFrame(token: string): string {
  return JSON.stringify({ token, action: 'subscribe', channel: 'auth' });
}
