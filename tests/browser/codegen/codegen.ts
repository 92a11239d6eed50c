// graphql-codegen's configuration for the typed-client check (tests/browser/codegen.mjs):
// TypeScript types for operations.graphql, checked against the repository's schema.graphql,
// written to generated/ (ignored by git). typescript-operations 6 stands alone: it writes the
// enums, inputs and scalars the operations use itself (with the `typescript` plugin beside it
// the file would declare them twice).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../../schema.graphql',
  documents: 'operations.graphql',
  generates: {
    'generated/operations.ts': {
      plugins: ['typescript-operations'],
      config: {
        // Every custom scalar must have a TypeScript type here, or generation fails.
        strictScalars: true,
        scalars: { DateTime: 'string', Upload: 'File' },
      },
    },
  },
};

export default config;
