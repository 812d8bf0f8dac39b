/**
 * Validation of every API input with the zod schemas of the protocol, in one place: the schemas
 * are given to Fastify as route schemas, and this compiler checks them before any hook that needs
 * trusted input and before the handler. A failure is a 400 naming the field, what is wrong with it
 * and what to do, without repeating the value that was sent.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { HttpError } from './errors.ts';

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

/** Fastify validator compiler for zod schemas: the parsed value (unknown keys stripped) replaces the input. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: new HttpError(400, 'invalid_request', describeIssues(httpPart ?? 'body', result.error.issues)) };
  };
};
