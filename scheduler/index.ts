// startScheduler: the kube-scheduler component (informers, leader election on kube-system/kube-scheduler, the scheduling loop).
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, EventRecorder, startElected, resourceType, SharedInformerFactory } from '../controllers/runtime/index.ts';
import { createLogger, type Logger } from '../server/log.ts';
import { defaultProfile } from './plugins/index.ts';
import { Scheduler } from './scheduler.ts';
import type { Node, Pod, PodDisruptionBudget, PriorityClass } from './types.ts';

export interface SchedulerOptions {
  kubeconfig: string;
  log?: Logger;
  signal?: AbortSignal;
  /** Default true: schedule only while holding the Lease kube-system/kube-scheduler. */
  leaderElect?: boolean;
  schedulerName?: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Called with each leadership term's scheduler (benchmarks read its counters). */
  onScheduler?: (s: Scheduler) => void;
}

export interface RunningScheduler {
  stop(): Promise<void>;
  isLeader(): boolean;
}

const PodType = resourceType<Pod>('v1', 'Pod', 'pods');
const NodeType = resourceType<Node>('v1', 'Node', 'nodes', false);
const PriorityClassType = resourceType<PriorityClass>('scheduling.k8s.io/v1', 'PriorityClass', 'priorityclasses', false);
const PDBType = resourceType<PodDisruptionBudget>('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets');

/**
 * Starts the scheduler. Guarantees: with leader election, pods are scheduled only while this instance holds
 * the Lease (a lost Lease stops the loop, and the instance campaigns again); each term builds fresh informers
 * and a fresh cache; `stop()` stops scheduling, waits for bindings in flight, flushes events and releases the Lease.
 * @throws Error when the kubeconfig cannot be read.
 */
export async function startScheduler(opts: SchedulerOptions): Promise<RunningScheduler> {
  const log = opts.log ?? createLogger('scheduler');
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const client = new ApiClient(kc, { userAgent: 'kube-scheduler/v1.33.0 (linux/amd64) tskube' });
  const schedulerName = opts.schedulerName ?? 'default-scheduler';
  const lead = async (signal: AbortSignal): Promise<void> => {
    const informers = new SharedInformerFactory(client, { log });
    const recorder = new EventRecorder(client, { component: schedulerName, log });
    const pods = informers.informerOf(PodType);
    const scheduler = new Scheduler({
      client,
      pods,
      nodes: informers.informerOf(NodeType),
      priorityClasses: informers.informerOf(PriorityClassType),
      pdbs: informers.informerOf(PDBType),
      recorder,
      profile: defaultProfile(schedulerName),
      log,
    });
    opts.onScheduler?.(scheduler);
    try {
      informers.start();
      if (await informers.waitForCacheSync(signal)) await scheduler.run(signal);
    } finally {
      scheduler.close();
      await informers.shutdown();
      await recorder.flush();
    }
  };

  return startElected(client, { component: 'scheduler', lease: { namespace: 'kube-system', name: 'kube-scheduler' }, ...opts, log, outer: opts.signal }, lead);
}

export { Scheduler } from './scheduler.ts';
