// pino, with every field that could carry a secret redacted: tokens and passwords are never
// logged on purpose, and redaction catches them if a careless log call ever includes one.
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'token',
  'password',
  'passHash',
  '*.token',
  '*.password',
  '*.passHash',
  'req.headers.authorization',
  'headers.authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'parley-server',
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}
