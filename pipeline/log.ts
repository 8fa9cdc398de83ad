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

export type { Logger };
