// A minimal logging hook. The consumer never logs by itself (a library should not write to the application's
// stderr); the CLI's --verbose and applications pass a logger. Fields never carry configuration values, so secrets
// cannot reach a log line through them.

export interface ConsumerLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

const noop = (): void => {};

export const silentLogger: ConsumerLogger = { debug: noop, info: noop, warn: noop };
