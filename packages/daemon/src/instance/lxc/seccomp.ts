// Seccomp policy in LXC's text format, as LXD builds it (deny list of dangerous syscalls by default).
import { isTrue } from '../../config/validators.js';

const header = '2\n';

const defaultDeny = `reject_force_umount  # comment this to allow umount -f;  not recommended
[all]
kexec_load errno 38
open_by_handle_at errno 38
init_module errno 38
finit_module errno 38
delete_module errno 38
`;

const compatDeny = ['compat_sys_rt_sigaction', 'stub_x32_rt_sigreturn', 'compat_sys_ioctl', 'compat_sys_readv', 'compat_sys_writev', 'compat_sys_kexec_load'];

/** The policy text, or undefined when the instance needs none (privileged with everything allowed). */
export function seccompPolicy(config: Record<string, string>, nativeArch: string): string {
  const allow = config['security.syscalls.allow'];
  if (allow) {
    return `${header}allowlist\n${allow
      .split(/[\n,]/)
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .join('\n')}\n`;
  }
  let policy = `${header}denylist\n`;
  if (config['security.syscalls.deny_default'] === undefined || isTrue(config['security.syscalls.deny_default'])) policy += defaultDeny;
  else policy += '[all]\n';
  if (isTrue(config['security.syscalls.deny_compat'])) {
    policy += `[${nativeArch}]\n${compatDeny.map((s) => `${s} errno 38`).join('\n')}\n[all]\n`;
  }
  const deny = config['security.syscalls.deny'] ?? '';
  for (const s of deny.split(/[\n,]/).map((x) => x.trim()).filter((x) => x !== '')) policy += `${s} errno 1\n`;
  return policy;
}
