// Helpers for conformance suites: run real kubectl (a chosen version or the dispatcher) and client-node against KUBECONFIG.
import { spawnSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { inject } from 'vitest';
import * as k8s from '@kubernetes/client-node';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The kubectl binaries under test: 1.NN when installed, the dispatcher otherwise. */
export function kubectlBinary(minor?: number): string {
  if (minor === undefined) return process.env.KUBECTL ?? '/usr/bin/kubectl';
  const path = `/usr/lib/google-cloud-sdk/bin/kubectl.1.${minor}`;
  if (!existsSync(path)) throw new Error(`kubectl 1.${minor} is not installed at ${path}`);
  return path;
}

export function kubeconfigPath(): string {
  return inject('kubeconfig');
}

/** Runs kubectl to completion (bounded); stdin optional. */
export function kubectl(args: readonly string[], opts: { stdin?: string; minor?: number; timeoutMs?: number } = {}): KubectlResult {
  const r = spawnSync(kubectlBinary(opts.minor), args, {
    input: opts.stdin,
    env: { ...process.env, KUBECONFIG: kubeconfigPath() },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** kubectl that must succeed; returns stdout. */
export function kubectlOk(args: readonly string[], opts: { stdin?: string; minor?: number } = {}): string {
  const r = kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** A long-running kubectl (e.g. `get -w`) whose output is collected until stopped. */
export function kubectlBackground(args: readonly string[], minor?: number): { child: ChildProcess; output: () => string; stop: () => void } {
  const child = spawn(kubectlBinary(minor), args, { env: { ...process.env, KUBECONFIG: kubeconfigPath() } });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out, stop: () => child.kill('SIGKILL') };
}

export function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

/** Polls until check returns a truthy value or the deadline passes (then throws with the last value seen). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 20_000, intervalMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A unique namespace name per test file, so suites do not collide on a shared cluster. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4).toString(36)}`;
}

/**
 * The node a real kubelet serves: the one the global set-up started, none when this run's own cluster has no
 * kubelet, or (against another cluster) the first Ready node.
 */
export function realNode(): string {
  const own = inject('kubeletNode');
  if (own) return own;
  if (inject('ownCluster')) return '';
  const r = kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
  return r.stdout.split('\n').find((l) => l.endsWith('=True'))?.split('=')[0] ?? '';
}
