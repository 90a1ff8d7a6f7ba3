/**
 * What pino shows as `[redacted]` in every tier's logs (SPEC §9: logs carry no secrets): the
 * credential headers of request logs, and any field named like a secret at the top of a log line or
 * one level down. Pass as `pino({ redact: LOG_REDACTION })` and to pino-http.
 */
export const LOG_REDACTION = {
  paths: [
    'req.headers.authorization',
    'req.headers.cookie',
    'req.headers["proxy-authorization"]',
    'req.headers["x-api-key"]',
    'res.headers["set-cookie"]',
    'password',
    'token',
    'secret',
    'refreshToken',
    'clusterToken',
    'nodeToken',
    '*.password',
    '*.token',
    '*.secret',
    '*.refreshToken',
    '*.clusterToken',
    '*.nodeToken',
    '*.authorization',
  ],
  censor: '[redacted]',
};
