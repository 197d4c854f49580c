// /login (manager): an administrator's name and password; then back to the page
// that sent here (?next=, else the pool), or to /account while the generated
// initial password must still be changed.

import { initLoginPage } from '../../common/pages/login';
import { managerApi } from '../api';
import { ACCOUNT_PATH, HOME_PATH } from '../urls';

export function init(): Promise<void> {
  return initLoginPage({
    client: managerApi,
    home: HOME_PATH,
    destination: (session, next) => (session.must_change_password ? ACCOUNT_PATH : next),
    forbiddenMessage: 'Only administrators can use the manager.',
  });
}
