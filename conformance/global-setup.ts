// Starts one tskube cluster for the whole conformance run, unless KUBECONFIG already names a cluster to test.
// TSKUBE_CONFORMANCE_STORAGE=etcd runs that cluster on a throwaway etcd instead of SQLite.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startConformanceKubelet, stopConformanceKubelet } from './kubelet-node.ts';
import { startEtcdCluster, type EtcdCluster } from '../scripts/etcd/cluster.ts';

let child: ChildProcess | undefined;
let dataDir: string | undefined;
let etcd: EtcdCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  if (process.env.KUBECONFIG && !process.env.TSKUBE_CONFORMANCE_OWN_CLUSTER) {
    project.provide('kubeconfig', process.env.KUBECONFIG);
    project.provide('ownCluster', false);
    return;
  }
  dataDir = mkdtempSync(join(tmpdir(), 'tskube-conformance-'));
  const storage: string[] = [];
  if (process.env.TSKUBE_CONFORMANCE_STORAGE === 'etcd') {
    etcd = await startEtcdCluster();
    storage.push('--storage', etcd.url);
  }
  // Cluster DNS (issue 8): a /20 of 10.96.0.0/12 of its own per run, so that concurrent runs' kube-proxies (one host, one
  // nat table) never DNAT the same clusterIP, kube-dns's 10th address included, to another run's endpoints.
  const r = Math.floor(Math.random() * 256);
  const serviceRange = ['--service-cluster-ip-range', `10.${96 + (r >> 4)}.${(r & 15) * 16}.0/20`];
  child = spawn(process.execPath, ['bin/tskube.mjs', 'up', '--data-dir', dataDir, '--port', '0', '--no-kubelet', ...storage, ...serviceRange], { stdio: ['ignore', 'pipe', 'inherit'] });
  const kubeconfig = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tskube up did not print its KUBECONFIG within 60 s')), 60_000);
    let out = '';
    child!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /export KUBECONFIG=(\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child!.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tskube up exited with ${code} before serving`));
    });
  });
  project.provide('kubeconfig', kubeconfig);
  project.provide('ownCluster', true);
  project.provide('dataDir', dataDir);
  // kubelet (issue 7): a real node on containerd when root; its absence is reported, never fatal.
  project.provide('kubeletNode', await startConformanceKubelet(dataDir, kubeconfig));
}

export async function teardown(): Promise<void> {
  await stopConformanceKubelet();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child?.kill('SIGKILL');
        resolve();
      }, 5000);
      child!.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  await etcd?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    ownCluster: boolean;
    dataDir: string;
    /** Name of the node a real kubelet runs for, or "" (with the reason in kubeletSkipReason) when none. */
    kubeletNode: string;
  }
}
