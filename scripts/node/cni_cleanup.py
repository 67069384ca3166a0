#!/usr/bin/env python3
"""Remove the iptables state that the CNI bridge and portmap plugins left for one tskube CNI network.

usage: cni_cleanup.py NETWORK

The plugins tag every per-pod rule with a comment naming the network and the container
('name: "NET" id: "..."' for masquerading, 'dnat name: "NET" id: "..."' for hostPorts), and put the
rest of a pod's rules in a chain of its own (CNI-<hash>, CNI-DN-<hash>). We delete the tagged rules,
then the per-pod chains they pointed to, and chains whose every rule is tagged with our network (a pod
whose tagged jump was already gone). The portmap plugin's shared chains (CNI-HOSTPORT-*) are removed only
when no pod of any network still uses them, so another CNI user's state on the same host is left alone.
Never fails: problems are printed and the exit status stays 0, because teardown must always finish.
"""
import re
import shlex
import subprocess
import sys

SHARED = ('CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-SETMARK', 'CNI-HOSTPORT-MASQ')
BUILTIN = {'PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'}


def iptables(table, *args):
    """Run iptables (waiting up to 5 s for the xtables lock); return stdout, or None on failure."""
    try:
        done = subprocess.run(['iptables', '-w', '5', '-t', table, *args],
                              capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f'cni-cleanup: iptables {" ".join(args)}: {e}', file=sys.stderr)
        return None
    if done.returncode != 0:
        if args[0] != '-S':
            print(f'cni-cleanup: iptables -t {table} {" ".join(args)}: {done.stderr.strip()}', file=sys.stderr)
        return None
    return done.stdout


def read_table(table):
    """Chains (in order) and rules ([chain, args...] token lists) of one table."""
    out = iptables(table, '-S')
    chains, rules = [], []
    for line in (out or '').splitlines():
        try:
            tokens = shlex.split(line)
        except ValueError:
            continue
        if len(tokens) >= 2 and tokens[0] in ('-N', '-P'):
            chains.append(tokens[1])
        elif len(tokens) >= 2 and tokens[0] == '-A':
            rules.append(tokens[1:])
    return chains, rules


def target(rule):
    for flag in ('-j', '-g'):
        if flag in rule:
            i = rule.index(flag)
            if i + 1 < len(rule):
                return rule[i + 1]
    return None


def comment(rule):
    if '--comment' in rule:
        i = rule.index('--comment')
        if i + 1 < len(rule):
            return rule[i + 1]
    return ''


def delete_chain(table, chain):
    iptables(table, '-F', chain)
    iptables(table, '-X', chain)


def clean_table(table, network):
    ours = re.compile(r'(^|\s)name: "' + re.escape(network) + r'" id: "')
    chains, rules = read_table(table)
    tagged = [r for r in rules if ours.search(comment(r))]
    doomed = {target(r) for r in tagged if (target(r) or '').startswith('CNI-') and target(r) not in SHARED}
    for chain in chains:
        if not chain.startswith('CNI-') or chain in SHARED:
            continue
        own = [r for r in rules if r[0] == chain]
        if own and all(ours.search(comment(r)) for r in own):
            doomed.add(chain)
    for rule in tagged:
        if rule[0] not in doomed:
            iptables(table, '-D', *rule)
    _, rules = read_table(table)
    for chain in sorted(doomed):
        # a per-pod chain may still be jumped to by an untagged rule: drop those jumps first
        for rule in rules:
            if target(rule) == chain and rule[0] not in doomed:
                iptables(table, '-D', *rule)
        delete_chain(table, chain)

    chains, rules = read_table(table)
    if any(c.startswith('CNI-DN-') for c in chains):
        return  # some pod (maybe another network's) still forwards host ports: the shared chains stay
    if any(r[0] == 'CNI-HOSTPORT-DNAT' for r in rules):
        return
    present = [c for c in SHARED if c in chains]
    for rule in rules:
        if target(rule) in present and rule[0] not in present:
            iptables(table, '-D', *rule)
    for chain in present:
        iptables(table, '-F', chain)
    for chain in present:
        iptables(table, '-X', chain)


def main():
    if len(sys.argv) != 2 or not sys.argv[1]:
        print('usage: cni_cleanup.py NETWORK', file=sys.stderr)
        return
    for table in ('nat', 'filter', 'mangle'):
        clean_table(table, sys.argv[1])


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # teardown must go on whatever happens here
        print(f'cni-cleanup: {e}', file=sys.stderr)
