#!/usr/bin/env -S node --max-semi-space-size=4
// The flag after node is CLI_NODE_FLAGS (pipeline/node.flags.ts, which says why): a shebang cannot import it.
import nodeModule from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

// Node's module compile cache: V8's code for our modules and dependencies is kept on disk and checked against each
// file's contents, so a command starts without compiling them again (`changewatch --help` took 0.38 s against
// 0.51 s). In the user's cache folder (XDG), not the temp folder a run writes its rasters in, unless NODE_COMPILE_CACHE
// says where; the variable also carries it into the worker threads. A folder it cannot write leaves it off, silently.
// (Node 22.1 and later, as the engines require; the @types/node in use are Node 20's, hence the cast.)
const { enableCompileCache } = nodeModule as typeof nodeModule & {
  enableCompileCache?: (directory?: string) => { directory?: string };
};
// Without a folder, none: Node's own default is the temp folder.
const folder = compileCacheFolder();
const cache = folder === undefined ? undefined : enableCompileCache?.(folder);
if (cache?.directory) process.env['NODE_COMPILE_CACHE'] = cache.directory;

/** NODE_COMPILE_CACHE, else the XDG cache folder (an absolute XDG_CACHE_HOME, else ~/.cache); none without a home. */
function compileCacheFolder(): string | undefined {
  if (process.env['NODE_COMPILE_CACHE']) return process.env['NODE_COMPILE_CACHE'];
  const xdg = process.env['XDG_CACHE_HOME'];
  try {
    const home = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
    return join(home, 'changewatch', 'node-compile-cache');
  } catch {
    // No HOME and no passwd entry (an arbitrary user id in a container): no cache, rather than no command.
    return undefined;
  }
}

const { runCli } = await import('./cli/cli.js');
const { routeProcessWarnings } = await import('./log.js');

// Library warnings (the AWS SDK's Node version notice) go to the JSON log, not as plain text onto stderr; the level
// becomes the configured one when a command reads its configuration.
routeProcessWarnings('warn');

process.exitCode = await runCli(process.argv.slice(2));
