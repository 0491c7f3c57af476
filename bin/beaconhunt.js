#!/usr/bin/env node
// Entry point for the `beaconhunt` command; the compiled CLI lives in dist/ (built by `npm ci`).
import { main } from '../dist/cli/main.js';

// A reader that closes the pipe early (`| head`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// exitCode rather than exit(), so that stdout is flushed before the process ends.
process.exitCode = await main(process.argv.slice(2));
