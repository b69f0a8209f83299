import { BadInputError } from "../errors.js";

export const MIN_SECRET_LENGTH = 8;

/**
 * A secret that ends up as a `key=value` line (database.conf): one line, no surrounding spaces.
 * Errors name where the value came from and what is wrong, never the value.
 */
export function checkSecretValue(value: string, from: string): string {
  if (value.length === 0) throw new BadInputError(`${from}: the secret is empty`);
  if (/[\r\n\0]/.test(value)) throw new BadInputError(`${from}: the secret spans lines; expected a single line`);
  if (value.trim() !== value) throw new BadInputError(`${from}: the secret starts or ends with whitespace; expected none`);
  // Shorter values cannot be scrubbed from logs without mangling ordinary words (and RDS wants 8+).
  if (value.length < MIN_SECRET_LENGTH) throw new BadInputError(`${from}: the secret is shorter than ${MIN_SECRET_LENGTH} characters`);
  return value;
}
