import { assertSafeKeys, OptikError, splitKeyPath } from '@optik/core';

/** A usage error: bad flags or arguments. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What every command gets: parsed global flags and output helpers. */
export interface CommandContext {
  readonly json: boolean;
  readonly debug: boolean;
  readonly backend: string | undefined;
  /** Progress and human-readable output: stderr when --json, else stdout. */
  info(line: string): void;
  /** The result: a JSON object as the last stdout line with --json, else `human` on stdout. */
  result(object: unknown, human: string): void;
}

export type Command = (args: readonly string[], ctx: CommandContext) => Promise<void>;

/**
 * Parses trailing `key=value` overrides (`train.epochs=3 model.dropout=0.5`) into a nested object. A key path or a
 * JSON value through `__proto__`, `constructor` or `prototype` is refused (`CONFIG_UNSAFE_KEY`).
 */
export function parseOverrides(args: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`Expected key=value, got "${arg}".`);
    const key = arg.slice(0, eq);
    const path = splitKeyPath(key);
    let node = out;
    for (const part of path.slice(0, -1)) {
      const next = Object.hasOwn(node, part) ? node[part] : undefined;
      if (next === undefined || next === null || typeof next !== 'object') node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[path.at(-1) as string] = coerce(arg.slice(eq + 1), key);
  }
  return out;
}

function coerce(text: string, key: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (text !== '' && !Number.isNaN(Number(text))) return Number(text);
  if ((text.startsWith('[') && text.endsWith(']')) || (text.startsWith('{') && text.endsWith('}'))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new OptikError('CONFIG_PARSE', `Could not parse the override value ${text} as JSON.`, {
        hint: 'Quote strings inside lists, e.g. key=["a","b"].',
      });
    }
    assertSafeKeys(parsed, key);
    return parsed;
  }
  return text;
}
