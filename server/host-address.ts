// This machine's address as other machines and pods see it: the IPv4 of the default route's interface (upstream's ChooseHostInterface).
import { readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Interfaces that container networking creates and removes with pods: never the host's address. */
const VIRTUAL_INTERFACE = /^(lo|veth|tskube|tskc|cni|docker|br-|flannel|cali|virbr|kube)/;

/** The interface of the IPv4 default route in a /proc/net/route text (the lowest metric wins), if any. */
export function defaultRouteInterface(procNetRoute: string): string | undefined {
  let best: { iface: string; metric: number } | undefined;
  for (const line of procNetRoute.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // Destination and mask 0.0.0.0/0.
    if (f.length < 8 || f[1] !== '00000000' || f[7] !== '00000000') continue;
    const metric = Number(f[6]);
    if (!best || metric < best.metric) best = { iface: f[0]!, metric };
  }
  return best?.iface;
}

function readRoutes(): string {
  try {
    return readFileSync('/proc/net/route', 'utf8');
  } catch {
    return '';
  }
}

const ipv4Of = (ifaces: Interfaces, name: string): string | undefined => ifaces[name]?.find((a) => a.family === 'IPv4' && !a.internal)?.address;

/** The IPv4 of the default route's interface; undefined without a default route. Never throws. */
export function defaultRouteIPv4(routes = readRoutes(), ifaces: Interfaces = networkInterfaces()): string | undefined {
  const iface = defaultRouteInterface(routes);
  return iface ? ipv4Of(ifaces, iface) : undefined;
}

/**
 * The host's address: the default route's IPv4, else the first IPv4 of a real (not loopback, not container
 * networking) interface, else 127.0.0.1. Never throws.
 */
export function hostIPv4(routes = readRoutes(), ifaces: Interfaces = networkInterfaces()): string {
  const byRoute = defaultRouteIPv4(routes, ifaces);
  if (byRoute) return byRoute;
  for (const name of Object.keys(ifaces)) {
    if (VIRTUAL_INTERFACE.test(name)) continue;
    const ip = ipv4Of(ifaces, name);
    if (ip) return ip;
  }
  return '127.0.0.1';
}
