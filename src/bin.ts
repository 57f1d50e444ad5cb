#!/usr/bin/env node
// The CLI's entry. The package's binary is its bundle (dist/bundle/bin.js, scripts/bundle.mjs).
import './cli/main.js';
