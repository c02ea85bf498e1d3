import { Type } from 'typebox';

/**
 * An error that Fastify's error handler turns into a JSON answer with this status code (Fastify reads
 * `statusCode` from thrown errors).
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (message: string) => new HttpError(404, message, 'NOT_FOUND');
export const conflict = (message: string) => new HttpError(409, message, 'CONFLICT');
export const serviceUnavailable = (message: string) => new HttpError(503, message, 'SERVICE_UNAVAILABLE');

/** The JSON every error answer has, the APIs' and the control API's alike: its response schema. */
export const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String()),
});
