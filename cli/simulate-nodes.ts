// `tskube simulate-nodes --count N --kubeconfig K`: runs N simulated nodes (sim-<i>) until interrupted.
import { resolve } from 'node:path';
import { runUntilSignal } from './lifecycle.ts';
import { assertKnown, parseFlags } from './flags.ts';
import { createLogger, setVerbosity } from '../server/log.ts';
import { SIMULATED_LABEL, startSimulatedNodes } from '../kubelet/simulated/nodes.ts';

const USAGE = `Usage: tskube simulate-nodes --count N --kubeconfig FILE [--prefix sim] [-v]

Registers N simulated nodes named <prefix>-0 … <prefix>-(N-1), labelled ${SIMULATED_LABEL}=true, for scale tests
(like upstream's kubemark hollow nodes). They renew their Leases and report Ready, and every pod bound to them
is moved to Running/Ready by a status update: no container runs. Stop with Ctrl-C; remove them with
  kubectl delete nodes -l ${SIMULATED_LABEL}=true
`;

export async function runSimulateNodesCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, ['help']);
  if (flags.booleans.has('help')) {
    process.stdout.write(USAGE);
    return;
  }
  assertKnown(flags, ['count', 'kubeconfig', 'prefix', 'help']);
  const count = Number(flags.values.get('count'));
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new Error(`--count must be a whole number from 1 to 10000\n${USAGE}`);
  const kubeconfig = flags.values.get('kubeconfig') ?? process.env.KUBECONFIG;
  if (!kubeconfig) throw new Error(`--kubeconfig is required\n${USAGE}`);
  setVerbosity(flags.verbosity);
  const log = createLogger('simulate-nodes');
  const sim = await startSimulatedNodes({ kubeconfig: resolve(kubeconfig), log, count, prefix: flags.values.get('prefix') });
  process.stdout.write(`${count} simulated nodes running (${sim.nodeNames[0]} … ${sim.nodeNames[sim.nodeNames.length - 1]}); Ctrl-C to stop\n`);
  runUntilSignal(log, [() => sim.stop()]);
}
