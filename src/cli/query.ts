import { readFile } from 'node:fs/promises';
import type { DocumentNode } from 'graphql';
import type { Command } from 'commander';
import { collect, connect, CliError, oneLine, parseAssignment, usageError, withGatewayOptions, type GatewayOptions, type GraphQLResponse } from './client.js';
import { emit, outputOf, runJq, withOutputOptions, type OutputFlags } from './output.js';
import type { CliIo } from './io.js';

const FORMATS = ['json', 'yaml'] as const;

interface QueryOptions extends GatewayOptions, OutputFlags {
  var?: string[];
  operation?: string;
  transport?: string;
}

async function readDocument(io: CliIo, source: string): Promise<string> {
  if (source === '-') {
    if (io.stdin.isTTY) throw usageError('query -: type or pipe the operation on stdin (end with Ctrl-D)');
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(source, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function registerQuery(program: Command, io: CliIo): void {
  withOutputOptions(
    withGatewayOptions(
      program
        .command('query')
        .description('Run any GraphQL operation from a file (or - for stdin) and print the JSON response (subscriptions: one per line).')
        .argument('<file>', 'a .graphql file, e.g. examples/operations/list-deployments.graphql, or - to read stdin')
        .option('--var <key=value>', 'a variable; the value is read as JSON when it parses (5, true, ["a"]), else as text (repeatable)', collect)
        .option('--operation <name>', 'which operation of the document to run')
        .option('--transport <sse|ws>', 'for subscriptions: server-sent events or WebSocket', 'sse'),
    ),
    FORMATS,
  ).action(async (file: string, opts: QueryOptions) => {
    // The response is JSON either way; -o yaml shows it as YAML.
    const output = outputOf(opts, FORMATS);
    if (output.format === 'text') output.format = 'json';
    const text = await readDocument(io, file);
    // graphql loads with the command, not with every start of the CLI.
    const { getOperationAST, parse } = await import('graphql');
    let doc: DocumentNode;
    try {
      doc = parse(text);
    } catch (err) {
      throw usageError(`${file === '-' ? 'stdin' : file} is not a GraphQL document: ${(err as Error).message.split('\n')[0]}`);
    }
    const op = getOperationAST(doc, opts.operation);
    if (!op) {
      throw usageError(opts.operation ? `no operation named ${opts.operation} in ${file}` : `${file} holds several operations: pick one with --operation`);
    }
    const variables = Object.fromEntries((opts.var ?? []).map((v) => parseAssignment('--var', v)));
    const client = connect(opts, io.env);

    if (op.operation !== 'subscription') {
      const res = await client.request(text, variables, opts.operation);
      await emit(res, output, io.stdout);
      if (res.errors?.length) throw new CliError(oneLine(res.errors));
      return;
    }
    // A subscription prints one JSON response per line until the server ends it (or Ctrl-C).
    const transport = opts.transport === 'ws' ? 'ws' : 'sse';
    await new Promise<void>((resolve, reject) => {
      let dispose = () => {};
      let offInterrupt = () => {};
      const end = (err?: Error) => {
        offInterrupt();
        dispose();
        void client.close().finally(() => (err ? reject(err) : resolve()));
      };
      const onSigint = () => end();
      offInterrupt = io.onInterrupt(onSigint);
      dispose = client.subscribe(text, variables, transport, {
        next(res: GraphQLResponse<unknown>) {
          if (output.jq) void runJq(res, output.jq, Boolean(io.stdout.isTTY)).then((t) => io.stdout.write(t), (err: Error) => end(err));
          else io.stdout.write(`${JSON.stringify(res)}\n`);
          if (res.errors?.length && !res.data) end(new CliError(oneLine(res.errors)));
        },
        error(err: unknown) {
          end(new CliError(`subscription failed: ${Array.isArray(err) ? oneLine(err) : ((err as Error)?.message ?? 'the connection failed')}`));
        },
        complete: () => end(),
      }, opts.operation);
    });
  });
}
