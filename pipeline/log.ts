import { pino, type Logger } from 'pino';

/**
 * The one logger: pino JSON on stderr, so that stdout stays clean for command output (`--json`, tables)
 * that users pipe into other tools. Credentials are redacted by path before anything is written.
 */
export const REDACT_PATHS = [
  'headers',
  '*.headers',
  '*.authorization',
  '*.Authorization',
  '*.password',
  '*.token',
  '*.secretAccessKey',
  '*.sessionToken',
  'config.stac.headers',
];

export function createLogger(level: string, destination = pino.destination({ fd: 2, sync: true })): Logger {
  return pino(
    { level, base: { app: 'changewatch' }, redact: { paths: REDACT_PATHS, censor: '<redacted>' } },
    destination,
  );
}

/** The logger process warnings go to once {@link routeProcessWarnings} ran; undefined before. */
let warningLog: Logger | undefined;

/**
 * Node's process warnings (`process.emitWarning`: the AWS SDK's NodeVersionSupportWarning, deprecations) as JSON
 * log lines (`Process:Warning:Emitted`) instead of Node's plain-text print, so that every line the CLI writes on
 * stderr is JSON (or the progress bar). Node prints warnings from a `warning` listener of its own (`onWarning`,
 * absent under `--no-warnings`); it is replaced here. For the CLI's entry point only; each call sets the level (the
 * configured one, once the configuration is read).
 */
export function routeProcessWarnings(level: string): void {
  const first = warningLog === undefined;
  warningLog = createLogger(level);
  if (!first) return;
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    warningLog?.warn(
      { warning: { name: warning.name, message: warning.message, ...(warning.code ? { code: warning.code } : {}) } },
      'Process:Warning:Emitted',
    );
  });
}

/** The level of process warnings, when {@link routeProcessWarnings} is in effect (the CLI); no-op otherwise. */
export function setProcessWarningLevel(level: string): void {
  if (warningLog) warningLog = createLogger(level);
}

export type { Logger };
