// Facts about the machine a kubelet runs on: capacity, addresses and the node's system info, read from /proc, /sys and os.
import { readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { hostIPv4 } from '../server/host-address.ts';

export interface HostInfo {
  hostname: string;
  internalIP: string;
  cpus: number;
  memoryBytes: number;
  /** Size of the file system holding the data dir, in bytes. */
  ephemeralStorageBytes: number;
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  operatingSystem: string;
  architecture: string;
}

function readTrimmed(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Go's GOARCH names, which node labels and nodeInfo use. */
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

/** PRETTY_NAME from /etc/os-release, as upstream's nodeInfo.osImage. */
function osImage(): string {
  const text = readTrimmed('/etc/os-release');
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] ?? 'Linux';
}

/** Memory from /proc/meminfo (MemTotal), falling back to os.totalmem(). */
function memoryBytes(): number {
  const m = /^MemTotal:\s+(\d+) kB$/m.exec(readTrimmed('/proc/meminfo'));
  return m ? Number(m[1]) * 1024 : os.totalmem();
}

/** Reads the host facts; never throws (unknown values are empty strings or 0). */
export function readHostInfo(dataDir: string): HostInfo {
  let ephemeralStorageBytes = 0;
  try {
    const fs = statfsSync(dataDir);
    ephemeralStorageBytes = fs.blocks * fs.bsize;
  } catch {
    // The data dir may not exist yet: report no storage rather than fail registration.
  }
  const machineID = readTrimmed('/etc/machine-id') || readTrimmed('/var/lib/dbus/machine-id');
  return {
    hostname: os.hostname().toLowerCase(),
    internalIP: hostIPv4(),
    cpus: os.cpus().length,
    memoryBytes: memoryBytes(),
    ephemeralStorageBytes,
    machineID,
    systemUUID: readTrimmed('/sys/class/dmi/id/product_uuid') || machineID,
    bootID: readTrimmed('/proc/sys/kernel/random/boot_id'),
    kernelVersion: os.release(),
    osImage: osImage(),
    operatingSystem: 'linux',
    architecture: GOARCH[os.arch()] ?? os.arch(),
  };
}

/** Free memory and disk, for the pressure conditions. */
export function readAvailable(dataDir: string): { memoryAvailableBytes: number; diskAvailableFraction: number } {
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(readTrimmed('/proc/meminfo'));
  let diskAvailableFraction = 1;
  try {
    const fs = statfsSync(dataDir);
    diskAvailableFraction = fs.blocks > 0 ? fs.bavail / fs.blocks : 1;
  } catch {
    // Unknown: assume no pressure.
  }
  return { memoryAvailableBytes: m ? Number(m[1]) * 1024 : os.freemem(), diskAvailableFraction };
}
