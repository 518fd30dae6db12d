/**
 * The endpoint's API key. It is read from the environment only (`OPENAI_API_KEY`, else
 * `RLFLOW_API_KEY`), held in a `Secret` whose every string form is `[redacted]`, and scrubbed
 * from any text rlflow writes (journal lines, logs, error messages echoed by a server).
 */
import { inspect } from 'node:util';

export const API_KEY_VARIABLES = ['OPENAI_API_KEY', 'RLFLOW_API_KEY'] as const;
export const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The key itself, for the Authorization header and nothing else. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

/** The key from the first non-empty variable of `names` (default `API_KEY_VARIABLES`), or undefined (local servers need none). */
export const readApiKey = (
  env: Readonly<Record<string, string | undefined>> = process.env,
  names: readonly string[] = API_KEY_VARIABLES,
): Secret | undefined => {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return new Secret(value.trim());
  }
  return undefined;
};

/**
 * A function that replaces every occurrence of each secret in a text with `[redacted]`, in its raw
 * form and in its JSON-escaped form (so a serialised line is scrubbed too).
 */
export const redactor = (secrets: ReadonlyArray<Secret | undefined>): ((text: string) => string) => {
  const forms = secrets
    .flatMap((secret) => (secret === undefined ? [] : [secret.reveal()]))
    .filter((value) => value.length > 0)
    .flatMap((value) => [value, JSON.stringify(value).slice(1, -1)])
    .sort((a, b) => b.length - a.length);
  return (text) => forms.reduce((out, form) => out.split(form).join(REDACTED), text);
};

/** An endpoint URL fit for a file or a log: user-info, query string and fragment removed. */
export const publicUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
};
