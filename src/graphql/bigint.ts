import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/**
 * `BigInt`: a signed 64-bit integer, written one way everywhere: as a JSON string of decimal digits
 * (`"3000000000"`, `"-5"`), whatever its size, so no client reads a large value as an inexact float.
 *
 * Input takes a string of decimal digits, or a number that is a safe integer (a JSON number beyond
 * 2^53 may already have lost digits in the client's JSON, so it is refused: send a string). Input
 * outside the signed 64-bit range is refused. Values reach resolvers as `bigint`.
 */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

const DIGITS = /^-?(0|[1-9][0-9]*)$/;

function fail(message: string, node?: ValueNode): never {
  throw new GraphQLError(`BigInt ${message}`, node ? { nodes: node } : undefined);
}

export function parseBigInt(value: unknown, node?: ValueNode): bigint {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) fail(`must be a whole number, got ${value}`, node);
    if (!Number.isSafeInteger(value)) fail(`beyond 2^53 must be sent as a string of digits, got the number ${value}`, node);
    v = BigInt(value);
  } else if (typeof value === 'string') {
    if (!DIGITS.test(value)) fail(`must be a string of decimal digits, got "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`, node);
    v = BigInt(value);
  } else fail(`must be a string of decimal digits or a whole number, got ${value === null ? 'null' : typeof value}`, node);
  if (v < INT64_MIN || v > INT64_MAX) fail(`must fit in a signed 64-bit integer, got ${v}`, node);
  return v;
}

/** Output: any whole number (bigint, safe or unsafe number, or digit string) as a decimal string. */
export function serializeBigInt(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value).toString();
  if (typeof value === 'string' && DIGITS.test(value)) return value;
  throw new GraphQLError(`BigInt cannot represent ${typeof value === 'string' ? `"${value}"` : String(value)}`);
}

export const BigIntScalar = new GraphQLScalarType<bigint, string>({
  name: 'BigInt',
  description:
    'A signed 64-bit integer, always written as a JSON string of decimal digits (e.g. "3000000000"). Input: such a string, or a whole number up to 2^53.',
  serialize: serializeBigInt,
  parseValue: (v) => parseBigInt(v),
  parseLiteral(ast) {
    if (ast.kind === Kind.INT || ast.kind === Kind.STRING) return parseBigInt(ast.kind === Kind.INT ? ast.value : ast.value, ast);
    return fail(`must be a string of decimal digits or an integer literal`, ast);
  },
});
