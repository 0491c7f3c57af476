#!/usr/bin/env node
// Entry point for the `beaconhunt` command; the compiled CLI lives in dist/ (built by `npm ci`).
import '../dist/cli/main.js';
