// The worker's bundle (static/app.js): every worker page loads it, and
// <body data-page="..."> says which page module runs.

import { startPages } from '../common/bootstrap';
import * as account from './pages/account';
import * as forgot from './pages/forgot';
import * as history from './pages/history';
import * as image from './pages/image';
import * as login from './pages/login';
import * as reset from './pages/reset';
import * as upload from './pages/upload';
import * as users from './pages/users';

startPages({
  login: login.init,
  forgot: forgot.init,
  reset: reset.init,
  upload: upload.init,
  history: history.init,
  image: image.init,
  account: account.init,
  users: users.init,
});
