// What every part of the kubelet shares: API and CRI clients, caches, recorder and node facts.
import type { ApiClient, EventRecorder } from '../controllers/runtime/index.ts';
import type { CriClient } from './cri/client.ts';
import type { RuntimeCache } from './runtime-cache.ts';
import type { ProbeManager } from './probes.ts';
import type { BackoffTracker } from './backoff.ts';
import type { ConfigSource } from './env.ts';
import type { VolumeSource } from './volumes.ts';
import type { DnsSettings } from './pod-config.ts';
import type { Logger } from '../server/log.ts';
import type { Limiter } from './limiter.ts';

export interface KubeletContext {
  client: ApiClient;
  cri: CriClient;
  cache: RuntimeCache;
  probes: ProbeManager;
  backoff: BackoffTracker;
  recorder: EventRecorder;
  config: ConfigSource & VolumeSource;
  log: Logger;
  nodeName: string;
  hostIP: string;
  /** Directory of per-pod state (volumes): <dataDir>/kubelet. */
  kubeletRoot: string;
  /** Directory of CRI container logs (as /var/log/pods). */
  logRoot: string;
  cgroupRoot: string;
  dns: DnsSettings;
  memoryCapacityBytes: number;
  allocatable: { cpuMilli: number; memoryBytes: number; ephemeralStorageBytes: number };
  /** Caps concurrent RunPodSandbox calls (absent: no cap). */
  sandboxStarts?: Limiter;
}
