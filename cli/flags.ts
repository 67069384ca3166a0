// A small flag parser for the tskube command: `--name value`, `--name=value`, booleans, and -v / -v=N verbosity.

export interface ParsedFlags {
  values: Map<string, string>;
  booleans: Set<string>;
  positional: string[];
  verbosity: number;
}

/** `booleanFlags` take no value; every other `--flag` consumes the next argument unless written `--flag=value`. */
export function parseFlags(args: readonly string[], booleanFlags: readonly string[]): ParsedFlags {
  const out: ParsedFlags = { values: new Map(), booleans: new Set(), positional: [], verbosity: 0 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const v = /^-v(?:=(\d+))?$/.exec(arg) ?? /^--v(?:=(\d+))?$/.exec(arg);
    if (v) {
      out.verbosity = v[1] ? Number(v[1]) : 1;
      continue;
    }
    if (!arg.startsWith('--')) {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (booleanFlags.includes(name)) {
      if (eq >= 0) {
        const value = arg.slice(eq + 1);
        if (value === 'true') out.booleans.add(name);
        else if (value !== 'false') throw new Error(`invalid value for --${name}: ${value}`);
      } else {
        out.booleans.add(name);
      }
      continue;
    }
    if (eq >= 0) out.values.set(name, arg.slice(eq + 1));
    else {
      const next = args[i + 1];
      if (next === undefined) throw new Error(`flag --${name} needs a value`);
      out.values.set(name, next);
      i++;
    }
  }
  return out;
}

export function intFlag(flags: ParsedFlags, name: string, fallback: number): number {
  const raw = flags.values.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid value for --${name}: ${raw}`);
  return n;
}

/** Rejects flags a command does not know, so typos fail loudly. */
export function assertKnown(flags: ParsedFlags, known: readonly string[]): void {
  for (const name of [...flags.values.keys(), ...flags.booleans]) {
    if (!known.includes(name)) throw new Error(`unknown flag: --${name}`);
  }
}
