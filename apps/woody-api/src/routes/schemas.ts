import { Type } from 'typebox';

/** 1–100 printable characters: no control, format or unassigned code points. */
export const PrintableName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\p{C}]+$' });

export const ProductSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const OrderSchema = Type.Object({
  id: Type.Integer(),
  product: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('validated'), Type.Literal('rejected')]),
  reason: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

/**
 * A row id: a JavaScript number is exact only up to 2^53 − 1, and past it "99999999999999999999999" would
 * become 1e+23 and look up another id than the one asked for.
 */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const IdParams = Type.Object({ id: Id });
