// Test helper: a real API server in a temporary dir with chosen controllers running against it, for controller tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient } from './runtime/index.ts';
import { startControllerManager, type ControllerSettings } from './manager.ts';
import { startApiServer } from '../server/apiserver.ts';
import { createLogger } from '../server/log.ts';

export interface TestControlPlane {
  /** An admin client of the API server. */
  client: ApiClient;
  /** Starts the controllers (after the test has created what must exist before them). */
  startControllers(controllers: string[], settings?: ControllerSettings): Promise<void>;
  stop(): Promise<void>;
}

/** An API server on a free port with its own SQLite store; nothing logs. */
export async function startTestControlPlane(prefix: string): Promise<TestControlPlane> {
  const quiet = createLogger('test', () => {});
  const dataDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const server = await startApiServer({ dataDir, port: 0, bind: '127.0.0.1', log: quiet });
  const kc = new KubeConfig();
  kc.loadFromFile(server.access.adminKubeconfigPath);
  const client = new ApiClient(kc);
  let manager: Awaited<ReturnType<typeof startControllerManager>> | undefined;
  return {
    client,
    async startControllers(controllers, settings) {
      manager = await startControllerManager({ kubeconfig: server.access.adminKubeconfigPath, log: quiet, leaderElect: false, controllers, ...(settings ? { settings } : {}) });
    },
    async stop() {
      await manager?.stop();
      client.close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` every 100 ms until it yields a value (errors count as "not yet"); throws naming `what` after `ms`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
