// route_localnet for NodePorts on 127.0.0.1 (as upstream's iptables proxier sets it), with the martian-packet guard upstream adds.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger } from '../server/log.ts';

const run = promisify(execFile);
const SYSCTL_PATH = '/proc/sys/net/ipv4/conf/all/route_localnet';
/**
 * With route_localnet=1 the kernel would also route packets to 127.0.0.0/8 arriving from the network. Upstream
 * (CVE-2020-8558) drops those unless they belong to a connection or were DNATed; so do we, in filter INPUT.
 */
const GUARD = ['INPUT', '-d', '127.0.0.0/8', '!', '-s', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT',
  '-m', 'comment', '--comment', 'tskube kube-proxy: block incoming localnet connections', '-j', 'DROP'];

async function filterTable(args: string[]): Promise<boolean> {
  try {
    await run('iptables', ['-w', '5', '-t', 'filter', ...args]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sets net.ipv4.conf.all.route_localnet=1 (so that DNAT of 127.0.0.1:<nodePort> to a pod is routed) and adds the
 * guard rule, each only when missing. Resolves a function that undoes exactly what this call changed. Never
 * throws: without the sysctl NodePorts still work on the host's other addresses, which is logged.
 * Shared-host note: the setting is host-wide; a second proxy finds it set and leaves it alone on stop.
 * `seams` (tests only) replace the sysctl file and the `iptables -t filter` runner.
 */
export async function enableRouteLocalnet(log: Logger, seams: { sysctl?: string; iptables?: (args: string[]) => Promise<boolean> } = {}): Promise<() => Promise<void>> {
  const SYSCTL = seams.sysctl ?? SYSCTL_PATH;
  const iptables = seams.iptables ?? filterTable;
  let changedSysctl = false;
  let addedGuard = false;
  try {
    if ((await readFile(SYSCTL, 'utf8')).trim() !== '1') {
      await writeFile(SYSCTL, '1\n');
      changedSysctl = true;
      log.info('set net.ipv4.conf.all.route_localnet=1 so that NodePorts answer on 127.0.0.1');
    }
  } catch (e: unknown) {
    log.warn('cannot set route_localnet: NodePorts will not answer on 127.0.0.1', { error: e instanceof Error ? e.message : String(e) });
  }
  if (!(await iptables(['-C', ...GUARD]))) addedGuard = await iptables(['-I', ...GUARD]);
  return async () => {
    if (addedGuard) await iptables(['-D', ...GUARD]);
    if (changedSysctl) await writeFile(SYSCTL, '0\n').catch(() => undefined);
  };
}
