#!/usr/bin/env node
import { runCli } from './cli/cli.js';
import { routeProcessWarnings } from './log.js';

// Library warnings (the AWS SDK's Node version notice) go to the JSON log, not as plain text onto stderr; the level
// becomes the configured one when a command reads its configuration.
routeProcessWarnings('warn');

process.exitCode = await runCli(process.argv.slice(2));
