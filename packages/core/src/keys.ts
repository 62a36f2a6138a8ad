import { OptikError } from './errors.js';

/** Key names that reach an object's prototype when written through: the prototype-pollution keys. */
const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Throws `CONFIG_UNSAFE_KEY` when `key` is `__proto__`, `constructor` or `prototype`: a config key path that walks
 * through one of them would write into `Object.prototype` (prototype pollution) instead of the config.
 *
 * @example
 * ```ts
 * for (const key of Object.keys(section)) assertSafeKey(key, { path: `data.${key}` });
 * ```
 */
export function assertSafeKey(key: string, details: { path?: string; file?: string } = {}): void {
  if (!UNSAFE_KEYS.has(key)) return;
  throw new OptikError(
    'CONFIG_UNSAFE_KEY',
    `The key "${key}" is not allowed in a config key path${details.path === undefined ? '' : ` (${details.path})`}: it would write into JavaScript's object prototype instead of the config.`,
    {
      ...(details.file === undefined ? {} : { file: details.file }),
      received: details.path ?? key,
      hint: 'Remove it; no Optik config key is named __proto__, constructor or prototype.',
    },
  );
}

/**
 * Splits a dotted key path (`train.optimizer.learningRate`, as in `key=value` overrides and tune parameters) into
 * its segments, refusing empty segments and the prototype-pollution keys with coded errors.
 *
 * @example
 * ```ts
 * splitKeyPath('model.layers.3.rate'); // ['model', 'layers', '3', 'rate']
 * splitKeyPath('__proto__.polluted'); // throws CONFIG_UNSAFE_KEY
 * ```
 */
export function splitKeyPath(dotted: string, details: { file?: string } = {}): string[] {
  const parts = dotted.split('.');
  if (parts.some((part) => part === '')) {
    throw new OptikError('CONFIG_INVALID', `The key path "${dotted}" has an empty segment.`, {
      ...details,
      received: dotted,
      hint: 'Write keys separated by single dots, e.g. train.epochs.',
    });
  }
  for (const part of parts) assertSafeKey(part, { ...details, path: dotted });
  return parts;
}

/**
 * Walks plain data (parsed JSON or YAML) and throws `CONFIG_UNSAFE_KEY` at the first object key that is, or has a
 * dotted segment that is, `__proto__`, `constructor` or `prototype`, naming its path.
 *
 * @example
 * ```ts
 * assertSafeKeys(JSON.parse(text), 'model'); // JSON.parse keeps "__proto__" as an own key: refuse it here
 * ```
 */
export function assertSafeKeys(value: unknown, path = '', details: { file?: string } = {}): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) assertSafeKeys(item, `${path}[${i}]`, details);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    // A key may itself be a dotted path (tune parameters, trialOverrides): each of its segments counts.
    for (const segment of key.split('.')) assertSafeKey(segment, { ...details, path: at });
    assertSafeKeys(item, at, details);
  }
}
