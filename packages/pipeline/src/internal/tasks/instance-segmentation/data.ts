import { OptikError } from '@optik/core';
import type { DetectionConfig } from '../detection/config.js';
import { loadDetectionData } from '../detection/data.js';
import type { TaskData } from '../types.js';
import type { InstanceSegmentationConfig } from './config.js';

/**
 * Loads the data of an instance segmentation config as detection does (the synthetic set's splits, or a COCO JSON
 * split by `validationSplit`/`testSplit`), with the COCO polygons/RLE decoded into instance masks resized with
 * their images. Refuses a source whose annotations hold no masks.
 */
export async function loadInstanceData(config: InstanceSegmentationConfig): Promise<TaskData> {
  const data = await loadDetectionData(config as unknown as DetectionConfig, { masks: true });
  for (const split of [data.train, data.validation, data.test]) {
    const kinds = new Set((split.targets ?? []).map((t) => t.kind));
    if (split.length > 0 && (kinds.size !== 1 || !kinds.has('instance-segmentation'))) {
      throw new OptikError('DATA_FORMAT', 'data.source: the annotations hold boxes but no instance masks.', {
        path: 'data.source',
        received: [...kinds],
        hint: 'Instance segmentation needs a COCO JSON whose annotations have a `segmentation` (polygons or RLE); train boxes alone with task: detection.',
      });
    }
  }
  return data;
}
