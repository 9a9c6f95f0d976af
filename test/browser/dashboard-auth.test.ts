import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../simulator/index.js';
import { hashPassword } from '../../src/broker/index.js';
import { createServer, type DataServer, parseConfig } from '../../src/runtime/index.js';
import { silentLogger } from '../helpers/server.js';
import { waitForUpstream } from '../helpers/upstream.js';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from './chromium.js';

/** A server with `mqtt.auth`: the dashboard asks for an MQTT user and password, then works as usual. */
describe.skipIf(!HAVE_CHROMIUM)(`dashboard sign-in with mqtt.auth (${CHROMIUM})`, () => {
  let sim: Simulator;
  let server: DataServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, rate: 20 });
    const cheap = { N: 1024, r: 8, p: 1 };
    server = await createServer(
      parseConfig({
        mqtt: {
          host: '127.0.0.1',
          port: 0,
          wsPort: 0,
          auth: { users: [{ username: 'viewer', passwordHash: await hashPassword('viewer-secret', cheap) }] },
        },
        http: { host: '127.0.0.1', port: 0 },
        log: { level: 'silent' },
        sources: [{ id: 'blockchain', url: sim.url, lingerMs: 0 }],
      }),
      silentLogger,
    );
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.httpPort}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sim?.close();
  });

  const signIn = async (password: string) => {
    await page.fill('#signin input[name="username"]', 'viewer');
    await page.fill('#signin input[name="password"]', password);
    await page.click('#signin button[type="submit"]');
  };

  it('asks for credentials when the broker refuses an anonymous page', async () => {
    await page.waitForSelector('#signin', { state: 'visible', timeout: 10_000 });
    expect(await page.getAttribute('#link', 'data-state')).toBe('refused');
    expect(await page.getAttribute('.badge[data-source="blockchain"]', 'data-badge')).toBe('disconnected');
  });

  it('asks again after a wrong password', async () => {
    await signIn('wrong');
    await page.waitForSelector('#signin', { state: 'visible', timeout: 10_000 });
    await page.waitForSelector('#link[data-state="refused"]');
  });

  it('signed in, it reads the status and its cards drive upstream demand', async () => {
    await signIn('viewer-secret');
    await page.waitForSelector('#link[data-state="connected"]', { timeout: 10_000 });
    await page.waitForSelector('.badge[data-source="blockchain"]:not([data-badge="disconnected"])');
    await page.click('button[data-action="open"][data-source="blockchain"][data-symbol="BTC-USD"]');
    await page
      .locator('article.card[data-symbol="BTC-USD"] tr[data-trade-id]')
      .nth(2)
      .waitFor({ timeout: 10_000 });
    await waitForUpstream(sim, ['BTC-USD']);
  });
});
