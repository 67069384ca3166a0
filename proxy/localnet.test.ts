// route_localnet for NodePorts on 127.0.0.1: set and guarded only when missing, and exactly that undone on stop.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../server/log.ts';
import { enableRouteLocalnet } from './localnet.ts';

const quiet = createLogger('test', () => {});
let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fakeIptables(hasGuard: boolean): { run: (args: string[]) => Promise<boolean>; calls: string[] } {
  const calls: string[] = [];
  let present = hasGuard;
  return {
    calls,
    run: async (args) => {
      calls.push(args[0]!);
      if (args[0] === '-C') return present;
      present = args[0] === '-I';
      return true;
    },
  };
}

describe('route_localnet', () => {
  it.each([
    ['was off and unguarded: set, guarded, and both undone', '0', false, '1', ['-C', '-I'], '0', ['-C', '-I', '-D']],
    ['was already on and guarded (another proxy): left as found', '1', true, '1', ['-C'], '1', ['-C']],
  ])('%s', async (_what, before, guarded, during, callsDuring, after, callsAfter) => {
    dir = mkdtempSync(join(tmpdir(), 'localnet-'));
    const sysctl = join(dir, 'route_localnet');
    writeFileSync(sysctl, `${before}\n`);
    const ipt = fakeIptables(guarded);
    const restore = await enableRouteLocalnet(quiet, { sysctl, iptables: ipt.run });
    expect(readFileSync(sysctl, 'utf8').trim()).toBe(during);
    expect(ipt.calls).toEqual(callsDuring);
    await restore();
    expect(readFileSync(sysctl, 'utf8').trim()).toBe(after);
    expect(ipt.calls).toEqual(callsAfter);
  });

  it('never throws when the sysctl cannot be written', async () => {
    const ipt = fakeIptables(true);
    const restore = await enableRouteLocalnet(quiet, { sysctl: '/nonexistent/route_localnet', iptables: ipt.run });
    await expect(restore()).resolves.toBeUndefined();
  });
});
