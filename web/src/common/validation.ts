// Browser-side checks of the account fields both apps ask for: a convenience that
// saves a round trip, never the rule. The server validates everything again (src/maskfleet/auth/validation.cc);
// these functions follow its rules and its wording so that a person sees the same
// message whichever side refused.
//
// Each returns null when the input is acceptable, else a message for a person.

export const USERNAME_MAX_CHARS = 100;
export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 256;

const USERNAME_RULE = 'Username must be 1 to 100 characters: letters, digits, . _ - @';
const USERNAME_PATTERN = /^[A-Za-z0-9._@-]+$/;

export function validateUsername(username: string): string | null {
  if (username.length === 0) return `${USERNAME_RULE} (it is empty).`;
  if (username.length > USERNAME_MAX_CHARS) {
    return `${USERNAME_RULE} (it has ${username.length}).`;
  }
  if (!USERNAME_PATTERN.test(username)) {
    for (let i = 0; i < username.length; i++) {
      if (!USERNAME_PATTERN.test(username.charAt(i))) {
        return `${USERNAME_RULE} (character ${i + 1} is not one of them).`;
      }
    }
  }
  return null;
}

/** Bytes of the UTF-8 encoding, which is what the server counts. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

export function validatePassword(password: string): string | null {
  const bytes = utf8Length(password);
  if (bytes < PASSWORD_MIN_BYTES || bytes > PASSWORD_MAX_BYTES) {
    return (
      `Password must be ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} characters long ` +
      '(accented letters and symbols may count as 2 to 4).'
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(password)) {
    return 'Password must not contain control characters (tab, newline and the like).';
  }
  return null;
}

/** The second entry of a "new password" pair. */
export function validatePasswordConfirmation(password: string, confirmation: string): string | null {
  return password === confirmation ? null : 'The two passwords do not match.';
}

const EMAIL_ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+$/;
const EMAIL_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** The everyday address shape the server accepts; empty is allowed (email is optional). */
export function validateOptionalEmail(email: string): string | null {
  if (email === '') return null;
  const rule = 'Email must look like name@example.com';
  if (email.length > 254) return `${rule} (it is longer than 254 characters).`;
  const at = email.lastIndexOf('@');
  if (at < 0) return `${rule} (it has no @).`;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length === 0 || local.length > 64) {
    return `${rule} (the part before @ must be 1 to 64 characters).`;
  }
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return `${rule} (dots before @ must separate words).`;
  }
  if (!EMAIL_ATEXT.test(local)) return `${rule} (the part before @ has a character not allowed there).`;
  const labels = domain.split('.');
  if (domain === '' || labels.some((label) => label.length > 63 || !EMAIL_LABEL.test(label))) {
    return `${rule} (the domain after @ is malformed).`;
  }
  if (labels.length < 2) return `${rule} (the domain after @ needs a dot, as in example.com).`;
  return null;
}
