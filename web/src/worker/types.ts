// The JSON shapes of the worker's API (docs/api.md, section 2), each a runtime
// check (../common/check.ts) and the type it gives. Field names are the server's,
// snake_case, so that an answer is used as it arrives.

import { boolean, listOf, number, object, oneOf, text, type Checked } from '../common/check';
import { userShape } from '../common/types';

export { sessionShape, userShape, type Session, type User } from '../common/types';

export const CATEGORIES = ['no_faces', 'all_masked', 'none_masked', 'some_masked'] as const;
export type Category = (typeof CATEGORIES)[number];
/** The history's lists: every photo, or one category. */
export const HISTORY_LISTS = ['all', ...CATEGORIES] as const;
export type HistoryList = (typeof HISTORY_LISTS)[number];

export const faceShape = object({
  x: number,
  y: number,
  w: number,
  h: number,
  masked: boolean,
  confidence: number,
});
export type Face = Checked<typeof faceShape>;

export const imageUrlsShape = object({ original: text, annotated: text, thumbnail: text });
export type ImageUrls = Checked<typeof imageUrlsShape>;

export const imageShape = object(
  {
    id: number,
    created_at: text,
    source: oneOf(['upload', 'url']),
    source_name: text,
    format: text,
    width: number,
    height: number,
    num_faces: number,
    num_masked: number,
    num_unmasked: number,
    category: oneOf(CATEGORIES),
    urls: imageUrlsShape,
  },
  // Only in the answers about one image (upload, GET /api/v1/images/{id}).
  { faces: listOf(faceShape) },
);
export type Image = Checked<typeof imageShape>;

export const imageListShape = object({
  images: listOf(imageShape),
  total: number,
  page: number,
  page_size: number,
  category: oneOf(HISTORY_LISTS),
});
export type ImageList = Checked<typeof imageListShape>;

export const userListShape = object({ users: listOf(userShape) });
export type UserList = Checked<typeof userListShape>;

/** The body of POST /api/v1/users (sent, not received: no check). */
export interface NewUser {
  username: string;
  password: string;
  email?: string;
  is_admin?: boolean;
}
