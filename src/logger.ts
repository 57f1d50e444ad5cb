import pino, { type Logger } from 'pino';

/** Keys whose values are never written, wherever they appear in a log object. */
export const REDACT_PATHS = [
  'token',
  'password',
  'sessionUuid',
  'key',
  'authorization',
  '*.token',
  '*.password',
  '*.sessionUuid',
  '*.key',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.headers.authorization',
];

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'model-gateway' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
