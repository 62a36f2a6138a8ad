import { z } from 'zod';
import { fromZodError } from './errors.js';

const EnvSchema = z.object({
  OPTIK_BACKEND: z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).optional(),
  OPTIK_THREADS: z.coerce.number().int().min(1).max(256).optional(),
  OPTIK_CACHE_DIR: z.string().min(1).optional(),
  OPTIK_HOME: z.string().min(1).optional(),
  OPTIK_DEBUG: z
    .enum(['0', '1', 'true', 'false'])
    .transform((v) => v === '1' || v === 'true')
    .optional(),
});

/** Optik's environment variables, validated: the one place that reads `process.env`. */
export type OptikEnv = z.output<typeof EnvSchema>;

/**
 * Reads and validates Optik's environment variables (`OPTIK_BACKEND`, `OPTIK_THREADS`, `OPTIK_CACHE_DIR`,
 * `OPTIK_HOME`, `OPTIK_DEBUG`). Empty values count as unset. A bad value is a coded error naming the variable.
 *
 * @example
 * ```ts
 * const { OPTIK_BACKEND } = readEnv(); // 'wasm' | 'cpu' | ... | undefined
 * ```
 */
export function readEnv(source: Record<string, string | undefined> = process.env): OptikEnv {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) throw fromZodError(parsed.error, { input: picked, what: 'environment variable' });
  return parsed.data;
}
