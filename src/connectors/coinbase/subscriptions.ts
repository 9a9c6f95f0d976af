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

  /** Whether the last list held `product`. */
  has(product: string): boolean {
    return this.current.has(product);
  }

  /** A subscribe request for `products` went out. */
  requested(products: readonly string[]): void {
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
    for (const p of unsubscribed) this.awaitingUnsubscribe.delete(p);
    this.current = next;
    return { subscribed, unsubscribed };
  }

  /**
   * The product an error refers to: the one product awaiting a subscribe ack that its text names
   * (as a whole word: "BTC-USDX" does not name "BTC-USD"), else null. Errors carry no request id.
   */
  rejected(text: string): string | null {
    const named = [...new Set(text.match(NAME))].filter((w) => this.awaitingSubscribe.has(w));
    const [product] = named;
    if (named.length !== 1 || product === undefined) return null;
    this.awaitingSubscribe.delete(product);
    return product;
  }
}
