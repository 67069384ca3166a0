// The report's scale scenario: `tskube up --no-kubelet`, N simulated nodes, Deployments totalling P pods; time to run them all.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { call, callOk, round, rssSampler, startServer } from './report-lib.ts';

export interface ScaleResult {
  nodes: number;
  pods: number;
  created: number;
  scheduled: number;
  ready: number;
  /** Seconds from the first Deployment create to each milestone (null: not reached). */
  milestones: Record<string, number | null>;
  timedOut: boolean;
  limitSeconds: number;
  rssPeakMb: number;
}

const REPLICAS_PER_DEPLOYMENT = 100;

/** Runs the scenario within limitSeconds (after set-up), reporting how far it got if time runs out. */
export async function runScaleScenario(root: string, opts: { nodes: number; pods: number; limitSeconds: number; log: (m: string) => void }): Promise<ScaleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-bench-scale-'));
  const s = await startServer(root, 'up', dir, ['--no-kubelet']);
  const sim = spawn(process.execPath, [join(root, 'bin/tskube.mjs'), 'simulate-nodes', '--count', String(opts.nodes), '--kubeconfig', s.kubeconfig], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const sampler = rssSampler(s.child.pid!);
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('simulate-nodes did not start within 60 s')), 60_000);
      sim.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('simulated nodes running')) {
          clearTimeout(timer);
          resolve();
        }
      });
      sim.once('exit', (code) => reject(new Error(`simulate-nodes exited with ${code}`)));
    });
    const ns = 'scale';
    await callOk(s, agent, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
    // Pods need the namespace's default service account, which the controller manager creates.
    for (let i = 0; (await call(s, agent, 'GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status !== 200; i++) {
      if (i > 300) throw new Error('no default service account after 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    opts.log(`scale: ${opts.nodes} nodes up; creating ${opts.pods} pods in Deployments of ${REPLICAS_PER_DEPLOYMENT}`);
    const t0 = performance.now();
    const deployments = Math.ceil(opts.pods / REPLICAS_PER_DEPLOYMENT);
    for (let d = 0; d < deployments; d++) {
      const replicas = Math.min(REPLICAS_PER_DEPLOYMENT, opts.pods - d * REPLICAS_PER_DEPLOYMENT);
      const labels = { app: `scale-${d}` };
      await callOk(s, agent, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
        metadata: { name: `scale-${d}` },
        spec: {
          replicas, selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'localhost/pause:3.9', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
        },
      });
    }
    const milestones: Record<string, number | null> = { 'all pods created': null, 'all pods scheduled': null, 'all pods Running and Ready': null };
    const since = () => round((performance.now() - t0) / 1000, 1);
    let created = 0;
    let scheduled = 0;
    let ready = 0;
    while (since() < opts.limitSeconds) {
      const page = await callOk(s, agent, 'GET', `/api/v1/namespaces/${ns}/pods?limit=1`);
      created = page.items.length + (page.metadata.remainingItemCount ?? 0);
      const unscheduled = (await callOk(s, agent, 'GET', `/api/v1/namespaces/${ns}/pods?fieldSelector=spec.nodeName%3D`)).items.length;
      scheduled = created - unscheduled;
      const deps = await callOk(s, agent, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments`);
      ready = (deps.items as { status?: { readyReplicas?: number } }[]).reduce((n, d) => n + (d.status?.readyReplicas ?? 0), 0);
      if (created >= opts.pods) milestones['all pods created'] ??= since();
      if (created >= opts.pods && scheduled >= opts.pods) milestones['all pods scheduled'] ??= since();
      if (ready >= opts.pods) {
        milestones['all pods Running and Ready'] = since();
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    opts.log(`scale: created ${created}, scheduled ${scheduled}, ready ${ready} after ${since()} s`);
    return { nodes: opts.nodes, pods: opts.pods, created, scheduled, ready, milestones, timedOut: ready < opts.pods, limitSeconds: opts.limitSeconds, rssPeakMb: sampler.stop() };
  } finally {
    sampler.stop();
    agent.destroy();
    if (sim.exitCode === null) {
      const gone = new Promise((r) => sim.once('exit', r));
      sim.kill('SIGTERM');
      const t = setTimeout(() => sim.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
