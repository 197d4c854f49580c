import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decisionsPath, managerLoginPath, metricsPath, nextAfterLogin, safeEntryUrl } from '../src/manager/urls';

describe('manager addresses', () => {
  it('goes back to ?next= after login, else to the pool, never off the site', () => {
    assert.equal(nextAfterLogin('?next=%2Fpolicy'), '/policy');
    assert.equal(nextAfterLogin(''), '/');
    assert.equal(nextAfterLogin('?next=https%3A%2F%2Fevil.example%2F'), '/');
    assert.equal(nextAfterLogin('?next=%2F%2Fevil.example'), '/');
    assert.equal(nextAfterLogin('?next=%2Flogin'), '/');
  });

  it('sends to /login with the page to come back to', () => {
    assert.equal(managerLoginPath('/'), '/login');
    assert.equal(managerLoginPath('/policy'), '/login?next=%2Fpolicy');
    assert.equal(managerLoginPath('//evil.example'), '/login');
  });

  it('clamps the query numbers to what the API accepts', () => {
    assert.equal(metricsPath(30), '/api/v1/metrics?minutes=30');
    assert.equal(metricsPath(0), '/api/v1/metrics?minutes=1');
    assert.equal(metricsPath(1000), '/api/v1/metrics?minutes=360');
    assert.equal(decisionsPath(50.7), '/api/v1/decisions?limit=50');
    assert.equal(decisionsPath(9999), '/api/v1/decisions?limit=500');
  });

  it('links the load balancer only when its URL is http(s)', () => {
    assert.equal(safeEntryUrl('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080/');
    assert.equal(safeEntryUrl('https://lb.example.com'), 'https://lb.example.com/');
    assert.equal(safeEntryUrl('javascript:alert(1)'), null);
    assert.equal(safeEntryUrl('not a url'), null);
  });
});
