// Operation types and the trusted-documents manifest, generated from ../schema.graphql at
// build time: an operation that does not match the schema stops `npm run build` here.
//
// documentMode 'string': each operation is a plain string (a TypedDocumentString) that the app
// sends as it is, so no GraphQL parser ends up in the bundle.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      // No `persistedDocuments` here: the preset hashes a normalised reprint of each operation
      // (fields sorted, whitespace collapsed), not the text the app sends, so a server that
      // checks sha256(query) against the manifest would refuse the app. scripts/after-build.mjs
      // writes the manifest from the very strings the app sends instead.
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: true,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        scalars: { DateTime: 'string', Upload: 'File' },
      },
    },
  },
};

export default config;
