import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import type { DataServer } from '../../src/runtime/index.js';
import { RecordingClient } from '../helpers/mqtt.js';
import { startTestServer } from '../helpers/server.js';
import { waitForUpstream } from '../helpers/upstream.js';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from './chromium.js';

/**
 * The dashboard as a user meets it: Debian's Chromium (never a downloaded browser) loads `GET /`
 * from a real server fed by the real simulator, and the test reads the page through the DOM
 * attributes it exposes (`data-state`, `data-trade-id`, …) while watching upstream demand from
 * the simulator's side.
 */
const SCREENSHOT = new URL('../../artifacts/dashboard.png', import.meta.url);

const CARD = 'article.card[data-source="blockchain"][data-symbol="BTC-USD"]';
const ROWS = `${CARD} tr[data-trade-id]`;
const CHART = '.statechart[data-source="blockchain"]';
const BADGE = '.badge[data-source="blockchain"]';
/** States the connector passes through between losing its upstream and trading again. */
const RECONNECT_STATES = ['backoff', 'session.connecting', 'session.resubscribing'];

describe.skipIf(!HAVE_CHROMIUM)(`dashboard in Chromium (${CHROMIUM})`, () => {
  let sim: Simulator;
  let server: DataServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, rate: 20, symbols: ['BTC-USD', 'ETH-USD'] });
    server = await startTestServer(sim.url);
    const built = await fetch(`http://127.0.0.1:${server.httpPort}/assets/main.js`);
    if (built.status !== 200) throw new Error('the dashboard is not built: run `npm run build` first');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console: ${message.text()} ${message.location().url}`);
    });
    await page.goto(`http://127.0.0.1:${server.httpPort}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sim?.close();
  });

  const tradeIds = (): Promise<string[]> =>
    page.$$eval(ROWS, (rows) => rows.map((row) => row.getAttribute('data-trade-id') ?? ''));

  const maxId = async () => Math.max(0, ...(await tradeIds()).map(Number));

  /** Waits until the card shows a trade with a numeric id above `id`. */
  const waitForTradeAfter = (id: number) =>
    vi.waitFor(async () => expect(await maxId()).toBeGreaterThan(id), { timeout: 10_000, interval: 50 });

  /**
   * The rows shown (the newest ones) against the server's store: each trade id once, and every
   * trade the server holds between the oldest and newest row is shown. Only BTC-USD is
   * subscribed upstream, so the simulator's ids for it are consecutive: the window has no hole.
   */
  const expectWholeWindow = async (when: string) => {
    const ids = await tradeIds();
    expect(new Set(ids).size, `duplicate rows ${when}`).toBe(ids.length);
    const shown = ids.map(Number).sort((a, b) => a - b);
    const [lo, hi] = [shown[0] ?? 0, shown[shown.length - 1] ?? 0];
    const held = server.store
      .recent('BTC-USD', { count: 1000 })
      .map((t) => Number(t.tradeId))
      .filter((id) => id >= lo && id <= hi)
      .sort((a, b) => a - b);
    expect(shown, `rows vs the server's store ${when}`).toEqual(held);
    expect(held, `consecutive ids ${when}`).toEqual(Array.from({ length: hi - lo + 1 }, (_, i) => lo + i));
  };

  it('shows live BTC-USD trades once the user subscribes, and upstream demand follows', async () => {
    await page.click('button[data-action="open"][data-source="blockchain"][data-symbol="BTC-USD"]');
    await page.waitForSelector(`${CARD}[data-state="live"]`, { timeout: 10_000 });
    await page.locator(ROWS).nth(4).waitFor({ timeout: 10_000 });
    await waitForUpstream(sim, ['BTC-USD']);
    const sides = await page.$$eval(ROWS, (rows) => rows.map((row) => row.getAttribute('data-side')));
    expect(sides.every((side) => side === 'buy' || side === 'sell')).toBe(true);
    await page.waitForSelector(`${BADGE}[data-badge="connected"]`, { timeout: 10_000 });
  });

  it('pausing releases the upstream subscription and keeps the trades; resuming takes it again', async () => {
    const shown = (await tradeIds()).length;
    await page.click(`${CARD} button[data-action="pause"]`);
    await page.waitForSelector(`${CARD}[data-state="paused"]`);
    await waitForUpstream(sim, []);
    expect((await tradeIds()).length).toBeGreaterThanOrEqual(shown);

    const before = await maxId();
    await page.click(`${CARD} button[data-action="resume"]`);
    await page.waitForSelector(`${CARD}[data-state="live"]`, { timeout: 10_000 });
    await waitForUpstream(sim, ['BTC-USD']);
    await waitForTradeAfter(before);
    await expectWholeWindow('after pause and resume');
  });

  it('lights the statechart: an upstream outage goes to a reconnect state and back to session.subscribed', async () => {
    await page.waitForSelector(`${CHART} [id="state:session.subscribed"].current`, { timeout: 10_000 });
    const before = await maxId();
    // Drops the connection and refuses new ones for a second: the reconnect states last long enough
    // for a person (and this test) to see them.
    sim.fault({ kind: 'refuse', seconds: 1 });
    await page.waitForSelector(
      RECONNECT_STATES.map((state) => `${CHART}[data-state="${state}"]`).join(', '),
      {
        timeout: 10_000,
      },
    );
    const lit = await page.$$eval(`${CHART} .current`, (els) => els.map((el) => el.id));
    expect(lit.some((id) => RECONNECT_STATES.includes(id.slice('state:'.length)))).toBe(true);
    await page.waitForSelector(`${BADGE}:is([data-badge="lost"], [data-badge="reconnecting"])`, {
      timeout: 10_000,
    });

    await page.waitForSelector(`${CHART}[data-state="session.subscribed"]`, { timeout: 15_000 });
    await page.waitForSelector(`${CHART} [id="state:session.subscribed"].current`);
    await page.waitForSelector(`${BADGE}[data-badge="connected"]`, { timeout: 10_000 });
    await waitForTradeAfter(before);
    await expectWholeWindow('after the outage');
  });

  it('fills the gap after its own MQTT reconnect from the server history', async () => {
    const clientId = await page.getAttribute('#link', 'data-client-id');
    expect(clientId).toMatch(/^dashboard-/);
    // Another holder keeps the symbol subscribed upstream while the page is away, so trades keep
    // flowing into the server's store: the page must fetch exactly those it missed.
    const holder = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    await holder.subscribe('trades/blockchain/BTC-USD');
    const before = await maxId();
    // The same client id takes the session over: the broker drops the page's connection.
    const intruder = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`, {
      clientId: clientId ?? '',
    });
    await page.waitForSelector('#link[data-state="reconnecting"]', { timeout: 10_000 });
    await intruder.close();
    await holder.waitForCount(
      (m) => m.topic === 'trades/blockchain/BTC-USD',
      5,
      'trades while the page is away',
    );
    await page.waitForSelector('#link[data-state="connected"]', { timeout: 10_000 });
    await waitForTradeAfter(before + 5);
    await holder.close();
    await expectWholeWindow("after the page's reconnect");
  });

  it('never shows a trade twice, and shows every trade the server holds in the window', async () => {
    await waitForTradeAfter((await maxId()) + 3);
    await expectWholeWindow('at the end');
  });

  it('loads the recent history over JSON-RPC when a card opens', async () => {
    // Someone else has been watching ETH-USD, so the server holds trades from before the card opens.
    const holder = await RecordingClient.connect(`mqtt://127.0.0.1:${server.broker.port}`);
    await holder.subscribe('trades/blockchain/ETH-USD');
    const [earliest] = await holder.waitForCount(
      (m) => m.topic === 'trades/blockchain/ETH-USD',
      10,
      'ETH-USD',
    );
    const earliestId = holder.json<{ tradeId: string }>(earliest!).tradeId;
    await page.click('button[data-action="open"][data-source="blockchain"][data-symbol="ETH-USD"]');
    const eth = 'article.card[data-source="blockchain"][data-symbol="ETH-USD"]';
    await page.waitForSelector(`${eth} tr[data-trade-id="${earliestId}"]`, { timeout: 10_000 });
    await holder.close();
    await page.locator(`${eth} tr[data-trade-id]`).nth(15).waitFor({ timeout: 10_000 });
    mkdirSync(new URL('.', SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
  });

  it('dismissing the cards releases all upstream demand and offers the symbols again', async () => {
    for (const symbol of ['BTC-USD', 'ETH-USD']) {
      await page.click(`article.card[data-symbol="${symbol}"] button[data-action="dismiss"]`);
    }
    await page.waitForSelector('article.card', { state: 'detached', timeout: 10_000 });
    await waitForUpstream(sim, []);
    expect(await page.isEnabled('button[data-action="open"][data-symbol="BTC-USD"]')).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});

describe.skipIf(!HAVE_CHROMIUM)('dashboard at 1,000 trades/s', () => {
  let sim: Simulator;
  let server: DataServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, rate: 1000, symbols: ['BTC-USD', 'ETH-USD'] });
    server = await startTestServer(sim.url);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`http://127.0.0.1:${server.httpPort}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sim?.close();
  });

  it('keeps a bounded table of unique rows and stays responsive to the user', async () => {
    const rowIds = () =>
      page.$$eval(ROWS, (rows) => rows.map((row) => Number(row.getAttribute('data-trade-id'))));
    await page.click('button[data-action="open"][data-source="blockchain"][data-symbol="BTC-USD"]');
    await page.locator(ROWS).nth(4).waitFor({ timeout: 10_000 });
    const first = Math.min(...(await rowIds()));
    // Frames the page rendered while at least 3,000 trades arrived: a figure to read, not a pass mark.
    const counting = page.evaluate(`new Promise((resolve) => {
      let frames = 0;
      const started = performance.now();
      const tick = () => {
        frames++;
        if (performance.now() - started < 2000) requestAnimationFrame(tick);
        else resolve(frames / ((performance.now() - started) / 1000));
      };
      requestAnimationFrame(tick);
    })`);
    await vi.waitFor(async () => expect(Math.max(...(await rowIds()))).toBeGreaterThan(first + 3000), {
      timeout: 40_000,
      interval: 100,
    });
    console.log(`dashboard at 1,000 trades/s: ${Number(await counting).toFixed(1)} frames/s`);
    const ids = await rowIds();
    expect(ids.length).toBe(200);
    expect(new Set(ids).size).toBe(ids.length);
    await page.click(`${CARD} button[data-action="pause"]`);
    await page.waitForSelector(`${CARD}[data-state="paused"]`, { timeout: 10_000 });
    await waitForUpstream(sim, []);
  }, 60_000);
});
