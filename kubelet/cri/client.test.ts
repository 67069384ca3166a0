// CriClient against a fake CRI server on a unix socket: encoding, deadlines, cancellation and error mapping (no root needed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRI_CLIENT_VERSION, CriClient } from './client.ts';
import { CriCode, CriError, codeName, isNotFound } from './errors.ts';

const definition = protoLoader.loadSync(fileURLToPath(new URL('./api.proto', import.meta.url)), {
  keepCase: false, longs: String, enums: String, defaults: true, oneofs: true,
});

type Handler = (request: Record<string, unknown>) => Promise<object> | object;

/** A CRI server whose methods answer with whatever the test installed in `handlers`. */
class FakeRuntime {
  readonly handlers = new Map<string, Handler>();
  readonly requests: [string, Record<string, unknown>][] = [];
  readonly socket: string;
  #server = new grpc.Server();
  #dir: string;

  constructor() {
    this.#dir = mkdtempSync(`${tmpdir()}/tskube-fake-cri-`);
    this.socket = `${this.#dir}/cri.sock`;
    for (const service of ['RuntimeService', 'ImageService']) {
      const serviceDefinition = definition[`runtime.v1.${service}`] as grpc.ServiceDefinition;
      const implementation: grpc.UntypedServiceImplementation = {};
      for (const method of Object.keys(serviceDefinition)) {
        implementation[method] = (call: grpc.ServerUnaryCall<Record<string, unknown>, object>, callback: grpc.sendUnaryData<object>) => {
          this.requests.push([method, call.request]);
          const handler = this.handlers.get(method);
          if (!handler) return callback({ code: grpc.status.UNIMPLEMENTED, details: `${method} not faked` });
          Promise.resolve()
            .then(() => handler(call.request))
            .then((r) => callback(null, r), (e: unknown) => callback(e as grpc.ServiceError));
        };
      }
      this.#server.addService(serviceDefinition, implementation);
    }
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(`unix://${this.socket}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve()));
    });
  }

  stop(): void {
    this.#server.forceShutdown();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

describe('CriClient against a fake runtime', () => {
  const fake = new FakeRuntime();
  let client: CriClient;

  beforeAll(async () => {
    await fake.start();
    client = new CriClient(`unix://${fake.socket}`, { timeoutMs: 2000 });
  });
  afterAll(() => {
    client.close();
    fake.stop();
  });

  it('sends the kubelet CRI version and decodes the runtime identity', async () => {
    fake.handlers.set('Version', () => ({ version: '0.1.0', runtimeName: 'fake', runtimeVersion: '9.9', runtimeApiVersion: 'v1' }));
    expect(await client.version()).toEqual({ version: '0.1.0', runtimeName: 'fake', runtimeVersion: '9.9', runtimeApiVersion: 'v1' });
    expect(fake.requests.at(-1)).toEqual(['Version', { version: CRI_CLIENT_VERSION }]);
  });

  it('sends 64-bit fields given as numbers and receives them as exact decimal strings', async () => {
    const nanos = '1795394064686399945'; // beyond Number.MAX_SAFE_INTEGER
    fake.handlers.set('ContainerStatus', () => ({ status: { id: 'c1', state: 'CONTAINER_EXITED', createdAt: nanos, exitCode: 3 } }));
    const status = (await client.containerStatus('c1')).status;
    expect(status).toMatchObject({ id: 'c1', state: 'CONTAINER_EXITED', createdAt: nanos, startedAt: '0', exitCode: 3, reason: '', labels: {} });
    expect(status?.metadata).toBeNull();

    fake.handlers.set('StopContainer', () => ({}));
    await client.stopContainer('c1', 30);
    expect(fake.requests.at(-1)).toEqual(['StopContainer', { containerId: 'c1', timeout: '30' }]);
  });

  it('sends nested configs with enums by name and maps intact', async () => {
    fake.handlers.set('RunPodSandbox', () => ({ podSandboxId: 'sb1' }));
    const id = await client.runPodSandbox({
      metadata: { name: 'p', uid: 'u', namespace: 'ns', attempt: 1 },
      portMappings: [{ protocol: 'UDP', containerPort: 53, hostPort: 5353 }],
      labels: { a: 'b' },
      linux: { cgroupParent: '/kubepods/podu', securityContext: { namespaceOptions: { pid: 'CONTAINER' } } },
    });
    expect(id).toBe('sb1');
    const [, request] = fake.requests.at(-1)!;
    expect(request).toMatchObject({
      config: {
        metadata: { name: 'p', uid: 'u', namespace: 'ns', attempt: 1 },
        portMappings: [{ protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '' }],
        labels: { a: 'b' },
        linux: { cgroupParent: '/kubepods/podu', securityContext: { namespaceOptions: { pid: 'CONTAINER', network: 'POD' } } },
      },
      runtimeHandler: '',
    });
  });

  it('returns ExecSync output as Buffers', async () => {
    fake.handlers.set('ExecSync', () => ({ stdout: Buffer.from('hi\n'), exitCode: 0 }));
    expect(await client.execSync('c1', ['echo', 'hi'], 5)).toEqual({ stdout: Buffer.from('hi\n'), stderr: Buffer.alloc(0), exitCode: 0 });
  });

  it('returns null from ImageStatus when the runtime does not have the image', async () => {
    fake.handlers.set('ImageStatus', () => ({}));
    expect(await client.imageStatus('nope')).toBeNull();
  });

  it('rejects with a CriError carrying the runtime status code and text', async () => {
    fake.handlers.set('PodSandboxStatus', () => {
      throw { code: grpc.status.NOT_FOUND, details: 'an error occurred when try to find sandbox "x": not found' };
    });
    const err = await client.podSandboxStatus('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CriError);
    expect(err).toMatchObject({ method: 'PodSandboxStatus', code: CriCode.NOT_FOUND, codeName: 'NOT_FOUND' });
    expect((err as CriError).message).toBe('CRI PodSandboxStatus: NOT_FOUND: an error occurred when try to find sandbox "x": not found');
    expect(isNotFound(err)).toBe(true);
  });

  it('gives up with DEADLINE_EXCEEDED when the runtime does not answer in time', async () => {
    fake.handlers.set('ListPodSandbox', () => new Promise(() => {}));
    const started = Date.now();
    const err = await client.listPodSandbox(undefined, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: CriCode.DEADLINE_EXCEEDED });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('stretches the StopContainer deadline by the grace period', async () => {
    fake.handlers.set('StopContainer', () => new Promise((r) => setTimeout(() => r({}), 400)));
    const quick = new CriClient(fake.socket, { timeoutMs: 200 });
    try {
      await expect(quick.stopContainer('c1', 1)).resolves.toBeUndefined();
    } finally {
      quick.close();
    }
  });

  it('cancels a call when its AbortSignal fires', async () => {
    fake.handlers.set('ListContainers', () => new Promise(() => {}));
    const controller = new AbortController();
    const pending = client.listContainers(undefined, { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toMatchObject({ code: CriCode.CANCELLED });
    const already = await client.listContainers(undefined, { signal: controller.signal }).catch((e: unknown) => e);
    expect(already).toMatchObject({ code: CriCode.CANCELLED });
  });
});

describe('CriClient without a runtime', () => {
  it('rejects at once with UNAVAILABLE when nothing listens on the socket', async () => {
    const client = new CriClient('/nonexistent/tskube/cri.sock', { timeoutMs: 5000 });
    const started = Date.now();
    const err = await client.version().catch((e: unknown) => e);
    client.close();
    expect(err).toMatchObject({ code: CriCode.UNAVAILABLE });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('refuses an endpoint that is not an absolute unix socket path', () => {
    expect(() => new CriClient('localhost:1234')).toThrow(/absolute unix socket path/);
  });

  it.each([
    [CriCode.OK, 'OK'],
    [CriCode.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED'],
    [CriCode.NOT_FOUND, 'NOT_FOUND'],
    [CriCode.UNAVAILABLE, 'UNAVAILABLE'],
    [99, 'CODE_99'],
  ])('names gRPC code %i %s', (code, name) => {
    expect(codeName(code)).toBe(name);
  });
});
