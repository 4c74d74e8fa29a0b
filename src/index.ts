/**
 * llama2-ts as a library: `import { loadPretrained, pretrain, ... } from "llama2-ts"`.
 *
 * Everything a user needs is exported here (package.json `exports` maps "llama2-ts" to this file
 * only; deep imports are not part of the API). The CLI (`llama2 ...`) is built on the same functions.
 *
 * Adding a training stage (sft, trainReward, rejectionSample, ppo, ...): write it like
 * src/api/train.ts `pretrain` — `stage(config: DeepPartial<StageConfig>, options: TrainOptions)`
 * merging `config` over the stage's schema defaults with `mergeObject` (the YAML's schema, one
 * source for both), reporting each step through `options.onProgress`, stopping on `options.signal`
 * with a checkpoint, writing nothing to the terminal unless `options.progress`, and resolving to a
 * {@link TrainRunResult}. Export it and its config types below, with TSDoc, in the "Training" block.
 *
 * @packageDocumentation
 */

// Loading, generation and scoring.
export {
  loadPretrained, PretrainedModel, SUPPORTED_DTYPES,
  type LoadOptions, type WeightDtype, type GenerationDefaults, type ScoreResult, type ScoreOptions,
} from "./api/pretrained.js";
export type { GenerateOptions, GenerateResult, GenerationInput } from "./api/generation.js";
export { AbortError } from "./api/abort.js";

// Tokenizer, chat format and tokenizer training.
export { LmTokenizer, type ApplyChatTemplateOptions } from "./api/tokenizer.js";
export { Tokenizer, TokenizerFormatError, type EncodeOptions, type DecodeOptions, type TokenizerConfig } from "./tokenizer/tokenizer.js";
export type { StreamDecoder, StreamDecoderOptions } from "./tokenizer/stream-decoder.js";
export {
  LLAMA2_CHAT_TEMPLATE, B_INST, E_INST, B_SYS, E_SYS, ChatFormatError, renderChat, encodeChat,
  type ChatMessage, type ChatOptions, type EncodedChat,
} from "./tokenizer/chat-template.js";
export { trainTokenizer, LLAMA2_TRAINER_DEFAULTS, type TrainerOptions as TokenizerTrainerOptions, type TrainedTokenizer } from "./tokenizer/trainer.js";
export { saveTokenizerDir } from "./tokenizer/hf-export.js";

// Training.
export {
  pretrain, resolvePretrainConfig,
  type PretrainConfigInput, type DeepPartial, type TrainOptions, type TrainProgress, type TrainRunResult,
} from "./api/train.js";
export type { PretrainConfig, ModelSection } from "./recipes/pretrain-config.js";
export { trainReward, evaluateReward, type RewardConfigInput, type RewardRunResult, type EvaluateRewardOptions } from "./api/reward.js";
export type { RewardConfig } from "./recipes/reward-config.js";
export type { RewardStats } from "./recipes/reward.js";
export type { RewardEvalResult, GroupStats } from "./recipes/reward-eval.js";
export type { MetricsLine } from "./train/metrics-log.js";
export type { StepProgress } from "./train/trainer.js";
export { prepareTokens, type PrepareOptions } from "./data/prepare.js";
export {
  sft, gatt, evaluate,
  type SftConfigInput, type GattConfigInput, type SftRunResult, type EvaluateOptions, type EvalReport,
} from "./api/sft.js";
export type { SftConfig } from "./recipes/sft-config.js";
export type { GattConfig } from "./recipes/gatt-config.js";
export { loadChatDataset, ChatDataError, type ChatSample, type ChatDataset } from "./data/chat-data.js";
export { scoreDataset, type DatasetScore } from "./recipes/sft-score.js";

// The whole recipe end to end (`llama2 demo`) and its report page (DIR/report.html; `llama2 report RUN_DIR`).
export { runDemo, demoBudget, DEMO_BUDGETS, DEMO_STAGES, type DemoBudget, type DemoOptions, type DemoResult, type DemoSize, type FreshRound, type OnPolicyCheck } from "./recipes/demo.js";
export { writeReport, writeFigures, reportHtml, escapeHtml } from "./report/html.js";
export {
  readRunData, REPORT_STAGES,
  type RunData, type DemoReport, type StageCurve, type RsCurve, type IterationReward, type SampleRow,
} from "./report/run-data.js";
export { reportCharts, type Chart as ReportChart } from "./report/charts.js";

// The model and its files.
export { Llama, type LlamaOptions } from "./model/llama.js";
export type { LlamaConfig } from "./model/config.js";
export { preset, PRESET_NAMES } from "./model/presets.js";
export { loadModelDir, saveModelDir, type LoadModelDirOptions, type ModelDir, type ModelKind, type SaveModelOptions } from "./model/model-dir.js";
export { readHfConfig, configFromHf, configToHf, type HfConfig } from "./model/hf-config.js";
export {
  readSafetensors, readSafetensorsHeader, writeSafetensors,
  type Tensor, type TensorEntry, type SafetensorsHeader, type Dtype as SafetensorsDtype, type WriteOptions as SafetensorsWriteOptions,
} from "./io/safetensors.js";

// The generated world and its judge.
export { generateWorld, SIZES as WORLD_SIZES, type Size as WorldSize, type GenerateOptions as WorldOptions, type GenerateReport as WorldReport } from "./world/generate.js";
export { judge, type JudgeOptions } from "./api/world.js";
export { Judge, JudgeInputError, MetaIndex, judgeFile, type JudgeReport, type JudgeLineError } from "./world/judge.js";

// Reliability (issue 10): run-directory ownership, the checks on models and weights, file-system errors.
export { openRunDir, assertRunDirFree, readLock, RunDirError, LOCK_FILE, type RunDir, type RunDirMode, type RunLockInfo } from "./train/run-dir.js";
export { requireHead, describeHead, WrongModelError, type Job } from "./model/model-kind.js";
export { BadWeightsError, firstNonFinite } from "./model/tensor-checks.js";
export { FsOpError, describeFsError } from "./io/fs-errors.js";
export { writeDirAtomic } from "./io/atomic-dir.js";

// ---- RLHF and serving ----
export { rejectionSample, ppo, type RejectionSampleOptions, type PpoCallOptions, type RsConfig, type RsOptions, type RsResult, type PpoConfig, type PpoOptions, type PpoResult } from "./api/rlhf.js";
export { annotate as annotateWithOracle, type AnnotateOptions, type AnnotateResult } from "./world/annotate.js";
export { startServer, type ServerOptions, type RunningServer } from "./serve/server.js";
export { startAnnotationServer, type AnnotationServerOptions, type AnnotationServer } from "./serve/annotation-server.js";
export { AnnotationLog } from "./serve/annotation-log.js";
export { comparisonRow, pairSafety, type ComparisonRow, type ComparisonInput, type Candidate, type PairSafety, type ResponseSource } from "./data/comparison-row.js";
export { combinedReward, ppoRewards, whiten, logit, SAFETY_GATE } from "./rlhf/combined-reward.js";
export { gae, tokenRewards } from "./rlhf/gae.js";

// Rollouts beyond one machine (issue 16): the backend seam the RS/PPO recipes call, the job function both
// backends run, `llama2 worker` as a library, content-addressed model snapshots and the queue's job format.
export { openRolloutBackend, LocalRolloutBackend, type RolloutBackend, type RolloutModels, type BackendOptions as RolloutBackendOptions } from "./rlhf/rollout-backend.js";
export { QueueRolloutBackend } from "./rlhf/queue/queue-backend.js";
export { runRolloutJob, rolloutJobSteps, jobRanges, type RolloutRow, type RolloutSampling, type RolloutBatch, type ScoredRollout, type PolicyModel } from "./rlhf/rollout-job.js";
export { rolloutSchema, type RolloutConfig } from "./rlhf/rollout-config.js";
export { startRolloutWorker, type RolloutWorker, type RolloutWorkerOptions } from "./rlhf/queue/worker.js";
export { SnapshotStore, type SnapshotTarget } from "./rlhf/queue/snapshot-store.js";
export { fetchSnapshot, describeFiles, modelFiles, manifestHash, hashFile, SnapshotError, type SnapshotRef, type SnapshotManifest, type SnapshotFile } from "./rlhf/queue/snapshot.js";
export { ROLLOUT_QUEUE, buildId, jobId as rolloutJobId, parseRedisUrl, packageVersion, type BuildId, type RolloutJobData, type RolloutJobResult, type RolloutResultRow } from "./rlhf/queue/protocol.js";
export { checkRedis } from "./rlhf/queue/redis.js";
