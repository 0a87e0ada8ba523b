// Facts about the host: kernel, OS, architecture and LXC, read once at start.
import { readFile } from 'node:fs/promises';
import { arch, hostname, release } from 'node:os';
import type { Runner } from './runner.js';

export interface HostInfo {
  hostname: string;
  kernel: string;
  kernelVersion: string;
  kernelArchitecture: string;
  architectures: string[];
  osName: string;
  osVersion: string;
  lxcVersion: string;
  kernelFeatures: Record<string, string>;
  lxcFeatures: Record<string, string>;
}

const archNames: Record<string, string[]> = {
  x64: ['x86_64', 'i686'],
  arm64: ['aarch64', 'armv7l'],
  arm: ['armv7l'],
  ppc64: ['ppc64le'],
  s390x: ['s390x'],
  riscv64: ['riscv64'],
};

export async function readHostInfo(runner: Runner): Promise<HostInfo> {
  const osRelease = await readOsRelease();
  const lxcVersion = await runner
    .run('lxc-start', ['--version'])
    .then((r) => r.stdout.trim())
    .catch(() => '');
  const architectures = archNames[arch()] ?? [arch()];
  return {
    hostname: hostname(),
    kernel: 'Linux',
    kernelVersion: release(),
    kernelArchitecture: architectures[0] ?? arch(),
    architectures,
    osName: osRelease.NAME ?? 'Linux',
    osVersion: osRelease.VERSION_ID ?? '',
    lxcVersion,
    kernelFeatures: await kernelFeatures(),
    lxcFeatures: lxcVersion ? { cgroup2: 'true', idmapped_mounts_v2: String(versionAtLeast(lxcVersion, [5, 0])) } : {},
  };
}

async function readOsRelease(): Promise<Record<string, string>> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) out[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return out;
}

function versionAtLeast(version: string, want: number[]): boolean {
  const parts = version.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < want.length; i++) {
    const have = parts[i] ?? 0;
    const need = want[i] ?? 0;
    if (Number.isNaN(have) || have !== need) return !Number.isNaN(have) && have > need;
  }
  return true;
}

async function kernelFeatures(): Promise<Record<string, string>> {
  const kernel = release();
  const cgroup2Only = await readFile('/sys/fs/cgroup/cgroup.controllers')
    .then(() => true)
    .catch(() => false);
  return {
    idmapped_mounts: String(versionAtLeast(kernel, [5, 12])),
    pidfds: String(versionAtLeast(kernel, [5, 3])),
    unpriv_fscaps: 'true',
    cgroup2_only: String(cgroup2Only),
  };
}
