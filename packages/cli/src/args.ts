// Argument rules shared by commands: counts, `key=value` pairs (lxc's getConfig) and `key=value` device properties.

/** A wrong command line: main prints the command's help, then the message, and exits 1. */
export class UsageError extends Error {}

export function checkArgs(args: string[], min: number, max: number): void {
  if (args.length < min || (max >= 0 && args.length > max)) throw new UsageError('Invalid number of arguments');
}

/** Reads stdin when a value is "-" and stdin is not a terminal (lxc's convention). */
export type StdinReader = () => Promise<string>;

/**
 * lxc's getConfig: either the legacy `<key> <value>` pair or any number of `key=value` arguments.
 * A value of "-" is read from stdin when it is not a terminal.
 */
export async function parseKeyValues(args: string[], readStdin?: StdinReader): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const value = async (v: string): Promise<string> => (v === '-' && readStdin ? readStdin() : v);
  const [first, second] = args;
  if (args.length === 2 && first !== undefined && second !== undefined && !first.includes('=')) {
    out.set(first, await value(second));
    return out;
  }
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) throw new Error(`Invalid key=value configuration: ${arg}`);
    out.set(arg.slice(0, eq), await value(arg.slice(eq + 1)));
  }
  return out;
}

/** Device properties `key=value` (no legacy form, no stdin). */
export function parseDeviceProps(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const prop of args) {
    const eq = prop.indexOf('=');
    if (eq < 0) throw new Error(`No value found in "${prop}"`);
    out[prop.slice(0, eq)] = prop.slice(eq + 1);
  }
  return out;
}

/** Repeatable flags (--alias a --alias b) collect into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
