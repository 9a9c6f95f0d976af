export { DedupWindow } from './dedup.js';
export { Pipeline, type PipelineOptions, type PipelineStats, type PublishFn } from './pipeline.js';
export { type RecentOptions, TradeRing, TradeStore } from './store.js';
