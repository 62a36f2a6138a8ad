import { OptikError } from '@optik/core';
import type { ClassifierOptions } from '@optik/zoo';

type Layer = NonNullable<ClassifierOptions['layers']>[number];

/** How each block is written in the URL, for messages and the block editor's help. */
export const BLOCK_SYNTAX = {
  conv: 'conv:<filters>:<kernelSize>:<stride>:<same|valid>',
  pool: 'pool:<max|average>:<size>',
  flatten: 'flatten',
  dense: 'dense:<units>',
  dropout: 'dropout:<rate>',
} as const;

function int(text: string | undefined, what: string, block: string): number {
  const v = Number(text);
  if (text === undefined || !Number.isInteger(v) || v < 1) {
    throw new OptikError('CONFIG_INVALID', `Block "${block}": ${what} must be a positive integer.`, {
      received: text ?? '(missing)',
      hint: `Write it as ${BLOCK_SYNTAX[block.split(':')[0] as keyof typeof BLOCK_SYNTAX] ?? 'conv:8:3:1:same'}.`,
    });
  }
  return v;
}

/** One URL block (`conv:8:3:1:same`, `pool:max:2`, `flatten`, `dense:64`, `dropout:0.25`) as a zoo layer config. */
export function parseBlock(block: string): Layer {
  const [kind, ...args] = block.split(':');
  switch (kind) {
    case 'conv': {
      const padding = args[3] ?? 'same';
      if (padding !== 'same' && padding !== 'valid') {
        throw new OptikError('CONFIG_INVALID', `Block "${block}": padding must be same or valid.`, {
          received: padding,
          hint: `Write it as ${BLOCK_SYNTAX.conv}.`,
        });
      }
      return {
        type: 'conv',
        filters: int(args[0], 'filters', block),
        kernelSize: int(args[1] ?? '3', 'kernelSize', block),
        strides: int(args[2] ?? '1', 'stride', block),
        padding,
      };
    }
    case 'pool': {
      const mode = args[0] ?? 'max';
      if (mode !== 'max' && mode !== 'average') {
        throw new OptikError('CONFIG_INVALID', `Block "${block}": pooling is max or average.`, {
          received: mode,
          hint: `Write it as ${BLOCK_SYNTAX.pool}.`,
        });
      }
      return { type: 'pool', mode, poolSize: int(args[1] ?? '2', 'size', block) };
    }
    case 'flatten':
      return { type: 'flatten' };
    case 'dense':
      return { type: 'dense', units: int(args[0], 'units', block) };
    case 'dropout': {
      const rate = Number(args[0] ?? '0.25');
      if (!(rate >= 0 && rate < 1)) {
        throw new OptikError('CONFIG_INVALID', `Block "${block}": the dropout rate must be in [0, 1).`, {
          received: args[0] ?? '(missing)',
          hint: `Write it as ${BLOCK_SYNTAX.dropout}.`,
        });
      }
      return { type: 'dropout', rate };
    }
    default:
      throw new OptikError('CONFIG_INVALID', `Unknown block "${block}".`, {
        received: kind ?? '',
        hint: `Use one of ${Object.values(BLOCK_SYNTAX).join(', ')}.`,
      });
  }
}

/** The classifier config of image mode: 28×28×1 in, the blocks, a 10-way softmax head. */
export function imageClassifierOptions(blocks: readonly string[], seed: number): ClassifierOptions {
  return {
    name: 'playground_cnn',
    inputShape: [28, 28, 1],
    layers: blocks.map(parseBlock),
    numClasses: 10,
    seed,
  };
}
