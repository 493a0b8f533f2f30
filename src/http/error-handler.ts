import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { loopcdsError, outcomeFor } from '../errors/error-catalogue.js';
import { OperationOutcomeError } from '../errors/operation-outcome.js';

/** 404 for every route no router answered. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(loopcdsError('LOOPCDS_ERR_NOT_FOUND', `${req.method} ${req.path.slice(0, 200)}`));
};

/**
 * The one error handler: everything thrown becomes an OperationOutcome with its status. Body-parser
 * errors map to 400/413/415; anything unexpected is a 500 whose detail goes to the log, never the wire.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const e = normalise(error);
    if (e.status >= 500) {
      logger.error({ err: error, reqId: req.id, method: req.method, path: req.path }, 'request failed');
    }
    res.status(e.status).type('application/fhir+json').json(e.outcome);
  };
}

function normalise(error: unknown): OperationOutcomeError {
  if (error instanceof OperationOutcomeError) return error;
  const type = (error as { type?: unknown })?.type;
  switch (type) {
    case 'entity.parse.failed':
      return loopcdsError('LOOPCDS_ERR_MALFORMED_JSON');
    case 'entity.too.large':
      return loopcdsError('LOOPCDS_ERR_BODY_TOO_LARGE');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return loopcdsError('LOOPCDS_ERR_UNSUPPORTED_MEDIA');
    default: {
      const status = (error as { status?: unknown })?.status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return new OperationOutcomeError(outcomeFor('LOOPCDS_ERR_INVALID_REQUEST'), status);
      }
      return loopcdsError('LOOPCDS_ERR_INTERNAL');
    }
  }
}
