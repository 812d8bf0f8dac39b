/**
 * Validation of every API input with the zod schemas of the protocol, in one place: the schemas
 * are given to Fastify as route schemas, and this compiler checks them before any hook that needs
 * trusted input and before the handler. A failure is a 400 naming the field, what is wrong with it
 * and what to do, without repeating the value that was sent.
 *
 * What passes a route's schema is then checked against what both stores can hold, whatever the
 * schema allows (docs/security.md#the-endpoint): PostgreSQL refuses a NUL character in text and a
 * whole number beyond its 32-bit INTEGER columns with an error, which would otherwise be a 500
 * after part of the request had been handled; and a string with half a UTF-16 surrogate pair
 * would be stored altered, not as sent.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { errors } from './errors.ts';

/** The whole numbers every store holds: PostgreSQL's INTEGER, the narrowest column (team key versions). */
const STORABLE_INTEGER_MIN = -2_147_483_648;
const STORABLE_INTEGER_MAX = 2_147_483_647;

/** Adds an issue for every string or whole number in `value` that a store could not hold as sent. */
function checkStorable(value: unknown, path: (string | number)[], ctx: z.RefinementCtx): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) {
      ctx.addIssue({ code: 'custom', path, message: 'contains a NUL character (\\u0000), which this server cannot store: remove it' });
    } else if (!value.isWellFormed()) {
      ctx.addIssue({ code: 'custom', path, message: 'contains half of a UTF-16 surrogate pair, which this server cannot store as sent: send well-formed Unicode' });
    }
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && (value > STORABLE_INTEGER_MAX || value < STORABLE_INTEGER_MIN)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `is outside ${STORABLE_INTEGER_MIN} to ${STORABLE_INTEGER_MAX}, the whole numbers this server stores: send a number within that range`,
      });
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkStorable(item, [...path, i], ctx));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) checkStorable(item, [...path, key], ctx);
  }
}

/** Any parsed input (unknown fields already stripped by the route's schema), checked as above. */
const Storable = z.unknown().superRefine((value, ctx) => checkStorable(value, [], ctx));

const WHERE: Record<string, string> = {
  body: 'the request body',
  params: 'the address',
  querystring: 'the query string',
  headers: 'the headers',
};

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : null;
  let problem: string;
  if (issue.code === 'invalid_type') {
    const missing = /received undefined$/.test(issue.message);
    problem = missing ? `is missing (expected ${article(issue.expected)})` : `has the wrong type (expected ${article(issue.expected)})`;
  } else if (issue.code === 'unrecognized_keys') {
    // The names came from the request: say that there were some, not what they were.
    problem = 'has fields this endpoint does not accept';
  } else {
    problem = issue.message;
  }
  return field ? `${field}: ${problem}` : problem;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** One readable sentence for a failed zod parse of one part of a request. */
export function describeIssues(part: string, issues: readonly z.core.$ZodIssue[]): string {
  const where = WHERE[part] ?? part;
  const [first] = issues;
  if (issues.length === 1 && first && first.path.length === 0 && first.code === 'invalid_type') {
    return `${capitalise(where)} is missing or is not a JSON object. Send ${article(first.expected)} as described by the Footfall sync protocol.`;
  }
  const shown = issues.slice(0, 5).map(describeIssue);
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
  return `${capitalise(where)} is not valid: ${shown.join('; ')}${more}. Correct ${part === 'params' ? 'the address' : 'it'} and send the request again.`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Fastify validator compiler for zod schemas: the parsed value (unknown keys stripped) replaces the
 * input once it has passed the route's schema and then Storable, so each failure names its fields.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const part = httpPart ?? 'body';
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (!result.success) return { error: errors.invalid(describeIssues(part, result.error.issues)) };
    const storable = Storable.safeParse(result.data);
    if (!storable.success) return { error: errors.invalid(describeIssues(part, storable.error.issues)) };
    return { value: result.data };
  };
};
