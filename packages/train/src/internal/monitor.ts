import { OptikError } from '@optik/core';
import { z } from 'zod';
import type { Logs } from './types.js';

export const ModeSchema = z.enum(['auto', 'min', 'max']);
export type Mode = z.output<typeof ModeSchema>;

/** `auto`: maximise accuracy-like metrics, minimise the rest (Keras). */
export function resolveMode(mode: Mode, monitor: string): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|auc|precision|recall|f1|iou|map/i.test(monitor) ? 'max' : 'min';
}

export function isImprovement(mode: 'min' | 'max', current: number, best: number, minDelta: number): boolean {
  return mode === 'min' ? current < best - minDelta : current > best + minDelta;
}

export function readMonitor(logs: Logs, monitor: string, who: string): number {
  const value = logs[monitor];
  if (value === undefined) {
    throw new OptikError('CONFIG_INVALID', `${who} monitors '${monitor}', which is not in the epoch logs.`, {
      received: monitor,
      hint: `Available: ${Object.keys(logs).join(', ')}. Monitoring val_* needs validation data.`,
    });
  }
  return value;
}

/** JSON has no Infinity: ±Infinity is stored as null. */
export const encodeBest = (value: number): number | null => (Number.isFinite(value) ? value : null);
export const decodeBest = (value: unknown, mode: 'min' | 'max'): number =>
  typeof value === 'number' ? value : mode === 'min' ? Infinity : -Infinity;
