// nftables rules of a bridge in a table of its own ("inet lodge-<network>"), replaced atomically, dropped with the network.
import { isTrue } from '../config/validators.js';
import type { Runner } from '../sys/runner.js';
import { parseCidr, subnetString } from '../util/ip.js';

export function tableName(network: string): string {
  return `lodge-${network}`;
}

const has = (v: string | undefined): v is string => v !== undefined && v !== '' && v !== 'none';
const on = (v: string | undefined, dflt: boolean): boolean => (v === undefined || v === '' ? dflt : isTrue(v));

interface Family {
  /** nft address family keyword: ip or ip6 */
  kw: 'ip' | 'ip6';
  nfproto: 'ipv4' | 'ipv6';
  subnet: string;
  firewall: boolean;
  routing: boolean;
  dhcp: boolean;
  nat: boolean;
  natAddress?: string;
}

function families(config: Record<string, string>): Family[] {
  const out: Family[] = [];
  for (const [v, kw, nfproto] of [[4, 'ip', 'ipv4'], [6, 'ip6', 'ipv6']] as const) {
    const addr = config[`ipv${v}.address`];
    const cidr = has(addr) ? parseCidr(addr) : undefined;
    if (!cidr) continue;
    out.push({
      kw,
      nfproto,
      subnet: subnetString(cidr),
      firewall: on(config[`ipv${v}.firewall`], true),
      routing: on(config[`ipv${v}.routing`], true),
      dhcp: on(config[`ipv${v}.dhcp`], true),
      nat: on(config[`ipv${v}.nat`], false),
      natAddress: config[`ipv${v}.nat.address`] || undefined,
    });
  }
  return out;
}

/** The table's content for a bridge, or undefined when the network needs no rules at all. */
export function renderRuleset(network: string, config: Record<string, string>): string | undefined {
  const fams = families(config);
  const dev = JSON.stringify(network);
  const chains: string[] = [];
  const withFirewall = fams.filter((f) => f.firewall);
  const forwarding = withFirewall.filter((f) => f.routing);
  if (forwarding.length > 0) {
    const rules = forwarding.flatMap((f) => [`meta nfproto ${f.nfproto} oifname ${dev} accept`, `meta nfproto ${f.nfproto} iifname ${dev} accept`]);
    chains.push(chain('forward_accept', 'filter hook forward priority 0', rules));
  }
  if (withFirewall.length > 0) {
    const input = [`iifname ${dev} tcp dport 53 accept`, `iifname ${dev} udp dport 53 accept`];
    const output = [`oifname ${dev} tcp sport 53 accept`, `oifname ${dev} udp sport 53 accept`];
    for (const f of withFirewall) {
      if (f.kw === 'ip') {
        input.push(`iifname ${dev} icmp type { 3, 11, 12 } accept`);
        output.push(`oifname ${dev} icmp type { 3, 11, 12 } accept`);
        if (f.dhcp) {
          input.push(`iifname ${dev} udp dport 67 accept`);
          output.push(`oifname ${dev} udp sport 67 accept`);
        }
      } else {
        input.push(`iifname ${dev} icmpv6 type { 1, 2, 3, 4, 133, 135, 136, 143 } accept`);
        output.push(`oifname ${dev} icmpv6 type { 1, 2, 3, 4, 128, 134, 135, 136, 143 } accept`);
        if (f.dhcp) {
          input.push(`iifname ${dev} udp dport 547 accept`);
          output.push(`oifname ${dev} udp sport 547 accept`);
        }
      }
    }
    chains.push(chain('input_accept', 'filter hook input priority 0', input), chain('output_accept', 'filter hook output priority 0', output));
  }
  const nat = fams.filter((f) => f.nat);
  if (nat.length > 0) {
    const rules = nat.map((f) => `${f.kw} saddr ${f.subnet} ${f.kw} daddr != ${f.subnet} ${f.natAddress ? `snat to ${f.natAddress}` : 'masquerade'}`);
    chains.push(chain('postrouting_nat', 'nat hook postrouting priority 100', rules));
  }
  if (chains.length === 0) return undefined;
  return `table inet ${tableName(network)} {\n${chains.join('\n')}}\n`;
}

function chain(name: string, hook: string, rules: string[]): string {
  return `\tchain ${name} {\n\t\ttype ${hook}; policy accept;\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n`;
}

/** The nft script that replaces the table in one transaction (or only removes it). */
export function replaceScript(network: string, ruleset: string | undefined): string {
  const t = `inet ${tableName(network)}`;
  return `add table ${t}\ndelete table ${t}\n${ruleset ?? ''}`;
}

export async function applyRules(runner: Runner, network: string, config: Record<string, string>): Promise<void> {
  await runner.run('nft', ['-f', '-'], { input: replaceScript(network, renderRuleset(network, config)), timeoutMs: 30_000 });
}

export async function removeRules(runner: Runner, network: string): Promise<void> {
  await runner.run('nft', ['-f', '-'], { input: replaceScript(network, undefined), timeoutMs: 30_000 });
}

export async function hasRules(runner: Runner, network: string): Promise<boolean> {
  const r = await runner.run('nft', ['list', 'table', 'inet', tableName(network)], { okCodes: [0, 1], timeoutMs: 30_000 });
  return r.code === 0;
}
