// Lint config: typescript-eslint's recommended rules on top of ESLint's; type checking itself is `npm run typecheck`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers of src, imports going downward only:
//   cli -> consumer, producer, admin -> cluster -> network -> protocol
// src/config, src/errors.ts and src/diagnostics.ts are shared by every layer (config takes Secret and types from src/network). Above the
// cluster layer, src/network may be imported for its types only: values (Pool, Broker, sleep...) are reached through
// src/cluster, so the consumer, the producer and the admin client share one core. The patterns are gitignore-style,
// matched against the import path as written ('../network/pool.js').
const layer = (name) => [`**/${name}/*`, `**/${name}/**`];
// Only src/otel (the gregor/otel entry point) may load OpenTelemetry: an application that does not import it loads
// none of it (an optional peer dependency).
const noOtel = { group: [...layer('otel'), '@opentelemetry/*'], message: 'only src/otel (gregor/otel) loads OpenTelemetry' };
const restrict = (...groups) => ['error', { patterns: [...groups, noOtel] }];
const below = (names, message) => ({ group: names.flatMap(layer), message });
const networkTypesOnly = {
  group: layer('network'),
  allowTypeImports: true,
  message: 'above the cluster layer, src/network is reached through src/cluster (types may be imported)',
};
const layerRules = [
  {
    files: ['src/protocol/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(below(['network', 'cluster', 'consumer', 'producer', 'admin', 'cli', 'config'], 'src/protocol is the lowest layer: pure, no I/O, no configuration')) },
  },
  {
    files: ['src/network/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(below(['cluster', 'consumer', 'producer', 'admin', 'cli', 'config'], 'src/network imports only src/protocol (and src/errors.ts)')) },
  },
  {
    files: ['src/cluster/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(below(['consumer', 'producer', 'admin', 'cli'], 'src/cluster is below the clients')) },
  },
  {
    files: ['src/consumer/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(below(['producer', 'admin', 'cli'], 'the clients do not import each other'), networkTypesOnly) },
  },
  {
    files: ['src/producer/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(below(['consumer', 'admin', 'cli'], 'the clients do not import each other'), networkTypesOnly) },
  },
  {
    files: ['src/admin/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(below(['consumer', 'producer', 'cli'], 'the clients do not import each other'), networkTypesOnly) },
  },
  {
    // Above the consumer and the producer (it joins them): below the CLI.
    files: ['src/dead-letter/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(below(['admin', 'cli'], 'src/dead-letter joins the consumer and the producer only'), networkTypesOnly) },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(networkTypesOnly, {
        group: [...layer('cluster'), ...layer('protocol')],
        allowTypeImports: true,
        message: 'the CLI is thin commands on the public API (consumer, producer, admin)',
      }),
    },
  },
  {
    files: ['src/config/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        below(['protocol', 'cluster', 'consumer', 'producer', 'admin', 'cli'], 'src/config is shared by every layer: it imports none of them'),
        {
          group: [...layer('network'), '!**/network/secret.js'],
          allowTypeImports: true,
          message: 'src/config takes only Secret (and types) from src/network',
        },
      ),
    },
  },
  {
    files: ['src/otel/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{
        group: ['../*', '!../diagnostics.js'],
        message: 'gregor/otel is built on the diagnostics channels only (src/diagnostics.ts)',
      }] }],
    },
  },
  {
    files: ['src/index.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict() },
  },
  {
    files: ['src/diagnostics.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict({ group: ['./*'], message: 'src/diagnostics.ts is shared by every layer: it imports none of them' }) },
  },
  {
    files: ['src/errors.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict({ group: ['./*'], message: 'src/errors.ts is shared by every layer: it imports none of them' }) },
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.kafka/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly',
        clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly',
        URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextDecoder: 'readonly',
        TextEncoder: 'readonly', queueMicrotask: 'readonly', performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `any` only where a line comment says why (eslint-disable-next-line with the reason above it).
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerRules,
);
