import type { Command } from 'commander';
import { builtInSimulators } from '../../adapters/simulators.js';
import type { VendorSimulator } from '../simulator/server.js';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('Start the vendor simulators alone and print their base URLs and credentials.')
    .option('--vendor <vendor>', `one of: ${Object.keys(builtInSimulators).join(', ')} (default: all)`)
    .option('-p, --port <port>', 'first port (each further vendor takes the next one); default: free ports')
    .option('--json', 'print one JSON object keyed by vendor')
    .action(async (opts: { vendor?: string; port?: string; json?: boolean }) => {
      const vendors = opts.vendor ? [opts.vendor] : Object.keys(builtInSimulators);
      for (const v of vendors) if (!builtInSimulators[v]) throw new Error(`unknown vendor ${v} (known: ${Object.keys(builtInSimulators).join(', ')})`);
      let port = opts.port !== undefined ? Number(opts.port) : 0;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${opts.port} is not a port number`);
      const sims: VendorSimulator[] = [];
      for (const v of vendors) {
        sims.push(await builtInSimulators[v]!({ port: port || undefined, seed: true }));
        if (port) port += 1;
      }
      const summary = Object.fromEntries(sims.map((s) => {
        const { vendor: _v, ...rest } = s.backendConfig;
        return [s.vendor, rest];
      }));
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        for (const [vendor, cfg] of Object.entries(summary)) process.stdout.write(`${vendor}: ${JSON.stringify(cfg)}\n`);
        process.stdout.write('Serving until interrupted (Ctrl-C).\n');
      }
      const stop = async () => {
        await Promise.allSettled(sims.map((s) => s.close()));
        process.exit(0);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
    });
}
