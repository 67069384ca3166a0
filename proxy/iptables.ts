// kube-proxy's iptables half: the jumps from the built-in nat chains, atomic restores of our chains, and their removal.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { chainsIn, natCleanupText, natRestoreText, type ChainNames, type ServicePort } from './rules.ts';

const run = promisify(execFile);

/** Feeds `text` to `iptables-restore --noflush` (one kernel transaction); rejects with its stderr. */
function restore(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('iptables-restore', ['--noflush', '--wait'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`iptables-restore failed (${String(code)}): ${stderr.trim()}`))));
    child.stdin.end(text);
  });
}

async function natChains(): Promise<string[]> {
  const { stdout } = await run('iptables-save', ['-t', 'nat'], { maxBuffer: 64 * 1024 * 1024 });
  return chainsIn(stdout);
}

/** The jumps into our chains from the built-in ones (inserted first, so they run before CNI's masquerade). */
function jumps(names: ChainNames): Array<[string, string[]]> {
  return [
    ['PREROUTING', ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', names.services]],
    ['OUTPUT', ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', names.services]],
    ['POSTROUTING', ['-m', 'comment', '--comment', 'kubernetes postrouting rules', '-j', names.postrouting]],
  ];
}

/**
 * Programs the nat table for `ports`. Guarantees: our chains change in one iptables-restore transaction (no
 * moment with half the rules), stale chains of ours are deleted, the built-in chains jump to ours exactly once.
 */
export async function syncRules(ports: readonly ServicePort[], names: ChainNames): Promise<void> {
  const existing = await natChains();
  await restore(natRestoreText(ports, names, existing));
  for (const [chain, spec] of jumps(names)) {
    try {
      await run('iptables', ['-w', '-t', 'nat', '-C', chain, ...spec]);
    } catch {
      await run('iptables', ['-w', '-t', 'nat', '-I', chain, '1', ...spec]);
    }
  }
}

/** Removes the jumps and every chain of ours; never throws (best effort on a half-programmed table). */
export async function removeRules(names: ChainNames): Promise<void> {
  for (const [chain, spec] of jumps(names)) {
    for (let i = 0; i < 10; i++) {
      try {
        await run('iptables', ['-w', '-t', 'nat', '-D', chain, ...spec]);
      } catch {
        break;
      }
    }
  }
  try {
    const existing = await natChains();
    if (existing.some((c) => names.prefixes.some((p) => c.startsWith(p)))) await restore(natCleanupText(names, existing));
  } catch {
    // Nothing left to remove, or iptables is missing: either way there is no rule of ours to leave behind.
  }
}
