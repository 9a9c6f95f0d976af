export { MACHINES } from './charts.js';
export { toDot, wrap } from './dot.js';
export { mermaidText, toMermaid } from './mermaid.js';
export {
  allStates,
  arrowLabel,
  type Chart,
  type ChartArrow,
  type ChartState,
  type ChartTransition,
  chartArrows,
  readChart,
  statePaths,
  transitionLabel,
} from './model.js';
export {
  embedMermaid,
  readmeFile,
  renderSvg,
  staleVizFiles,
  type VizFile,
  vizFiles,
  writeVizFiles,
} from './render.js';
