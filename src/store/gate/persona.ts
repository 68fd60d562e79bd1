/** Who is acting: the constitution judges every call by a persona name. */
import { NerdloopError } from '../../core/index.js';

export class InvalidPersonaError extends NerdloopError {
  readonly code = 'store_invalid_persona';
}

// The persona becomes a Mangle name (`/coder`) in every policy decision.
const PERSONA_NAME = /^[a-z][a-z0-9_]*$/;

/** Throws `InvalidPersonaError` unless `persona` is a lowercase name like `coder`. */
export function checkPersona(persona: string): string {
  if (!PERSONA_NAME.test(persona))
    throw new InvalidPersonaError(
      `persona ${JSON.stringify(persona)} must be a lowercase name like coder or tester`,
    );
  return persona;
}
