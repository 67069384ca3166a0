// CriClient: typed, promise-based calls to a CRI runtime (containerd) over its unix socket, each with a deadline.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { CriCode, CriError, toCriError } from './errors.ts';
import type {
  AttachRequest, AuthConfig, Container, ContainerConfig, ContainerFilter, ContainerStats, ContainerStatsFilter,
  ContainerStatusResponse, ExecRequest, ExecSyncResult, FilesystemUsage, Image, LinuxContainerResources, PodSandbox,
  PodSandboxConfig, PodSandboxFilter, PodSandboxStats, PodSandboxStatsFilter, PodSandboxStatusResponse,
  StatusResponse, VersionResponse,
} from './types.ts';

/** The CRI API version the kubelet announces in Version requests. */
export const CRI_CLIENT_VERSION = '0.1.0';

const PROTO_PATH = fileURLToPath(new URL('./api.proto', import.meta.url));
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_PULL_TIMEOUT_MS = 5 * 60_000;
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024; // big nodes list many containers; gRPC's 4 MiB default is too small

let packageDefinition: protoLoader.PackageDefinition | undefined;

/** Load api.proto once per process (synchronously: a few ms, and only the first client pays). */
function loadDefinition(): protoLoader.PackageDefinition {
  packageDefinition ??= protoLoader.loadSync(PROTO_PATH, {
    keepCase: false, longs: String, enums: String, defaults: true, oneofs: true,
  });
  return packageDefinition;
}

type Service = 'RuntimeService' | 'ImageService';

export interface CriClientOptions {
  /** Deadline of every call that has no more specific one (default 30 s). */
  timeoutMs?: number;
}

export interface CallOptions {
  /** Deadline of this call, replacing the client's default. */
  timeoutMs?: number;
  /** Aborting cancels the call; it then rejects with a CriError of code CANCELLED. */
  signal?: AbortSignal;
}

/**
 * A connection to one CRI runtime. Every method sends one unary gRPC call and either resolves with the
 * decoded answer or rejects with a CriError carrying the gRPC status code; none waits beyond its deadline.
 * Calls fail fast with UNAVAILABLE while the runtime is down (no waiting for it to come up).
 */
export class CriClient {
  /** The gRPC target, `unix:///absolute/path.sock`. */
  readonly endpoint: string;
  #client: grpc.Client;
  #definition: protoLoader.PackageDefinition;
  #timeoutMs: number;

  /** `socket` is a path or a `unix://` URL. Connecting is lazy: a missing socket shows on the first call. */
  constructor(socket: string, options: CriClientOptions = {}) {
    const path = socket.startsWith('unix://') ? socket.slice('unix://'.length) : socket;
    if (!path.startsWith('/')) throw new Error(`CRI endpoint must be an absolute unix socket path, got ${socket}`);
    this.endpoint = `unix://${path}`;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#definition = loadDefinition();
    this.#client = new grpc.Client(this.endpoint, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
  }

  /** Close the connection; later calls reject. */
  close(): void {
    this.#client.close();
  }

  #call<T>(service: Service, method: string, request: object, options: CallOptions = {}, defaultTimeoutMs = this.#timeoutMs): Promise<T> {
    const serviceDefinition = this.#definition[`runtime.v1.${service}`] as protoLoader.ServiceDefinition | undefined;
    const definition = serviceDefinition?.[method];
    if (!definition) return Promise.reject(new CriError(method, CriCode.UNIMPLEMENTED, 'not in kubelet/cri/api.proto'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new CriError(method, CriCode.CANCELLED, 'aborted before the call'));
    const deadline = new Date(Date.now() + (options.timeoutMs ?? defaultTimeoutMs));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => call.cancel();
      const call = this.#client.makeUnaryRequest(
        definition.path, definition.requestSerialize, definition.responseDeserialize, request,
        new grpc.Metadata(), { deadline },
        (error, response) => {
          signal?.removeEventListener('abort', onAbort);
          if (error) reject(toCriError(method, error));
          // The decoder built from api.proto produces exactly the shapes declared in types.ts.
          else resolve(response as T);
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---- runtime ----------------------------------------------------------------------------------------

  /** Runtime name, version and CRI API version (containerd 1.6: "containerd", "1.6.x…", "v1"). */
  version(options?: CallOptions): Promise<VersionResponse> {
    return this.#call('RuntimeService', 'Version', { version: CRI_CLIENT_VERSION }, options);
  }

  /** RuntimeReady / NetworkReady conditions (NetworkReady is false until a CNI config is loaded). */
  status(verbose = false, options?: CallOptions): Promise<StatusResponse> {
    return this.#call('RuntimeService', 'Status', { verbose }, options);
  }

  /** Tell the runtime the node's pod CIDR (containerd hands it to a CNI config template, if any). */
  async updateRuntimeConfig(podCidr: string, options?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'UpdateRuntimeConfig', { runtimeConfig: { networkConfig: { podCidr } } }, options);
  }

  // ---- pod sandboxes ----------------------------------------------------------------------------------

  /** Create and start a sandbox (pause container + network); resolves with its id. */
  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = '', options?: CallOptions): Promise<string> {
    const r = await this.#call<{ podSandboxId: string }>('RuntimeService', 'RunPodSandbox', { config, runtimeHandler }, options);
    return r.podSandboxId;
  }

  /** Stop every container of the sandbox and tear down its network. Idempotent. */
  async stopPodSandbox(podSandboxId: string, options?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'StopPodSandbox', { podSandboxId }, options);
  }

  /** Remove a sandbox and its containers (containerd: already removed is success). */
  async removePodSandbox(podSandboxId: string, options?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'RemovePodSandbox', { podSandboxId }, options);
  }

  /** Status of one sandbox; NOT_FOUND when the id is unknown. */
  podSandboxStatus(podSandboxId: string, verbose = false, options?: CallOptions): Promise<PodSandboxStatusResponse> {
    return this.#call('RuntimeService', 'PodSandboxStatus', { podSandboxId, verbose }, options);
  }

  async listPodSandbox(filter?: PodSandboxFilter, options?: CallOptions): Promise<PodSandbox[]> {
    const r = await this.#call<{ items: PodSandbox[] }>('RuntimeService', 'ListPodSandbox', { filter }, options);
    return r.items;
  }

  // ---- containers -------------------------------------------------------------------------------------

  /** Create a container in a ready sandbox (the image must be present); resolves with its id. */
  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig, options?: CallOptions): Promise<string> {
    const r = await this.#call<{ containerId: string }>('RuntimeService', 'CreateContainer', { podSandboxId, config, sandboxConfig }, options);
    return r.containerId;
  }

  async startContainer(containerId: string, options?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'StartContainer', { containerId }, options);
  }

  /**
   * Send the stop signal, wait up to `timeoutSeconds`, then SIGKILL. The call's deadline is stretched by
   * the grace period so a slow-to-die container is not reported as a timeout.
   */
  async stopContainer(containerId: string, timeoutSeconds: number, options?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'StopContainer', { containerId, timeout: timeoutSeconds }, options,
      this.#timeoutMs + Math.max(0, timeoutSeconds) * 1000);
  }

  async removeContainer(containerId: string, options?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'RemoveContainer', { containerId }, options);
  }

  async listContainers(filter?: ContainerFilter, options?: CallOptions): Promise<Container[]> {
    const r = await this.#call<{ containers: Container[] }>('RuntimeService', 'ListContainers', { filter }, options);
    return r.containers;
  }

  /** Status of one container; NOT_FOUND when the id is unknown. */
  containerStatus(containerId: string, verbose = false, options?: CallOptions): Promise<ContainerStatusResponse> {
    return this.#call('RuntimeService', 'ContainerStatus', { containerId, verbose }, options);
  }

  async updateContainerResources(containerId: string, linux: LinuxContainerResources, options?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'UpdateContainerResources', { containerId, linux }, options);
  }

  /** Ask the runtime to reopen the container's log file (after the kubelet rotated it). */
  async reopenContainerLog(containerId: string, options?: CallOptions): Promise<void> {
    await this.#call('RuntimeService', 'ReopenContainerLog', { containerId }, options);
  }

  // ---- exec, attach, port-forward ---------------------------------------------------------------------

  /**
   * Run `cmd` in the container and collect its output. `timeoutSeconds` > 0 bounds the command (the
   * runtime then answers DEADLINE_EXCEEDED); our own deadline is that plus the client's default.
   */
  async execSync(containerId: string, cmd: string[], timeoutSeconds = 0, options?: CallOptions): Promise<ExecSyncResult> {
    const r = await this.#call<{ stdout: Uint8Array; stderr: Uint8Array; exitCode: number }>(
      'RuntimeService', 'ExecSync', { containerId, cmd, timeout: timeoutSeconds }, options,
      this.#timeoutMs + Math.max(0, timeoutSeconds) * 1000);
    return { stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr), exitCode: r.exitCode };
  }

  /** URL on the runtime's streaming server where the exec session is served (SPDY or WebSocket). */
  async exec(request: ExecRequest, options?: CallOptions): Promise<string> {
    const r = await this.#call<{ url: string }>('RuntimeService', 'Exec', request, options);
    return r.url;
  }

  async attach(request: AttachRequest, options?: CallOptions): Promise<string> {
    const r = await this.#call<{ url: string }>('RuntimeService', 'Attach', request, options);
    return r.url;
  }

  async portForward(podSandboxId: string, ports: number[], options?: CallOptions): Promise<string> {
    const r = await this.#call<{ url: string }>('RuntimeService', 'PortForward', { podSandboxId, port: ports }, options);
    return r.url;
  }

  // ---- statistics ---------------------------------------------------------------------------------------

  async containerStats(containerId: string, options?: CallOptions): Promise<ContainerStats | null> {
    const r = await this.#call<{ stats: ContainerStats | null }>('RuntimeService', 'ContainerStats', { containerId }, options);
    return r.stats;
  }

  async listContainerStats(filter?: ContainerStatsFilter, options?: CallOptions): Promise<ContainerStats[]> {
    const r = await this.#call<{ stats: ContainerStats[] }>('RuntimeService', 'ListContainerStats', { filter }, options);
    return r.stats;
  }

  /** Pod-level stats; containerd needs the sandbox to have a cgroup parent. */
  async podSandboxStats(podSandboxId: string, options?: CallOptions): Promise<PodSandboxStats | null> {
    const r = await this.#call<{ stats: PodSandboxStats | null }>('RuntimeService', 'PodSandboxStats', { podSandboxId }, options);
    return r.stats;
  }

  async listPodSandboxStats(filter?: PodSandboxStatsFilter, options?: CallOptions): Promise<PodSandboxStats[]> {
    const r = await this.#call<{ stats: PodSandboxStats[] }>('RuntimeService', 'ListPodSandboxStats', { filter }, options);
    return r.stats;
  }

  // ---- images -------------------------------------------------------------------------------------------

  /** The image if the runtime has it, null otherwise (short names resolve to docker.io/library/…). */
  async imageStatus(image: string, verbose = false, options?: CallOptions): Promise<Image | null> {
    const r = await this.#call<{ image: Image | null }>('ImageService', 'ImageStatus', { image: { image }, verbose }, options);
    return r.image;
  }

  /** Pull from a registry; resolves with the image reference (id). Default deadline 5 minutes. */
  async pullImage(image: string, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig, options?: CallOptions): Promise<string> {
    const r = await this.#call<{ imageRef: string }>('ImageService', 'PullImage', { image: { image }, auth, sandboxConfig },
      options, DEFAULT_PULL_TIMEOUT_MS);
    return r.imageRef;
  }

  async listImages(image?: string, options?: CallOptions): Promise<Image[]> {
    const filter = image === undefined ? undefined : { image: { image } };
    const r = await this.#call<{ images: Image[] }>('ImageService', 'ListImages', { filter }, options);
    return r.images;
  }

  /** Remove an image by name or id (containerd: absent is success). */
  async removeImage(image: string, options?: CallOptions): Promise<void> {
    await this.#call('ImageService', 'RemoveImage', { image: { image } }, options);
  }

  /** Usage of the file system(s) holding images. */
  async imageFsInfo(options?: CallOptions): Promise<FilesystemUsage[]> {
    const r = await this.#call<{ imageFilesystems: FilesystemUsage[] }>('ImageService', 'ImageFsInfo', {}, options);
    return r.imageFilesystems;
  }
}
