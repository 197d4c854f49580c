import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  utf8Length,
  validateOptionalEmail,
  validatePassword,
  validatePasswordConfirmation,
  validateUsername,
} from '../src/common/validation';
import { IMAGE_ACCEPT, MAX_UPLOAD_BYTES, validateImageFile, validateImageUrl } from '../src/worker/validation';

describe('validateUsername (the server rule: 1..100 of letters, digits, . _ - @)', () => {
  it('accepts the allowed characters at both length bounds', () => {
    assert.equal(validateUsername('a'), null);
    assert.equal(validateUsername('x'.repeat(100)), null);
    assert.equal(validateUsername('Ann.Lee_2-b@example.com'), null);
  });

  it('refuses empty and too long names, saying how long', () => {
    assert.match(validateUsername('') ?? '', /it is empty/);
    assert.match(validateUsername('x'.repeat(101)) ?? '', /it has 101/);
  });

  it('names the first character that is not allowed', () => {
    assert.match(validateUsername('ann lee') ?? '', /character 4 is not one of them/);
    assert.match(validateUsername('<script>') ?? '', /character 1 /);
    assert.notEqual(validateUsername("a'; DROP TABLE users;--"), null);
  });

  it('refuses letters outside ASCII, as the server does', () => {
    assert.notEqual(validateUsername('jörg'), null);
    assert.notEqual(validateUsername('名前'), null);
  });
});

describe('validatePassword (8..256 bytes of UTF-8, no control characters)', () => {
  it('counts bytes, not characters', () => {
    assert.equal(utf8Length('abc'), 3);
    assert.equal(utf8Length('é'), 2);
    assert.equal(utf8Length('😀'), 4);
    // Four characters, but eight bytes: long enough.
    assert.equal(validatePassword('éééé'), null);
    assert.notEqual(validatePassword('ééé'), null);
  });

  it('holds the bounds', () => {
    assert.notEqual(validatePassword('1234567'), null);
    assert.equal(validatePassword('12345678'), null);
    assert.equal(validatePassword('x'.repeat(256)), null);
    assert.match(validatePassword('x'.repeat(257)) ?? '', /8 to 256/);
    // 255 ASCII + one 2-byte letter = 257 bytes.
    assert.notEqual(validatePassword(`${'x'.repeat(255)}é`), null);
  });

  it('refuses control characters but allows spaces and symbols', () => {
    assert.match(validatePassword('abc\tdefgh') ?? '', /control characters/);
    assert.notEqual(validatePassword('abcdefgh\u007f'), null);
    assert.equal(validatePassword('correct horse <b>battery</b>'), null);
  });

  it('compares the confirmation', () => {
    assert.equal(validatePasswordConfirmation('abcdefgh', 'abcdefgh'), null);
    assert.notEqual(validatePasswordConfirmation('abcdefgh', 'abcdefgH'), null);
  });
});

describe('validateOptionalEmail', () => {
  it('allows empty (the field is optional) and everyday addresses', () => {
    assert.equal(validateOptionalEmail(''), null);
    assert.equal(validateOptionalEmail('ann.lee+photos@mail.example.com'), null);
  });

  it('refuses malformed addresses with the reason', () => {
    assert.match(validateOptionalEmail('ann') ?? '', /no @/);
    assert.match(validateOptionalEmail('ann@example') ?? '', /needs a dot/);
    assert.match(validateOptionalEmail('.ann@example.com') ?? '', /dots before @/);
    assert.match(validateOptionalEmail('ann@-example.com') ?? '', /malformed/);
    assert.match(validateOptionalEmail('a<b>@example.com') ?? '', /not allowed/);
    assert.notEqual(validateOptionalEmail(`${'a'.repeat(65)}@example.com`), null);
  });
});

describe('validateImageFile', () => {
  const file = (name: string, size: number, type: string) => ({ name, size, type });

  it('accepts the four formats by type, or by name when the browser gives no type', () => {
    for (const type of ['image/jpeg', 'image/png', 'image/webp', 'image/bmp']) {
      assert.equal(validateImageFile(file('x', 1000, type)), null, type);
    }
    assert.equal(validateImageFile(file('photo.JPG', 1000, '')), null);
    assert.equal(validateImageFile(file('photo.webp', 1000, '')), null);
  });

  it('refuses other types, empty and too large files', () => {
    assert.match(validateImageFile(file('a.gif', 1000, 'image/gif')) ?? '', /not a supported image/);
    assert.match(validateImageFile(file('a.txt', 1000, 'text/plain')) ?? '', /not a supported image/);
    assert.match(validateImageFile(file('notes', 1000, '')) ?? '', /not a supported image/);
    assert.match(validateImageFile(file('a.jpg', 0, 'image/jpeg')) ?? '', /empty/);
    assert.equal(validateImageFile(file('a.jpg', MAX_UPLOAD_BYTES, 'image/jpeg')), null);
    assert.match(validateImageFile(file('a.jpg', MAX_UPLOAD_BYTES + 1, 'image/jpeg')) ?? '', /at most 10 MB/);
  });

  it('lists the accepted types for the file picker', () => {
    assert.match(IMAGE_ACCEPT, /image\/jpeg/);
    assert.match(IMAGE_ACCEPT, /\.webp/);
  });
});

describe('validateImageUrl', () => {
  it('accepts http and https addresses', () => {
    assert.equal(validateImageUrl('https://example.com/a.jpg'), null);
    assert.equal(validateImageUrl('  http://example.com/a.jpg?size=2  '), null);
  });

  it('refuses other schemes, relative and empty input', () => {
    assert.match(validateImageUrl('') ?? '', /Enter the address/);
    assert.match(validateImageUrl('example.com/a.jpg') ?? '', /full address/);
    assert.match(validateImageUrl('ftp://example.com/a.jpg') ?? '', /Only http/);
    assert.match(validateImageUrl('javascript:alert(1)') ?? '', /Only http/);
    assert.match(validateImageUrl('file:///etc/passwd') ?? '', /Only http/);
  });
});
