#!/usr/bin/env node
// `npx acme-pg` where only @acme/pg is a direct dependency (pnpm links the bins of those alone):
// the command line of @acme/pg-core.
import '@acme/pg-core/src/cli/acme-pg';
