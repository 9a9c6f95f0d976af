export { DedupWindow } from './dedup.js';
export { Pipeline, type PipelineOptions, type PipelineStats, type PublishFn } from './pipeline.js';
export { TradeRing, TradeStore } from './store.js';
