import type { TaskKind } from '@optik/core';
import { OptikError } from '@optik/core';
import type { ClassificationConfig } from './classification/config.js';
import { classificationTask } from './classification/task.js';
import type { DetectionConfig } from './detection/config.js';
import { detectionTask } from './detection/task.js';
import type { InstanceSegmentationConfig } from './instance-segmentation/config.js';
import { instanceSegmentationTask } from './instance-segmentation/task.js';
import type { LocalizationConfig } from './localization/config.js';
import { localizationTask } from './localization/task.js';
import type { SegmentationConfig } from './segmentation/config.js';
import { segmentationTask } from './segmentation/task.js';
import type { BaseTaskConfig, Task } from './types.js';

/** Every task Optik trains, by its `task:` value. Adding a task is one line here and its own folder. */
const TASKS: Partial<Record<TaskKind, Task<never, never>>> = {
  classification: classificationTask as unknown as Task<never, never>,
  localization: localizationTask as unknown as Task<never, never>,
  detection: detectionTask as unknown as Task<never, never>,
  'semantic-segmentation': segmentationTask as unknown as Task<never, never>,
  'instance-segmentation': instanceSegmentationTask as unknown as Task<never, never>,
};

/** A resolved pipeline config of any registered task, told apart by `task`. */
export type PipelineConfig =
  | ClassificationConfig
  | LocalizationConfig
  | DetectionConfig
  | SegmentationConfig
  | InstanceSegmentationConfig;

/** The task of a config (or of a `task:` value). */
export function taskOf(kind: string): Task<BaseTaskConfig & PipelineConfig, unknown> {
  const task = TASKS[kind as TaskKind];
  if (task === undefined) {
    throw new OptikError('CONFIG_INVALID', `task: "${kind}" is not a task Optik can train yet.`, {
      path: 'task',
      received: kind,
      hint: `Use one of: ${Object.keys(TASKS).join(', ')}.`,
    });
  }
  return task as unknown as Task<BaseTaskConfig & PipelineConfig, unknown>;
}

/** The registered task kinds. */
export function taskKinds(): TaskKind[] {
  return Object.keys(TASKS) as TaskKind[];
}
