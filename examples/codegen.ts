import type { CodegenConfig } from '@graphql-codegen/cli';

/** `npm run codegen`: types for the operations under examples/operations, from the committed schema. */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['examples/operations/*.graphql'],
  // Relative imports with .js, as NodeNext resolution wants them.
  emitLegacyCommonJSImports: false,
  generates: {
    'examples/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // Documents as strings: any fetch can send them, no GraphQL client library needed.
        documentMode: 'string',
        useTypeImports: true,
        enumsAsTypes: true,
        // Only the enums and inputs the operations use: the vendor types may grow without touching these files.
        onlyOperationTypes: true,
        // A vendor's own scalars stay opaque rather than any.
        defaultScalarType: 'unknown',
        scalars: {
          DateTime: 'string',
          JSON: 'unknown',
          BigInt: { input: 'string | number', output: 'string' },
          ID: { input: 'string', output: 'string' },
        },
      },
    },
  },
};

export default config;
