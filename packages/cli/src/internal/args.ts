import { type ParseArgsConfig, parseArgs } from 'node:util';
import { OptikError } from '@optik/core';
import { UsageError } from './context.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs` with positionals allowed and strict flags; a bad flag is a usage error (exit 2) showing `usage`. */
export function parseCommandArgs<O extends Options>(
  args: readonly string[],
  options: O,
  usage: string,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
}

/** An integer flag value (`--top-k 3`): a coded user error when it is not an integer ≥ `min`. */
export function intFlag(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new OptikError('ARGUMENT_INVALID', `--${name} must be an integer ≥ ${min}.`, { received: text });
  }
  return n;
}

/** A fraction flag value (`--conf 0.25`): a coded user error when it is not a number in [0, 1]. */
export function fractionFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new OptikError('ARGUMENT_INVALID', `--${name} must be a number between 0 and 1.`, { received: text });
  }
  return n;
}

/** Fixed-width number for tables. */
export function fixed(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}
