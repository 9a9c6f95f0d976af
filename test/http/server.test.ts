import { once } from 'node:events';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type HttpServer, startHttpServer, tokensEqual } from '../../src/http/index.js';
import { TradeStore } from '../../src/pipeline/index.js';
import { createServer, parseConfig } from '../../src/runtime/index.js';
import { silentLogger } from '../helpers/server.js';
import { body, startRig } from './harness.js';

/** A logger whose records land in an array, to see what the server logged. */
function recordingLogger() {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line)) });
  return { logger, records };
}

describe('the HTTP layer on its own', () => {
  let http: HttpServer | undefined;
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  const start = (metrics: () => Promise<{ contentType: string; body: string }>, logger = silentLogger) =>
    startHttpServer({
      host: '127.0.0.1',
      port: 0,
      logger,
      context: {
        version: '9.9.9',
        startedAt: new Date(),
        ports: () => ({ mqtt: 1, mqttWs: 2 }),
        brokerListening: () => true,
        statuses: () => ({}),
        sources: () => [],
        store: new TradeStore(10),
        metrics,
        adminToken: '',
        sourceSchema: z.strictObject({ id: z.string() }),
        addSource: () => {},
        removeSource: async () => {},
        retrySource: () => undefined,
      },
    });

  it('turns a failing handler into a logged 500 JSON and keeps serving', async () => {
    const { logger, records } = recordingLogger();
    http = await start(async () => {
      throw new Error('registry exploded');
    }, logger);
    const res = await fetch(`http://127.0.0.1:${http.port}/metrics`);
    expect(res.status).toBe(500);
    expect(await body(res)).toEqual({ error: 'internal error' });
    const logged = records.find((r) => r.msg === 'HTTP handler failed');
    expect(logged).toMatchObject({ level: 50, url: '/metrics', err: { message: 'registry exploded' } });
    expect((await fetch(`http://127.0.0.1:${http.port}/health`)).status).toBe(200);
    const info = await body(await fetch(`http://127.0.0.1:${http.port}/api/info`));
    expect(info).toMatchObject({ version: '9.9.9', ports: { mqtt: 1, mqttWs: 2, http: http.port } });
  });

  it('close() stops accepting at once, even with a keep-alive connection open', async () => {
    http = await start(async () => ({ contentType: 'text/plain', body: '' }));
    const url = `http://127.0.0.1:${http.port}/health`;
    expect((await fetch(url, { keepalive: true })).status).toBe(200);
    await http.close();
    await expect(fetch(url)).rejects.toThrow();
  });

  it('compares admin tokens by value only', () => {
    expect(tokensEqual('tok', 'tok')).toBe(true);
    expect(tokensEqual('tok', 'tok2')).toBe(false);
    expect(tokensEqual('', 'tok')).toBe(false);
  });
});

describe('HTTP in the server', () => {
  const listenOnFreePort = async () => {
    const server = createNetServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { server, port: (server.address() as AddressInfo).port };
  };

  it('a taken http.port fails createServer with a message naming it, and the broker it started is closed', async () => {
    const { server: squatter, port } = await listenOnFreePort();
    const probe = await listenOnFreePort();
    const mqttPort = probe.port;
    probe.server.close();
    await once(probe.server, 'close');
    try {
      const config = parseConfig({
        mqtt: { host: '127.0.0.1', port: mqttPort, wsPort: 0 },
        http: { host: '127.0.0.1', port },
        log: { level: 'silent' },
        sources: [{ id: 'blockchain', url: 'ws://127.0.0.1:9/ws' }],
      });
      await expect(createServer(config, silentLogger)).rejects.toThrow(
        `HTTP server cannot listen on 127.0.0.1:${port}`,
      );
      // The MQTT port is free again: the failed start closed its broker.
      const again = createNetServer().listen(mqttPort, '127.0.0.1');
      await once(again, 'listening');
      again.close();
    } finally {
      squatter.close();
    }
  });

  it('stop() closes HTTP first: nothing is answered once the server is stopping', async () => {
    const rig = await startRig();
    const url = `${rig.base}/health`;
    expect((await fetch(url)).status).toBe(200);
    await rig.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});
