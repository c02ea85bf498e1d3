import { AjvCompiler, type RouteDefinition } from '@fastify/ajv-compiler';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Fastify's own validator (its Ajv, with its defaults) with two corrections; set it first in each route
 * plugin with `app.setValidatorCompiler(apiValidator())` (it then applies to that plugin's routes).
 *
 * - Bodies are not coerced. Query strings and path parameters are text, and Ajv's coercion is what turns
 *   "?page=2" into the integer the schema declares; but a JSON body has types of its own, and coercing
 *   them stored {"name":123} as "123" and {"name":1e400} as "Infinity".
 * - A query or path value coerced to a number must be finite: Ajv turns "Infinity" or "1e400" into
 *   Infinity and then lets it through `integer`, `minimum` and `maximum` alike (it checks those on finite
 *   numbers only), so "?pageSize=1e400" reached the SQL.
 */
export function apiValidator(): FastifySchemaCompiler<RouteDefinition['schema']> {
  const build = AjvCompiler();
  const coercing = build({}, { customOptions: {} });
  const strict = build({}, { customOptions: { coerceTypes: false } });
  return (route) => (route.httpPart === 'body' ? strict(route) : finiteNumbers(coercing(route)));
}

type Validate = ReturnType<FastifySchemaCompiler<unknown>>;

function finiteNumbers(validate: Validate): Validate {
  const checked: Validate = (data: unknown) => {
    const valid = validate(data);
    checked.errors = validate.errors;
    if (!valid) return false;
    const infinite = Object.entries(data ?? {}).find(
      ([, value]) => typeof value === 'number' && !Number.isFinite(value),
    );
    if (!infinite) return true;
    checked.errors = [
      {
        keyword: 'type',
        instancePath: `/${infinite[0]}`,
        schemaPath: '#/type',
        params: {},
        message: 'must be a finite number',
      },
    ];
    return false;
  };
  return checked;
}
