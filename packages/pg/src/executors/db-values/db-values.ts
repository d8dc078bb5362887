// The Nx executor is the command of @acme/pg-core: Nx's ExecutorContext is the context it takes.
export { default } from '@acme/pg-core/src/commands/db-values/db-values';
