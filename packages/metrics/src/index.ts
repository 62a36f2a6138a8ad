// Public entry of @optik/metrics. Every export is named here; internals live under ./internal.
export type {
  BinaryLogLossOptions,
  ThresholdMetricOptions,
} from './internal/binary.js';
export {
  BinaryAccuracy,
  BinaryAveragePrecision,
  BinaryF1Score,
  BinaryLogLoss,
  BinaryPrecision,
  BinaryRecall,
  BinaryRocAuc,
} from './internal/binary.js';
export type {
  AveragedScores,
  ClassScores,
  ConfusionNormalization,
  PrecisionRecallF1Result,
} from './internal/confusion.js';
export { normalizeConfusionMatrix } from './internal/confusion.js';
export type {
  CocoCategoryResult,
  CocoDetection,
  CocoEvalResult,
  CocoEvaluateInput,
  CocoGroundTruth,
  CocoPrCurve,
} from './internal/detection/coco.js';
export { cocoBoxIou, evaluateCoco } from './internal/detection/coco.js';
export type {
  DetectionMetricsOptions,
  DetectionPrediction,
  DetectionReport,
  DetectionTruth,
  InstanceMask,
} from './internal/detection/metrics.js';
export { DetectionMetrics } from './internal/detection/metrics.js';
export type { VocCategoryResult, VocEvalResult } from './internal/detection/voc.js';
export { evaluateVoc, vocAp } from './internal/detection/voc.js';
export type { DiagnoseFitOptions, FitDiagnosis, FitEpoch, FitLogs } from './internal/diagnose.js';
export { diagnoseFit } from './internal/diagnose.js';
export type { Labels, Probabilities, TensorLike } from './internal/inputs.js';
export type {
  LocalizationAtThreshold,
  LocalizationClass,
  LocalizationMetricsOptions,
  LocalizationPrediction,
  LocalizationReport,
  LocalizationTruth,
} from './internal/localization.js';
export { boxIou, LocalizationMetrics } from './internal/localization.js';
export type { Metric } from './internal/metric.js';
export type {
  AveragedMetricOptions,
  LogLossOptions,
  MulticlassMetricOptions,
  OneVsRestResult,
  PrecisionRecallCurve,
  RocCurve,
  TopKAccuracyOptions,
} from './internal/multiclass.js';
export {
  Accuracy,
  AveragePrecision,
  ConfusionMatrix,
  F1Score,
  LogLoss,
  Precision,
  PrecisionRecallF1,
  Recall,
  RocAuc,
  TopKAccuracy,
} from './internal/multiclass.js';
export type { ClassificationReport, ClassificationReportOptions, ReportClass } from './internal/report.js';
export { classificationReport } from './internal/report.js';
export type {
  ClassMap,
  SegmentationClassScores,
  SegmentationMetricsOptions,
  SegmentationReport,
} from './internal/segmentation.js';
export { SegmentationMetrics } from './internal/segmentation.js';
