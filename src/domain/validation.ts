import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from './errors.js';

/** Turns zod issues into our ValidationIssues with stable rule names. */
export function issuesFromZod(error: z.ZodError, prefix: (string | number)[] = []): ValidationIssue[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    return { path, rule: ruleOf(issue), message: issue.message };
  });
}

function ruleOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return issue.origin === 'string' ? 'min_length' : issue.origin === 'array' ? 'min_items' : 'min';
    case 'too_big':
      return issue.origin === 'string' ? 'max_length' : issue.origin === 'array' ? 'max_items' : 'max';
    case 'invalid_format':
      return issue.format === 'regex' ? 'pattern' : issue.format;
    case 'invalid_value':
      return 'enum';
    case 'invalid_type':
      return issue.input === undefined ? 'required' : 'type';
    case 'unrecognized_keys':
      return 'unknown_field';
    case 'invalid_union':
      return 'union';
    default:
      return issue.code;
  }
}

/** Parses `input` with `schema` or throws a ValidationError whose paths start with `prefix`. */
export function validate<T extends z.ZodType>(schema: T, input: unknown, prefix: (string | number)[] = []): z.output<T> {
  // reportInput: zod 4 leaves `input` out otherwise, and a wrong type would read as "required".
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ValidationError(issuesFromZod(result.error, prefix));
  return result.data;
}
