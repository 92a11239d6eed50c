#!/usr/bin/env node
// After `vite build`: writes the trusted-documents manifest and checks the size budget.
//
// 1. ../assets/app/persisted-documents.json: { "<sha256 hex>": "<operation text>" } for every
//    operation the app sends, made from the very strings it sends (the TypedDocumentString
//    values in src/gql/graphql.ts, loaded here as they are), so a server run with
//    `--trusted-documents` accepts the app and nothing else. Keys sorted, so the file is the
//    same on every machine.
// 2. The budget: the app's JavaScript and CSS, gzipped, at most 100 KB in all. Printed, and the
//    build fails above it.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createJiti } from 'jiti';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '..');
const out = path.resolve(web, '..', 'assets', 'app');
const BUDGET = 100 * 1024;

const jiti = createJiti(import.meta.url);
const generated = await jiti.import(path.join(web, 'src', 'gql', 'graphql.ts'));
const manifest = {};
for (const [name, value] of Object.entries(generated)) {
  if (!name.endsWith('Document') || typeof value?.toString !== 'function') continue;
  const text = value.toString();
  if (!/^\s*(query|mutation|subscription)\b/.test(text)) continue;
  manifest[createHash('sha256').update(text, 'utf8').digest('hex')] = text;
}
const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
if (Object.keys(sorted).length === 0) throw new Error('no operations found in src/gql/graphql.ts');
writeFileSync(path.join(out, 'persisted-documents.json'), `${JSON.stringify(sorted, null, 2)}\n`);

let total = 0;
const lines = [];
for (const file of readdirSync(path.join(out, 'assets')).sort()) {
  if (!/\.(js|css)$/.test(file)) continue;
  const bytes = readFileSync(path.join(out, 'assets', file));
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  total += gzipped;
  lines.push(`  ${file}: ${(bytes.length / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped`);
}
console.log(`persisted-documents.json: ${Object.keys(sorted).length} operations`);
console.log(lines.join('\n'));
console.log(`JavaScript and CSS: ${(total / 1024).toFixed(1)} KB gzipped of a ${BUDGET / 1024} KB budget`);
if (total > BUDGET) {
  console.error('over the size budget');
  process.exit(1);
}
