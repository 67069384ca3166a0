// The Kubernetes version tskube reports at /version and in OpenAPI info: one constant, read everywhere.

/**
 * The upstream release whose behaviour we serve. kubectl's dispatcher (/usr/bin/kubectl) picks the kubectl
 * binary by `minor`, so this is the newest minor we test against. Change it here and nowhere else.
 */
export const KUBE_VERSION = { major: 1, minor: 33, patch: 0 } as const;

/** `v1.33.0`: the gitVersion and the OpenAPI `info.version`. */
export const GIT_VERSION = `v${KUBE_VERSION.major}.${KUBE_VERSION.minor}.${KUBE_VERSION.patch}`;

/** k8s.io/apimachinery/pkg/version.Info as upstream serves it at /version (field order as upstream). */
export interface VersionInfo {
  major: string;
  minor: string;
  emulationMajor: string;
  emulationMinor: string;
  minCompatibilityMajor: string;
  minCompatibilityMinor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export interface VersionOptions {
  /** Our own commit, when the caller knows it; upstream prints a 40-hex commit here. */
  gitCommit?: string;
  /** RFC 3339 build time; defaults to a fixed date so documents stay byte-stable. */
  buildDate?: string;
  /** `linux/amd64` by default; `process.platform/arch` mapped to Go names otherwise. */
  platform?: string;
}

/**
 * The /version body. Upstream 1.33 includes the emulation/min-compatibility fields (the binary emulates its
 * own minor and is compatible with one minor back); goVersion is the Go release upstream 1.33.0 was built with.
 */
export function versionInfo(opts: VersionOptions = {}): VersionInfo {
  const major = String(KUBE_VERSION.major);
  const minor = String(KUBE_VERSION.minor);
  return {
    major,
    minor,
    emulationMajor: major,
    emulationMinor: minor,
    minCompatibilityMajor: major,
    minCompatibilityMinor: String(KUBE_VERSION.minor - 1),
    gitVersion: GIT_VERSION,
    gitCommit: opts.gitCommit ?? '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: opts.buildDate ?? '2025-04-23T00:00:00Z',
    goVersion: 'go1.24.2',
    compiler: 'gc',
    platform: opts.platform ?? 'linux/amd64',
  };
}
