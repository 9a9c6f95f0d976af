import { type Simulator, startSimulator } from '../../simulator/index.js';
import { createServer, type DataServer } from '../../src/runtime/index.js';
import { FAST_BACKOFF, loopbackConfig, silentLogger } from '../helpers/server.js';

export { FAST_BACKOFF };

export interface HttpRig {
  sim: Simulator;
  server: DataServer;
  /** `http://127.0.0.1:<bound port>` */
  base: string;
  mqttUrl: string;
  /** fetch relative to `base`. */
  get(path: string, init?: RequestInit): Promise<Response>;
  /** Closes everything the rig opened (server first), in reverse order. */
  close(): Promise<void>;
}

export interface RigOptions {
  adminToken?: string;
  /** Merged into the one configured source (`blockchain`). */
  source?: Record<string, unknown>;
  rate?: number;
}

/** The real simulator and the real server, on loopback ephemeral ports (HTTP included). */
export async function startRig(options: RigOptions = {}): Promise<HttpRig> {
  const sim = await startSimulator({ port: 0, rate: options.rate ?? 50 });
  let server: DataServer;
  try {
    server = await createServer(
      loopbackConfig(
        [
          {
            id: 'blockchain',
            kind: 'blockchain',
            url: sim.url,
            symbols: ['BTC-USD', 'ETH-USD'],
            backoff: FAST_BACKOFF,
            lingerMs: 0,
            ...options.source,
          },
        ],
        { adminToken: options.adminToken ?? '' },
      ),
      silentLogger,
    );
  } catch (err) {
    await sim.close();
    throw err;
  }
  const base = `http://127.0.0.1:${server.httpPort}`;
  const rig: HttpRig = {
    sim,
    server,
    base,
    mqttUrl: `mqtt://127.0.0.1:${server.broker.port}`,
    get: (path, init) => fetch(`${base}${path}`, init),
    async close() {
      await server.stop();
      await rig.sim.close();
    },
  };
  return rig;
}

/** Reads a JSON body, failing with the text when it is not JSON. */
export async function body<T = Record<string, unknown>>(res: Response): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON (HTTP ${res.status}): ${text.slice(0, 300)}`);
  }
}

export const bearer = (token: string): RequestInit['headers'] => ({ authorization: `Bearer ${token}` });
