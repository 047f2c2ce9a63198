import express, { type NextFunction, type Request, type Response } from 'express';
import { ApiError, BadRequestError } from '../errors';

/** JSON bodies only, at most `limit` bytes: other media types get 415, malformed JSON 400, too big 413. */
export function jsonBody(limit: number) {
  const parse = express.json({ limit, strict: false, type: () => true });
  return (req: Request, res: Response, next: NextFunction): void => {
    const type = req.headers['content-type'];
    if (type === undefined) {
      if (!hasBody(req)) return next(new BadRequestError('The request needs a JSON body.'));
      return next(new ApiError(415, 'UnsupportedMediaType', 'Send the body with Content-Type: application/json.'));
    }
    if (!req.is(['application/json', 'application/*+json'])) {
      return next(new ApiError(415, 'UnsupportedMediaType', `Content-Type ${type.split(';')[0]} is not supported; send application/json.`));
    }
    parse(req, res, (error?: unknown) => {
      if (error) return next(error);
      if (req.body === undefined) return next(new BadRequestError('The request needs a JSON body.'));
      next();
    });
  };
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}
