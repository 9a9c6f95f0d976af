/** Product ids as they appear inside an error text (dots only between characters, so "X." is "X"). */
const NAME = /[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*/g;

/** The per-symbol acknowledgements one `subscriptions` message implies. */
export interface Acks {
  subscribed: string[];
  unsubscribed: string[];
}

/**
 * Coinbase answers every subscribe and unsubscribe with the FULL current `matches` list, not a
 * per-symbol ack. This remembers the previous list and the requests still unanswered, and turns
 * each new list into the per-symbol SUBSCRIBED/UNSUBSCRIBED the connector machine understands.
 * Sets, not objects: product ids come from upstream, and `__proto__` is a valid symbol.
 */
export class SubscriptionTracker {
  private current = new Set<string>();
  private readonly awaitingSubscribe = new Set<string>();
  private readonly awaitingUnsubscribe = new Set<string>();
  /** Subscribe requests not yet answered, as sent: the venue fails a request as a whole. */
  private batches: string[][] = [];

  /** Whether the last list held `product`. */
  has(product: string): boolean {
    return this.current.has(product);
  }

  /** A subscribe request for `products` went out. */
  requested(products: readonly string[]): void {
    this.batches.push([...products]);
    for (const p of products) {
      this.awaitingSubscribe.add(p);
      this.awaitingUnsubscribe.delete(p);
    }
  }

  /** An unsubscribe request for `products` went out. */
  released(products: readonly string[]): void {
    for (const p of products) {
      this.awaitingUnsubscribe.add(p);
      this.awaitingSubscribe.delete(p);
    }
  }

  /**
   * A product newly in the list is subscribed, one that left it is unsubscribed. A product we asked
   * for is acknowledged even when the list already held it (a subscribe for something upstream
   * still had would otherwise never be answered, leaving the machine waiting); likewise a release.
   */
  update(list: readonly string[]): Acks {
    const next = new Set(list);
    const subscribed = [...next].filter((p) => !this.current.has(p) || this.awaitingSubscribe.has(p));
    const unsubscribed = [...new Set([...this.current, ...this.awaitingUnsubscribe])].filter(
      (p) => !next.has(p),
    );
    for (const p of subscribed) this.awaitingSubscribe.delete(p);
    this.batches = this.batches
      .map((b) => b.filter((p) => this.awaitingSubscribe.has(p)))
      .filter((b) => b.length > 0);
    for (const p of unsubscribed) this.awaitingUnsubscribe.delete(p);
    this.current = next;
    return { subscribed, unsubscribed };
  }

  /**
   * The products an error refers to. Errors carry no request id, so: the request that contains a
   * product the text names (as a whole word: "BTC-USDX" does not name "BTC-USD"), or the only
   * pending request; all of its products still awaiting an answer, since the venue fails a
   * request as a whole. Empty when the error cannot be tied to a request.
   */
  rejected(text: string): string[] {
    const named = new Set(text.match(NAME));
    const pending = this.batches
      .map((batch) => batch.filter((p) => this.awaitingSubscribe.has(p)))
      .filter((batch) => batch.length > 0);
    const batch =
      pending.find((b) => b.some((p) => named.has(p))) ?? (pending.length === 1 ? pending[0] : undefined);
    if (!batch) return [];
    for (const p of batch) this.awaitingSubscribe.delete(p);
    this.batches = pending.filter((b) => b !== batch);
    return batch;
  }
}
