// `tskube scheduler`: flags → startScheduler, until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { assertKnown, parseFlags } from '../cli/flags.ts';
import { createLogger, setVerbosity } from '../server/log.ts';
import { startScheduler } from './index.ts';
import { runUntilSignal } from '../cli/lifecycle.ts';

export const SCHEDULER_USAGE = `Usage: tskube scheduler --kubeconfig FILE [flags]

  --kubeconfig FILE          how to reach the API server (required)
  --leader-elect=false       schedule without holding the Lease kube-system/kube-scheduler (default true)
  --scheduler-name NAME      the spec.schedulerName to serve (default default-scheduler)
`;

/** Runs `tskube scheduler …` until SIGINT/SIGTERM. */
export async function runSchedulerCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args.map((a) => (a === '--leader-elect=false' ? '--no-leader-elect' : a === '--leader-elect=true' || a === '--leader-elect' ? '' : a)).filter(Boolean), ['no-leader-elect']);
  assertKnown(flags, ['kubeconfig', 'scheduler-name', 'no-leader-elect']);
  setVerbosity(flags.verbosity);
  const kubeconfig = flags.values.get('kubeconfig');
  if (!kubeconfig) throw new Error(`--kubeconfig is required\n${SCHEDULER_USAGE}`);
  const log = createLogger('scheduler');
  const scheduler = await startScheduler({
    kubeconfig: resolve(kubeconfig),
    log,
    leaderElect: !flags.booleans.has('no-leader-elect'),
    schedulerName: flags.values.get('scheduler-name'),
  });
  runUntilSignal(log, [() => scheduler.stop()]);
}
