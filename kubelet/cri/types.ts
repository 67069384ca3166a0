// TypeScript shapes of the CRI (runtime.v1) messages in api.proto, as CriClient sends and receives them.
//
// Field names are the proto names in camelCase (proto-loader's conversion). Received messages are
// decoded with every scalar present (defaults), absent sub-messages as null, enums as their names, and
// 64-bit integers as decimal strings (nanosecond timestamps do not fit a JS number exactly).
// Messages we send are partial: an omitted field is the proto default; 64-bit fields take numbers.

/** A 64-bit integer as received: decimal string. */
export type Int64 = string;

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type SecurityProfileType = 'RuntimeDefault' | 'Unconfined' | 'Localhost';

// ---- shared pieces (same shape both ways) -------------------------------------------------------------

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface ImageSpec {
  image: string;
  annotations?: Record<string, string>;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: MountPropagation;
}

export interface PortMapping {
  protocol?: Protocol;
  containerPort: number;
  hostPort?: number;
  hostIp?: string;
}

export interface Device {
  containerPath: string;
  hostPath: string;
  permissions: string;
}

// ---- what we send ------------------------------------------------------------------------------------

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  targetId?: string;
  usernsOptions?: {
    mode?: NamespaceMode;
    uids?: { hostId: number; containerId: number; length: number }[];
    gids?: { hostId: number; containerId: number; length: number }[];
  };
}

export interface SELinuxOption {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}

export interface SecurityProfile {
  profileType?: SecurityProfileType;
  localhostRef?: string;
}

export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  hugepageLimits?: { pageSize: string; limit: number }[];
  unified?: Record<string, string>;
  memorySwapLimitInBytes?: number;
}

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  selinuxOptions?: SELinuxOption;
  runAsUser?: { value: number };
  runAsGroup?: { value: number };
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  privileged?: boolean;
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}

export interface LinuxContainerSecurityContext {
  capabilities?: { addCapabilities?: string[]; dropCapabilities?: string[]; addAmbientCapabilities?: string[] };
  privileged?: boolean;
  namespaceOptions?: NamespaceOption;
  selinuxOptions?: SELinuxOption;
  runAsUser?: { value: number };
  runAsGroup?: { value: number };
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  noNewPrivs?: boolean;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  /** Directory holding the pod's container logs; ContainerConfig.logPath is relative to it. */
  logDirectory?: string;
  dnsConfig?: { servers?: string[]; searches?: string[]; options?: string[] };
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    /** Give every pod one (e.g. /kubepods/besteffort/pod<uid>): pod stats need it. */
    cgroupParent?: string;
    securityContext?: LinuxSandboxSecurityContext;
    sysctls?: Record<string, string>;
    overhead?: LinuxContainerResources;
    resources?: LinuxContainerResources;
  };
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  devices?: Device[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: { resources?: LinuxContainerResources; securityContext?: LinuxContainerSecurityContext };
}

export interface PodSandboxFilter {
  id?: string;
  state?: { state: PodSandboxState };
  labelSelector?: Record<string, string>;
}

export interface ContainerFilter {
  id?: string;
  state?: { state: ContainerState };
  podSandboxId?: string;
  labelSelector?: Record<string, string>;
}

export interface ContainerStatsFilter {
  id?: string;
  podSandboxId?: string;
  labelSelector?: Record<string, string>;
}

export interface PodSandboxStatsFilter {
  id?: string;
  labelSelector?: Record<string, string>;
}

export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

export interface AttachRequest {
  containerId: string;
  stdin?: boolean;
  tty?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

// ---- what we receive ---------------------------------------------------------------------------------

export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface StatusResponse {
  status: { conditions: RuntimeCondition[] } | null;
  info: Record<string, string>;
}

export interface UInt64Value {
  value: Int64;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: Int64;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface PodSandboxStatus extends PodSandbox {
  network: { ip: string; additionalIps: { ip: string }[] } | null;
  linux: { namespaces: { options: ReceivedNamespaceOption | null } | null } | null;
}

export interface ReceivedNamespaceOption {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  targetId: string;
}

export interface PodSandboxStatusResponse {
  status: PodSandboxStatus | null;
  /** Runtime-specific details, filled only when asked for verbosely. */
  info: Record<string, string>;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  imageRef: string;
  state: ContainerState;
  createdAt: Int64;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ReceivedLinuxContainerResources {
  cpuPeriod: Int64;
  cpuQuota: Int64;
  cpuShares: Int64;
  memoryLimitInBytes: Int64;
  oomScoreAdj: Int64;
  cpusetCpus: string;
  cpusetMems: string;
  hugepageLimits: { pageSize: string; limit: Int64 }[];
  unified: Record<string, string>;
  memorySwapLimitInBytes: Int64;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata | null;
  state: ContainerState;
  createdAt: Int64;
  startedAt: Int64;
  finishedAt: Int64;
  exitCode: number;
  image: ImageSpec | null;
  imageRef: string;
  /** e.g. Completed, Error, OOMKilled (set once the container has exited). */
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: Required<Mount>[];
  logPath: string;
  resources: { linux: ReceivedLinuxContainerResources | null } | null;
}

export interface ContainerStatusResponse {
  status: ContainerStatus | null;
  info: Record<string, string>;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface FilesystemUsage {
  timestamp: Int64;
  fsId: { mountpoint: string } | null;
  usedBytes: UInt64Value | null;
  inodesUsed: UInt64Value | null;
}

export interface CpuUsage {
  timestamp: Int64;
  usageCoreNanoSeconds: UInt64Value | null;
  usageNanoCores: UInt64Value | null;
}

export interface MemoryUsage {
  timestamp: Int64;
  workingSetBytes: UInt64Value | null;
  availableBytes: UInt64Value | null;
  usageBytes: UInt64Value | null;
  rssBytes: UInt64Value | null;
  pageFaults: UInt64Value | null;
  majorPageFaults: UInt64Value | null;
}

export interface ContainerStats {
  attributes: {
    id: string;
    metadata: ContainerMetadata | null;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  } | null;
  cpu: CpuUsage | null;
  memory: MemoryUsage | null;
  writableLayer: FilesystemUsage | null;
}

export interface NetworkInterfaceUsage {
  name: string;
  rxBytes: UInt64Value | null;
  rxErrors: UInt64Value | null;
  txBytes: UInt64Value | null;
  txErrors: UInt64Value | null;
}

export interface PodSandboxStats {
  attributes: {
    id: string;
    metadata: PodSandboxMetadata | null;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  } | null;
  linux: {
    cpu: CpuUsage | null;
    memory: MemoryUsage | null;
    network: { timestamp: Int64; defaultInterface: NetworkInterfaceUsage | null; interfaces: NetworkInterfaceUsage[] } | null;
    process: { timestamp: Int64; processCount: UInt64Value | null } | null;
    containers: ContainerStats[];
  } | null;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: Int64;
  /** Set when the image runs as a numeric user. */
  uid: { value: Int64 } | null;
  /** Set when the image runs as a named user. */
  username: string;
  spec: ImageSpec | null;
  pinned: boolean;
}
