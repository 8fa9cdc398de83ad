import type { Command } from 'commander';
import type { LoadedConfig } from '../config.read.js';

/** Output streams, swappable so tests can run the CLI in-process. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** What every command file gets from the program: its streams, the resolved config, and the exit code to set. */
export interface CliContext {
  readonly io: CliIo;
  /** The configuration for this invocation: file < env < the global flags given to `command`. */
  configOf(command: Command): LoadedConfig;
  /** The process exit code when the command returns (`EXIT` in ../errors.ts); 0 unless set. */
  setExitCode(code: number): void;
}

/** Commander's collector for an option that may be given more than once (`--aoi a --aoi b`). */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
