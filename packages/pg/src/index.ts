// Nx loads this file to build the project graph, so it stays light: the inference only. The
// generators and executors are found through generators.json and executors.json.
export { createNodes, createNodesV2 } from './plugin/create-nodes';
export type { PgPluginOptions } from '@acme/pg-core/src/workspace/targets';
