import type { Side } from '../src/domain/index.js';

/** A uniform [0, 1) generator. */
export type Random = () => number;

/** mulberry32: a tiny seeded PRNG, plenty for a simulation and identical on every platform. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, so each symbol gets its own stream from one seed regardless of subscription order. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const START_PRICES: Readonly<Record<string, number>> = { 'BTC-USD': 60_000, 'ETH-USD': 3_000 };
const DEFAULT_START_PRICE = 100;

/** Per-trade volatility of the log price: about 2 basis points. */
const STEP_SIGMA = 0.0002;
/** Average trade size in quote currency, so quantities scale sensibly with price. */
const MEAN_NOTIONAL = 1_000;
const MIN_PRICE = 0.01;
const MIN_QTY = 1e-8;

export function startPrice(symbol: string): number {
  return START_PRICES[symbol] ?? DEFAULT_START_PRICE;
}

/** One step of the walk: what a trade needs besides its id and time. */
export interface Tick {
  readonly price: number;
  readonly qty: number;
  readonly side: Side;
}

/** Rounds to `decimals` places; dividing an integer by a power of ten prints as a short decimal. */
export function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/**
 * A seeded multiplicative random walk for one symbol. Pure: no clock, no I/O, so the same
 * (seed, symbol) always yields the same ticks.
 */
export class Market {
  readonly symbol: string;
  private readonly random: Random;
  private price: number;

  constructor(symbol: string, seed: number) {
    this.symbol = symbol;
    this.random = mulberry32((seed ^ hashString(symbol)) >>> 0);
    this.price = startPrice(symbol);
  }

  next(): Tick {
    const z = this.gaussian();
    this.price = Math.max(MIN_PRICE, this.price * Math.exp(STEP_SIGMA * z));
    const notional = -Math.log(1 - this.random()) * MEAN_NOTIONAL;
    return {
      price: Math.max(MIN_PRICE, roundTo(this.price, 2)),
      qty: Math.max(MIN_QTY, roundTo(notional / this.price, 8)),
      // The aggressor moves the price: buyers lift it, sellers hit it.
      side: z >= 0 ? 'buy' : 'sell',
    };
  }

  /** Box–Muller; 1 - u keeps the logarithm's argument in (0, 1]. */
  private gaussian(): number {
    const u = 1 - this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
