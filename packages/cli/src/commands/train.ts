import {
  loadPipelineConfig,
  locateRun,
  type PipelineConfig,
  PipelineConfigSchema,
  runTraining,
  type TrainingResult,
} from '@optik/pipeline';
import { openStore, type RunInfo } from '@optik/track';
import { fixed, parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { parseOverrides, UsageError } from '../internal/context.js';
import { headlineLines } from '../internal/headline.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const USAGE = `usage: optik train <config.yaml> [key=value ...] [--json] [--backend NAME]
       optik train --resume <run> [--root DIR]     continue a run from its last checkpoint
  key=value overrides nested config keys, e.g. train.epochs=3 model.dropout=0.5 data.limit.train=512`;

const FLAGS = {
  resume: {
    type: 'string',
    value: 'RUN',
    description:
      'continue a run (id, name, task/name or run folder) from its last checkpoint, with its recorded config',
  },
  root: { type: 'string', value: 'DIR', description: 'the run store --resume looks in (default runs)' },
} as const;

/**
 * One line per key of the pipeline config, in the course's words. `optik help train` lists them with the type and
 * default it reads from `PipelineConfigSchema`; a key added to the schema shows up there undescribed until it gets
 * a line here (the CLI's help test fails until then).
 */
const TRAIN_CONFIG_KEYS: Readonly<Record<string, string>> = {
  task: 'the task: classification, localization, detection, semantic-segmentation or instance-segmentation (each has the keys listed under it)',
  name: 'run name, unique per task (exp, exp2, … when omitted)',
  seed: 'the seed of everything random: weight init, shuffling, augmentation, splits',
  backend: 'auto picks the best available (see optik doctor); --backend and OPTIK_BACKEND win',
  data: 'where the images come from, how they are split and batched',
  'data.dataset': 'a built-in dataset, downloaded or found on the system (or made from a seed: the localization sets)',
  'data.source': 'localization: annotated images { format: voc | coco | yolo | csv, path } with one box per image',
  'data.noBox': 'localization: an image without a box is skipped (counted, listed in skipped.csv) or an error',
  'data.multipleBoxes': 'localization: an image with several boxes is an error, skipped, or keeps its largest box',
  'data.directory': 'a class-per-folder tree of images (optionally with train/ val/ test/ folders)',
  'data.synth':
    'detection: the generated set (cut-outs on photos, exact boxes), made once into the cache; {} = defaults',
  'data.synth.classes': 'how many classes (the first of the source catalogue)',
  'data.synth.classNames': 'explicit classes by catalogue name or source folder',
  'data.synth.objectsPerImage': '[min, max] objects per image',
  'data.synth.scale': "[min, max] of an object's longer side, as a fraction of the image's shorter side",
  'data.synth.maxOcclusion': 'the largest fraction of an object later objects may cover',
  'data.synth.minArea': 'objects with fewer visible pixels are not placed',
  'data.synth.imageSize': '[min, max] image side in pixels (width and height drawn apart)',
  'data.synth.cutouts':
    "shared: every split draws all of a class's cut-outs (new scenes of known drawings); disjoint: split 70/15/15",
  'data.synth.count': 'images in [train, val, test]',
  'data.synth.seed': 'seed of the generated set',
  'data.synth.format': 'coco, or yolo (also YOLO labels)',
  'data.synth.imageFormat': 'jpg or png',
  'data.synth.source': 'cut-outs: openclipart, emoji or tuxpaint',
  'data.synth.sourceDir': 'where the cut-out source lives, instead of its standard place',
  'data.synth.backgroundDirs': 'folders searched for the background photos',
  'data.synth.apt': 'fetch the background photos with apt-get download when missing',
  'data.imageSize':
    '[height, width] the directory (or source) images are resized to, boxes with them (default [64, 64])',
  'data.colorMode': 'colour mode of the directory (or source) images (default rgb)',
  'data.positiveClass': 'two-class directory: the class folder that is the positive class (label 1), reported first',
  'data.validationSplit': 'fraction of the training images held out (stratified) for validation',
  'data.testSplit': 'fraction held out as the test set where the source has none',
  'data.batchSize': 'images per optimizer step',
  'data.mergeValidation': 'train on train + validation (the final fit after a search; optik tune sets it)',
  'data.limit': 'stratified subsets for quick runs: at most this many images per split',
  'data.limit.train': 'at most this many training images',
  'data.limit.validation': 'at most this many validation images',
  'data.limit.test': 'at most this many test images',
  'data.cacheDir': 'where downloads and decoded images are cached (default OPTIK_CACHE_DIR or ~/.cache/optik)',
  'data.skipped': 'images the loader leaves out (unreadable, no box): allow (counted, in skipped.csv) or error',
  augment: 'an @optik/augment pipeline ({ type: Compose, transforms: [...] } or one transform), training batches only',
  model: 'the network: a preset or your own list of layers, and the head',
  'model.name': 'the model name stored with the weights',
  'model.head': 'softmax: one of N classes; sigmoid: binary (two classes, one output)',
  'model.preset': 'a ready-made body (give preset or layers)',
  'model.layers': 'your own body, layer by layer (give preset or layers)',
  'model.dropout': "dropout rate of a preset's classifier (with layers, give each dropout layer its rate)",
  'model.seed': 'seed of the weight initialisation (default: the config seed)',
  'model.classPooling': 'localization: how the class head pools a feature map (max: small objects in clutter)',
  'model.boxHiddenUnits': "localization: units of the box head's hidden dense layer (0: none)",
  'model.strides': 'detection: strides of the levels the head predicts on (1–3 powers of 2, e.g. [8, 16, 32])',
  'model.pyramidStrides':
    'detection: strides of the backbone maps the pyramid joins when deeper than the head reads (e.g. [8, 16, 32] with strides [8])',
  'model.fpnChannels': 'detection: channels of the pyramid levels and of the head',
  'model.fpnMerge': 'detection: a level joins the upsampled level above by add or concat',
  'model.headConvs': 'detection: conv 3×3 + ReLU layers per head branch (class, box)',
  'model.priorProbability': 'detection: initial object probability of every point (class bias; 0.01)',
  'train.fcos': 'detection: the FCOS loss (focal + GIoU + centre-ness)',
  'train.fcos.classificationWeight': 'weight of the sigmoid focal loss over all points and classes',
  'train.fcos.boxWeight': 'weight of the GIoU loss of the boxes of positive points',
  'train.fcos.centernessWeight': 'weight of the centre-ness cross-entropy of positive points',
  'train.fcos.alpha': 'focal loss: weight of positives (0.25)',
  'train.fcos.gamma': 'focal loss: focusing exponent (2)',
  'train.centerSamplingRadius': 'detection: positives lie within this many strides of a box centre (1.5)',
  'train.sizeBounds':
    'detection: the largest ltrb distance (px) where one level ends and the next begins, one per pair of levels (default 8 × stride; e.g. [16, 32] for 128-px inputs)',
  'train.minBoxArea': 'detection: after augmentation, boxes with fewer visible pixels are dropped',
  'model.prototypes': 'instance segmentation: mask prototypes k (and k mask coefficients per point)',
  'model.protoChannels': 'instance segmentation: channels of the prototype branch',
  'model.protoStride': 'instance segmentation: stride of the prototype maps (the finest stride over 1, 2 or 4)',
  'train.maskWeight': 'instance segmentation: weight of the mask loss (BCE inside each true box)',
  'train.maxMaskPositives': 'instance segmentation: the most positive points per image whose masks enter the loss',
  'postprocess.maskThreshold': 'instance segmentation: a pixel is in the mask above this probability (0.5)',
  postprocess: 'detection, instance segmentation: how outputs become boxes (and masks) for mAP and prediction',
  'postprocess.scoreThreshold': 'the least score a detection needs (sqrt of class × centre-ness probability)',
  'postprocess.iouThreshold': 'NMS: a box overlapping a better one of its class by more than this is dropped',
  'postprocess.maxDetections': 'the most detections kept per image',
  'postprocess.preNmsTopK': 'the best candidates per image that enter NMS',
  'model.depth': 'semantic segmentation: U-Net levels (each halves the map; the input divides by 2^depth)',
  'model.baseFilters': 'semantic segmentation: filters of the first U-Net level (doubled per level)',
  'model.upsampling': 'semantic segmentation: decoder upsampling, transpose (learned) or resize + conv',
  'model.interpolation': 'semantic segmentation: how resize upsampling interpolates (nearest, bilinear)',
  'model.batchNorm': 'semantic segmentation: batch norm after each U-Net convolution',
  'train.segmentationLoss': 'semantic segmentation: pixel cross-entropy + soft Dice',
  'train.segmentationLoss.crossEntropy': 'weight of the pixel cross-entropy',
  'train.segmentationLoss.dice': 'weight of the soft Dice loss',
  'train.segmentationLoss.classWeights': 'weight of each class in both terms (default all 1)',
  'train.segmentationLoss.ignoreIndex': 'mask value that counts in no loss or metric (255)',
  'train.segmentationLoss.diceSmooth': 'added to the Dice numerator and denominator (0)',
  'train.segmentationLoss.diceBackground': 'whether class 0 (background) counts in the Dice mean',
  'train.lossWeights': 'localization: the weight of each loss term',
  'train.lossWeights.class': 'weight of the cross-entropy on the class',
  'train.lossWeights.l1': 'weight of the L1 distance of the box (normalised centre, width, height)',
  'train.lossWeights.giou': 'weight of the GIoU loss of the box (1 − generalised IoU)',
  train: 'the trainer',
  'train.epochs': 'passes over the training set',
  'train.optimizer': 'the optimizer and its learning rate',
  'train.loss': 'the loss (default: categoricalCrossentropy for softmax, binaryCrossentropy for sigmoid)',
  'train.labelSmoothing': 'moves one-hot targets this far towards uniform (0.1 is common)',
  'train.classWeights': 'one weight per class, multiplying its samples in the loss (for imbalanced data)',
  'train.gradientClip': 'gradient clipping, against exploding gradients',
  'train.gradientClip.mode': 'clip each gradient by its norm or each value',
  'train.gradientClip.max': 'the largest norm or value a gradient may have',
  'train.seed': 'seed of shuffling and dropout (default: the config seed)',
  'train.stepsPerEpoch': 'batches per epoch (default: one pass over the training set)',
  callbacks: 'what runs at the end of every epoch',
  'callbacks.earlyStopping': 'stop when the monitored log key has stopped improving',
  'callbacks.earlyStopping.monitor': 'the log key watched (val_loss, val_accuracy, …)',
  'callbacks.earlyStopping.mode': 'min, max, or auto (max for accuracy-like keys, min for losses)',
  'callbacks.earlyStopping.patience': 'epochs without improvement before stopping',
  'callbacks.earlyStopping.minDelta': 'the smallest change that counts as an improvement',
  'callbacks.earlyStopping.restoreBestWeights': 'end with the weights of the best epoch',
  'callbacks.earlyStopping.startFromEpoch': 'epochs before it starts watching (a warm-up)',
  'callbacks.reduceLrOnPlateau': 'lower the learning rate when the monitored log key stops improving',
  'callbacks.reduceLrOnPlateau.monitor': 'the log key watched',
  'callbacks.reduceLrOnPlateau.mode': 'min, max, or auto',
  'callbacks.reduceLrOnPlateau.factor': 'multiplies the learning rate when it plateaus',
  'callbacks.reduceLrOnPlateau.patience': 'epochs without improvement before reducing',
  'callbacks.reduceLrOnPlateau.minDelta': 'the smallest change that counts as an improvement',
  'callbacks.reduceLrOnPlateau.cooldown': 'epochs to wait after a reduction',
  'callbacks.reduceLrOnPlateau.minLearningRate': 'the learning rate never goes below this',
  'callbacks.schedule': 'a learning-rate schedule (instead of reduceLrOnPlateau)',
  'callbacks.checkpoint': "the run's weights/ folder, written every epoch",
  'callbacks.checkpoint.monitor': 'the log key that decides the best epoch (weights/best)',
  'callbacks.checkpoint.mode': 'min, max, or auto',
  'callbacks.checkpoint.minDelta': 'the smallest change that counts as a better epoch',
  'callbacks.checkpoint.saveBest': 'keep weights/best, the best epoch so far',
  'callbacks.checkpoint.saveLast': 'keep weights/last, the latest epoch (what --resume continues)',
  'callbacks.checkpoint.enabled': 'write weights at all (needed to resume)',
  'callbacks.terminateOnNan': 'stop as soon as the loss is NaN (a learning rate too high, usually)',
  'callbacks.timeLimit.minutes': 'stop before an epoch that would end after this many minutes; the test still runs',
  'test.tta':
    'test-time augmentation: also predict mirrored test images and average (clothes: [hflip]; detection: outputs mapped back)',
  'output.root': 'the run store: runs go to <root>/<task>/<name>/',
};

/** `optik help train`. */
export const trainHelp: CommandHelp = {
  summary: 'train a pipeline config into a recorded run (key=value overrides, --resume RUN)',
  usage: USAGE,
  flags: FLAGS,
  // One key list per task (the config is a union on `task`), sharing the descriptions above.
  config: PipelineConfigSchema.options.map((schema, i, all) => ({
    title: `task: ${schema.shape.task.value} — config keys (in the YAML/JSON file, or key=value after it; [type; default]):`,
    schema,
    descriptions: TRAIN_CONFIG_KEYS,
    ...(i === all.length - 1
      ? { note: 'Lists are indexed in overrides: model.layers.0.filters=64. null removes a key: data.dataset=null.' }
      : {}),
  })),
};

/** `optik train`: trains a pipeline config into a tracked run and prints the test metrics and the diagnosis. */
export const train: Command = async (args, ctx) => {
  const { values, positionals } = parseCommandArgs(args, parserOptions(FLAGS), USAGE);
  let config: PipelineConfig;
  let resume: number | string | undefined;
  if (values.resume !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError(
        `--resume continues a run with its recorded config; give no config file or overrides.\n${USAGE}`,
      );
    }
    // A run folder path works too: the store knows the run by the id its run.json records.
    const located = locateRun(values.resume, { root: values.root ?? 'runs' });
    config = located.config;
    resume = located.id ?? values.resume;
  } else {
    const [file, ...rest] = positionals;
    if (file === undefined) throw new UsageError(`optik train needs a config file.\n${USAGE}`);
    if (values.root !== undefined)
      throw new UsageError(`--root goes with --resume; set output.root=DIR instead.\n${USAGE}`);
    config = loadPipelineConfig(file, parseOverrides(rest));
  }
  const interactive = process.stderr.isTTY === true;
  const started = Date.now();
  // Ctrl-C stops after the current batch (the run keeps its epochs and checkpoint) and says how to resume; a
  // second Ctrl-C quits at once.
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\noptik train: stopping after the current batch (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let result: TrainingResult;
  try {
    result = await runTraining(config, {
      backend: ctx.backend,
      ...(resume === undefined ? {} : { resume }),
      signal: controller.signal,
      log: (line) => process.stderr.write(`${line}\n`),
      // The progress bar draws on a terminal; elsewhere (logs, CI, --json pipes) one line per epoch.
      onEpoch: interactive
        ? undefined
        : ({ epoch, epochs, logs }) => process.stderr.write(`${formatEpoch(epoch, epochs, logs)}\n`),
    });
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    reportInterrupted(config, resume, started, ctx);
    return;
  } finally {
    process.off('SIGINT', onSigint);
  }
  ctx.result(
    {
      runId: result.runId,
      runDir: result.runDir,
      backend: result.backend,
      metrics: result.metrics,
      diagnosis: result.diagnosis,
      epochs: result.epochs,
      bestEpoch: result.bestEpoch,
      seconds: result.seconds,
    },
    formatResult(result),
  );
};

/** After Ctrl-C: which run stopped, what it kept, and the command that continues it. */
function reportInterrupted(
  config: PipelineConfig,
  resume: number | string | undefined,
  started: number,
  ctx: Parameters<Command>[1],
): void {
  process.exitCode = 130;
  const root = config.output.root;
  let run: RunInfo | undefined;
  try {
    const store = openStore({ root, readOnly: true });
    try {
      // The run this process trained: the resumed one, else the newest run it created.
      run =
        resume !== undefined
          ? store.getRun(resume)
          : store
              .listRuns({ sortBy: 'id', order: 'desc', limit: 50 })
              .find((r) => r.pid === process.pid && Date.parse(r.createdAt) >= started - 1000);
    } finally {
      store.close();
    }
  } catch {
    run = undefined;
  }
  const quote = (text: string) => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`);
  const ref = run === undefined ? (resume === undefined ? '<run>' : String(resume)) : String(run.id);
  const command = `optik train --resume ${ref}${root === 'runs' ? '' : ` --root ${quote(root)}`}`;
  const kept =
    run === undefined
      ? 'The run keeps the epochs it finished.'
      : `Run ${run.task}/${run.name} (id ${run.id}) keeps its ${run.epochCount} finished epoch${run.epochCount === 1 ? '' : 's'}${config.callbacks.checkpoint.enabled ? ' and its last checkpoint' : ''}.`;
  const lines = [
    `optik train: interrupted. ${kept}`,
    config.callbacks.checkpoint.enabled
      ? `Continue it with: ${command}`
      : `Checkpoints are off (callbacks.checkpoint.enabled: false), so it cannot continue where it stopped; train it again instead.`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  if (ctx.json) {
    ctx.result(
      {
        interrupted: true,
        runId: run?.id ?? null,
        runDir: run?.dir ?? null,
        resume: config.callbacks.checkpoint.enabled ? command : null,
      },
      '',
    );
  }
}

function formatEpoch(epoch: number, epochs: number, logs: Readonly<Record<string, number>>): string {
  const parts = [`epoch ${epoch + 1}/${epochs}`];
  for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'val_mask_map50', 'val_map50', 'val_miou']) {
    if (logs[key] !== undefined) parts.push(`${key} ${fixed(logs[key])}`);
  }
  if (logs.learning_rate !== undefined) parts.push(`lr ${logs.learning_rate.toPrecision(3)}`);
  if (logs.epoch_seconds !== undefined) parts.push(`${logs.epoch_seconds.toFixed(1)} s`);
  if (logs.samples_per_second !== undefined) parts.push(`${logs.samples_per_second.toFixed(0)} samples/s`);
  return parts.join('  ');
}

function formatResult(r: TrainingResult): string {
  const m = r.metrics;
  const verdict = {
    underfitting: 'underfitting',
    overfitting: 'overfitting',
    'good-fit': 'good fit',
    'insufficient-evidence': 'insufficient evidence',
  }[r.diagnosis.verdict];
  const lines = [
    `run ${r.runId} (${r.runName}) on ${r.backend}: ${r.epochs} epochs in ${r.seconds.toFixed(1)} s${r.bestEpoch === null ? '' : `, best epoch ${r.bestEpoch}`}${r.stopReason === null ? '' : ` (stopped: ${r.stopReason})`}`,
    `test set (${m.numSamples} images, weights/best):`,
    ...headlineLines(m),
    `diagnosis: ${verdict}`,
    ...r.diagnosis.reasons.map((reason) => `  - ${reason}`),
    ...(r.diagnosis.remedies.length === 0
      ? []
      : ['remedies:', ...r.diagnosis.remedies.map((remedy) => `  - ${remedy}`)]),
    `rule: ${r.diagnosis.rule}`,
    `report: ${r.runDir}/report.html`,
  ];
  return lines.join('\n');
}
