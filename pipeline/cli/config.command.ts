import type { Command } from 'commander';
import { redactConfig } from '../../config/config.load.js';
import type { CliContext } from './cli.context.js';

/** `changewatch config check`: the resolved configuration with secrets redacted, or every problem with its path. */
export function registerConfig(program: Command, { io, configOf }: CliContext): void {
  program
    .command('config')
    .description('inspect the configuration')
    .command('check')
    .description('print the resolved configuration (secrets redacted), or every problem with its path')
    .action((_options, command: Command) => {
      const loaded = configOf(command);
      io.out(JSON.stringify({ file: loaded.file ?? null, config: redactConfig(loaded.config) }, null, 2));
    });
}
