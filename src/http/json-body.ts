import express, { type NextFunction, type Request, type Response } from 'express';
import { ApiError, BadRequestError } from '../errors';

/**
 * JSON bodies only, at most `limit` bytes: other media types and any charset but UTF-8 (JSON's only
 * encoding, RFC 8259) get 415, malformed JSON 400, too big 413 naming `cap`, what sets the limit.
 */
export function jsonBody(limit: number, cap: string) {
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
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1];
    if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
      return next(new ApiError(415, 'UnsupportedMediaType', `The charset ${charset} is not supported; send JSON in UTF-8.`));
    }
    parse(req, res, (error?: unknown) => {
      if ((error as { type?: unknown } | undefined)?.type === 'entity.too.large') {
        return next(new ApiError(413, 'PayloadTooLarge', `The request body is larger than ${cap} allows.`));
      }
      if (error) return next(error);
      if (req.body === undefined) return next(new BadRequestError('The request needs a JSON body.'));
      next();
    });
  };
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}
