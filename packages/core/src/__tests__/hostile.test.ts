// Hostile config keys (issue #11): a key path through __proto__, constructor or prototype would write into
// Object.prototype when a config is built from it.
import { describe, expect, it } from 'vitest';
import { assertSafeKeys, isOptikError, splitKeyPath } from '../index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isOptikError(error) ? error.code : 'not an OptikError';
  }
  return undefined;
}

describe('prototype-pollution keys', () => {
  it('splitKeyPath splits dotted paths and refuses __proto__, constructor and prototype segments', () => {
    expect(splitKeyPath('model.layers.3.rate')).toEqual(['model', 'layers', '3', 'rate']);
    for (const path of ['__proto__.polluted', 'a.constructor.prototype.x', 'train.prototype', 'constructor']) {
      expect(
        codeOf(() => splitKeyPath(path)),
        path,
      ).toBe('CONFIG_UNSAFE_KEY');
    }
    expect(codeOf(() => splitKeyPath('train..epochs'))).toBe('CONFIG_INVALID');
  });

  it('assertSafeKeys finds them at any depth of parsed JSON (own "__proto__" keys) and in dotted keys', () => {
    expect(codeOf(() => assertSafeKeys({ a: [{ b: 1 }], c: { 'd.e': 2 } }))).toBeUndefined();
    expect(codeOf(() => assertSafeKeys(JSON.parse('{"a":{"__proto__":{"polluted":1}}}')))).toBe('CONFIG_UNSAFE_KEY');
    expect(codeOf(() => assertSafeKeys({ list: [{ constructor: { prototype: {} } }] }))).toBe('CONFIG_UNSAFE_KEY');
    expect(codeOf(() => assertSafeKeys({ space: { 'x.__proto__.y': 1 } }))).toBe('CONFIG_UNSAFE_KEY');
    try {
      assertSafeKeys({ data: JSON.parse('{"__proto__":{"polluted":1}}') }, 'root', { file: 'tune.yaml' });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).toMatch(
        /The key "__proto__" is not allowed in a config key path \(root\.data\.__proto__\)/,
      );
      expect(String(error)).toContain('tune.yaml');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
