// The JSON shapes both APIs share (docs/api.md, section 2): the user and the
// session. Each is a runtime check (check.ts) and the type that check gives.
// Field names are the server's, snake_case, so that an answer is used as it arrives.

import { boolean, nullable, number, object, text, type Checked } from './check';

export const userShape = object({
  id: number,
  username: text,
  email: nullable(text),
  is_admin: boolean,
  /** ISO 8601, UTC. */
  created_at: text,
});
export type User = Checked<typeof userShape>;

export const sessionShape = object({ user: userShape, csrf_token: text });
export type Session = Checked<typeof sessionShape>;
