#!/usr/bin/env node
// The package's binary (dist/src/bin.js): the compiled CLI.
import './cli/main.js';
