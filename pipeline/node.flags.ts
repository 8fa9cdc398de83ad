/**
 * The V8 flags the CLI runs with: its shebang (pipeline/main.ts), the Dockerfile's entry point and the benchmarks
 * pass these, and a test keeps them the same.
 *
 * A young generation of 4 MiB semi-spaces, not V8's default of 16 on a 64-bit machine: the main thread makes
 * megabytes of short-lived typed arrays a block (tiles, masks, worker results), and their memory is given back only
 * when a scavenge finds them dead; with the default young generation that came late enough to be a third of the
 * memory bench's peak (Kahuzi-Biega: 310-322 MiB against 372-391) and 97 MiB of a whole run's.
 */
export const CLI_NODE_FLAGS = ['--max-semi-space-size=4'] as const;
