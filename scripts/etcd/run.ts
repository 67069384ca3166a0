// Runs a throwaway etcd (one member, or --members N on loopback) until Ctrl-C, printing the --storage URL to use.
// Usage: npx tsx scripts/etcd/run.ts [--members 3] [--tmpfs]. Data dirs are temporary and removed on exit.
import { startEtcdCluster } from './cluster.ts';

const args = process.argv.slice(2);
const i = args.indexOf('--members');
const members = i >= 0 ? Number(args[i + 1]) : 1;
if (!Number.isInteger(members) || members < 1 || members > 7) throw new Error('--members must be 1 to 7');
const cluster = await startEtcdCluster({ members, tmpfs: args.includes('--tmpfs'), verbose: args.includes('-v') });
process.stdout.write(`etcd is running (${members} member${members > 1 ? 's' : ''}); use: --storage ${cluster.url}\n`);
const stop = (): void => {
  cluster.stop().then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
