import type { Command } from 'commander';
import type { VendorSimulator } from '../simulator/server.js';
import { usageError } from './client.js';
import { emit, outputOf, withOutputOptions, type OutputFlags } from './output.js';
import { didYouMean } from './suggest.js';
import type { CliIo } from './io.js';

const FORMATS = ['text', 'json', 'yaml'] as const;

export function registerSimulate(program: Command, io: CliIo): void {
  withOutputOptions(
    program
      .command('simulate')
      .description('Start the vendor simulators alone and print their base URLs and credentials.')
      .option('--vendor <vendor>', 'one vendor of the built-in adapters (default: all)')
      .option('-p, --port <port>', 'first port (each further vendor takes the next one); default: free ports'),
    FORMATS,
  ).action(async (opts: { vendor?: string; port?: string } & OutputFlags) => {
      const output = outputOf(opts, FORMATS);
      const { builtInVendors } = await import('../../adapters/index.js');
      const known = builtInVendors.map((m) => m.vendor);
      const vendors = opts.vendor ? [opts.vendor] : known;
      for (const v of vendors) if (!known.includes(v)) throw usageError(`--vendor ${JSON.stringify(v)}: no simulator for this vendor${didYouMean(v, known)}`);
      let port = opts.port !== undefined ? Number(opts.port) : 0;
      if (opts.port !== undefined && (!/^\d+$/.test(opts.port.trim()) || port > 65535 - vendors.length + 1)) {
        throw usageError(`--port ${JSON.stringify(opts.port)}: not a port number (a whole number from 0 to ${65535 - vendors.length + 1}; 0 picks free ones)`);
      }
      const sims: VendorSimulator[] = [];
      for (const v of vendors) {
        sims.push(await builtInVendors.find((m) => m.vendor === v)!.simulator({ port: port || undefined, seed: true }));
        if (port) port += 1;
      }
      // Ready for a signal before saying it is serving: whoever reads the banner may interrupt at once.
      const stop = async () => {
        await Promise.allSettled(sims.map((s) => s.close()));
        process.exit(0);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
      const summary = Object.fromEntries(sims.map((s) => {
        const { vendor: _v, ...rest } = s.backendConfig;
        return [s.vendor, rest];
      }));
      if (output.machine) await emit(summary, output, io.stdout);
      else {
        for (const [vendor, cfg] of Object.entries(summary)) io.stdout.write(`${vendor}: ${JSON.stringify(cfg)}\n`);
        io.stderr.write('Serving until interrupted (Ctrl-C).\n');
      }
    });
}
