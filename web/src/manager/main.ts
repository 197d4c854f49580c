// The manager's bundle (static/manager.js): every manager page loads it, and
// <body data-page="..."> says which page module runs. Kept apart from the
// worker's bundle, which does not need uPlot.

import { startPages } from '../common/bootstrap';
import * as account from './pages/account';
import * as login from './pages/login';
import * as policy from './pages/policy';
import * as pool from './pages/pool';

startPages({
  'manager-login': login.init,
  'manager-pool': pool.init,
  'manager-policy': policy.init,
  'manager-account': account.init,
});
