// The JSON shapes of the worker's API (docs/api.md, section 2). Field names are
// the server's, snake_case, so that a response can be used as it arrives.

export type Category = 'no_faces' | 'all_masked' | 'none_masked' | 'some_masked';

export const CATEGORIES: readonly Category[] = [
  'no_faces',
  'all_masked',
  'none_masked',
  'some_masked',
];

export interface User {
  id: number;
  username: string;
  email: string | null;
  is_admin: boolean;
  created_at: string;
}

export interface Session {
  user: User;
  csrf_token: string;
}

export interface Face {
  x: number;
  y: number;
  w: number;
  h: number;
  masked: boolean;
  confidence: number;
}

export interface ImageUrls {
  original: string;
  annotated: string;
  thumbnail: string;
}

export interface Image {
  id: number;
  created_at: string;
  source: 'upload' | 'url';
  source_name: string;
  format: string;
  width: number;
  height: number;
  num_faces: number;
  num_masked: number;
  num_unmasked: number;
  category: Category;
  urls: ImageUrls;
  faces?: Face[];
}

export interface ImageList {
  images: Image[];
  total: number;
  page: number;
  page_size: number;
  category: Category;
}

export interface UserList {
  users: User[];
}

export interface NewUser {
  username: string;
  password: string;
  email?: string;
  is_admin?: boolean;
}
