// The tskube command: `up` (whole cluster in one process) and `apiserver` (the API server alone).
import { resolve } from 'node:path';
import { assertKnown, intFlag, parseFlags } from './flags.ts';
import { startApiServer } from '../server/apiserver.ts';
import { createLogger, setVerbosity } from '../server/log.ts';

const USAGE = `Usage: tskube <command> [flags]

Commands:
  up           Run the whole cluster in one process (API server; later: controllers, scheduler, kubelet)
  apiserver    Run the API server alone

Flags (up, apiserver):
  --data-dir DIR   state, PKI, tokens and kubeconfigs (default ./.tskube)
  --port PORT      HTTPS port (default 6443)
  --bind ADDR      listen address (default 127.0.0.1)
  -v, -v=2         verbose logs (info, debug)
`;

const SERVER_FLAGS = ['data-dir', 'port', 'bind', 'no-kubelet'];

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'up':
      case 'apiserver':
        await runServer(command, rest);
        return;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return;
      default:
        throw new Error(`unknown command "${command}"`);
    }
  } catch (e: unknown) {
    process.stderr.write(`tskube: ${(e as Error).message}\n${command && !['up', 'apiserver'].includes(command) ? USAGE : ''}`);
    process.exit(2);
  }
}

async function runServer(command: 'up' | 'apiserver', args: string[]): Promise<void> {
  const flags = parseFlags(args, ['no-kubelet']);
  assertKnown(flags, SERVER_FLAGS);
  setVerbosity(flags.verbosity);
  const dataDir = resolve(flags.values.get('data-dir') ?? './.tskube');
  const log = createLogger(command === 'up' ? 'tskube' : 'apiserver');
  const server = await startApiServer({ dataDir, port: intFlag(flags, 'port', 6443), bind: flags.values.get('bind') ?? '127.0.0.1', log });
  process.stdout.write(`tskube is serving at ${server.url}; point kubectl at it with: export KUBECONFIG=${server.access.adminKubeconfigPath}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    server.close().then(() => process.exit(0), () => process.exit(1));
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
