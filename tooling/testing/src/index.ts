/**
 * @optik/testing — private test helpers shared by Optik's packages: temporary folders, CSV and PNG files,
 * generated box datasets, a small tmpfs, the model harness (every zoo model × preset) and the task harness (every
 * registered task, end to end). It depends on no other Optik package but core: what it tests is passed in by the
 * package's own test files.
 */

/**
 * Generated box data: a generated grayscale image with its objects (`BoxImage`, `BoxObject`) and the options of
 * {@link boxImages}.
 *
 * @example
 * ```ts
 * const noBox: BoxImage = { ...images[0], objects: [] };
 * ```
 */
export type { BoxImage, BoxImagesOptions, BoxObject } from './boxes.js';
/**
 * Tiny box datasets for localization and detection tests: `boxImages` draws one bright rectangle per image
 * (brightness by class, place and size from the seed) on dark noise; `writeVocFolder` writes any such images as a
 * Pascal VOC folder, boxes exactly as given (so bad boxes can be written too).
 *
 * @example
 * ```ts
 * const images = boxImages({ count: 40, height: 32, width: 48, classes: ['dim', 'bright'], seed: 1 });
 * const files = writeVocFolder(join(dir, 'voc'), images);
 * ```
 */
export { boxImages, writeVocFolder } from './boxes.js';
/**
 * Parses CSV text (quoted fields, doubled quotes) into rows of strings: `parseCsv` all rows, `readCsv` the header
 * and the data rows. For checking the CSV files runs and studies write.
 *
 * @example
 * ```ts
 * const { header, rows } = readCsv(readFileSync(join(runDir, 'results.csv'), 'utf8'));
 * const [first, ...rest] = parseCsv('a,"b ""c"""\n1,2\n'); // ['a', 'b "c"'], [['1', '2']]
 * ```
 */
export { parseCsv, readCsv } from './csv.js';
/**
 * A small tmpfs of its own (`SmallDisk`: fill, unfill, free, remount read-only, release), or why it could not be
 * had (`NoSmallDisk`).
 *
 * @example
 * ```ts
 * const disk: SmallDisk | NoSmallDisk = mountSmallDisk(256);
 * ```
 */
export type { NoSmallDisk, SmallDisk } from './disk.js';
/**
 * Mounts a tmpfs of a few KiB when the tests run as root and the system allows it (else says why not, for the test
 * to skip): the way to test a full or read-only disk.
 *
 * @example
 * ```ts
 * const disk = mountSmallDisk(256);
 * it.skipIf(!disk.ok)('reports DISK_FULL', () => { if (disk.ok) { disk.fill(); … disk.release(); } });
 * ```
 */
export { mountSmallDisk } from './disk.js';
/**
 * A fresh temporary folder, removed after the test file (`tempDir`); 8-bit grayscale or RGB pixels written as a
 * PNG file with no image library (`writePng`).
 *
 * @example
 * ```ts
 * const dir = tempDir('optik-data-');
 * writePng(join(dir, 'dark.png'), 12, 10, 1, new Uint8Array(120).fill(40));
 * ```
 */
export { tempDir, writePng } from './files.js';
/**
 * The model harness's case and options types.
 *
 * @example
 * ```ts
 * const c: ModelHarnessCase<Classifier> = {
 *   label: 'Classifier seed-cnn',
 *   inputShape: [16, 20, 1],
 *   outputShapes: [[3]],
 *   build: () => new Classifier({ preset: 'seed-cnn', inputShape: [16, 20, 1], numClasses: 3 }),
 *   rebuild: (config) => Classifier.fromConfig(config),
 * };
 * ```
 */
export type { HarnessModel, ModelHarnessCase, ModelHarnessOptions } from './model-harness.js';
/**
 * The model harness (Keras `run_layer_test`): `describeModelHarness` registers, per case, output shapes at batch ≥ 2
 * on a non-square input, the config round trip (same config, weights, predictions), one training step with a
 * finite non-zero gradient for every trainable weight, and no tensor left after `dispose`. The three checks are
 * also exported on their own; each throws (a failed `expect`) when the model breaks its contract.
 *
 * @example
 * ```ts
 * describeModelHarness(PRESET_NAMES.map(classifierCase), { setBackend: (name) => initBackend({ prefer: name }) });
 * checkTrainingStep(classifierCase('seed-cnn')); // inside an `it`
 * ```
 */
export {
  checkConfigRoundTrip,
  checkOutputShapes,
  checkTrainingStep,
  describeModelHarness,
} from './model-harness.js';
/**
 * The task harness's case, the pipeline functions it is given, and what it reads of a training result.
 *
 * @example
 * ```ts
 * const c: TaskHarnessCase = {
 *   kind: 'localization',
 *   makeConfig: (dir) => tinyVocConfig(dir),
 *   imageFiles: (dir) => [join(dir, 'voc', 'JPEGImages', '00.png')],
 *   artifacts: ['plots/iou-histogram.png'],
 * };
 * ```
 */
export type { HarnessTrainingResult, TaskHarnessApi, TaskHarnessCase } from './task-harness.js';
/**
 * The task harness: `describeTaskHarness(cases, api)` runs every registered task through config → tiny training →
 * the run folder's files (`RUN_FOLDER_FILES` and the case's artifacts) → `runEvaluation` reproducing metrics.json
 * → `runPrediction` (one entry per file) → no tensor leak, and fails when a registered task has no case.
 * `expectJsonClose` compares JSON-like results with a numeric tolerance, listing every path that differs.
 *
 * @example
 * ```ts
 * import * as pipeline from '../index.js';
 * describeTaskHarness([classificationCase, localizationCase], pipeline);
 * expectJsonClose(fromVoc.metrics, fromCoco.metrics, 1e-5);
 * ```
 */
export { describeTaskHarness, expectJsonClose, RUN_FOLDER_FILES } from './task-harness.js';
