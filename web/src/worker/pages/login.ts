// /login: username and password; then back to the page that sent here (?next=, else /upload).

import { initLoginPage } from '../../common/pages/login';
import { api } from '../api';
import { HOME_PATH } from '../urls';

export function init(): Promise<void> {
  return initLoginPage({ client: api, home: HOME_PATH });
}
