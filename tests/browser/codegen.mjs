#!/usr/bin/env node
// The typed-client check: graphql-codegen turns the repository's schema.graphql and
// codegen/operations.graphql into TypeScript (codegen/generated/operations.ts), then
// `tsc --noEmit --strict` type-checks codegen/typed.ts, which uses those types with Apollo
// Client's typed documents and marks wrong uses with `@ts-expect-error`. Needs no server.
//
//   node tests/browser/codegen.mjs
//
// Prints each tool's output, `ok …` per step and `codegen: OK`; `codegen: FAILED: …` and exit 1
// when generation or the type check fails.

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./codegen/', import.meta.url));
const bin = (name) => fileURLToPath(new URL(`./node_modules/.bin/${name}`, import.meta.url));

function step(name, command, args) {
  const result = spawnSync(command, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  process.stdout.write(result.stdout ?? '');
  process.stderr.write(result.stderr ?? '');
  if (result.error || result.status !== 0) {
    console.error(`codegen: FAILED: ${name} (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(1);
  }
  console.log(`ok ${name}`);
}

// A stale file from an earlier run must not pass for a fresh one.
rmSync(new URL('./codegen/generated/', import.meta.url), { recursive: true, force: true });
step('graphql-codegen generated the operation types', bin('graphql-codegen'), ['--config', 'codegen.ts']);
const generated = readFileSync(new URL('./codegen/generated/operations.ts', import.meta.url), 'utf8');
for (const type of ['LibraryQuery', 'LibraryQueryVariables', 'GenerateMutation', 'FollowSubscription', 'PromptStateFragment']) {
  if (!generated.includes(`export type ${type} =`)) {
    console.error(`codegen: FAILED: generated/operations.ts has no type ${type}`);
    process.exit(1);
  }
}
console.log('ok the types of the query, mutation, subscription and fragments are there');
step('tsc --noEmit --strict accepts typed.ts and refuses each wrong use', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit', '--strict']);
console.log('codegen: OK');
