// The retry policy's bounds, and the mapping of ZooKeeper error codes to typed errors.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/proto/index.js';
import {
  BadVersionError,
  ConnectionLossError,
  NoNodeError,
  SessionExpiredError,
  ZooKeeperError,
  errorForCode,
  retriesMaxLimit,
  retryDelayMs,
} from '../../src/client/index.js';
import { isRetryable } from '../../src/client/retry.js';

describe('retry policy', () => {
  const policy = { retriesMax: 5, initialDelayMs: 100, maxDelayMs: 1000 };

  it('doubles the pause per retry, with jitter in its upper half, capped at maxDelayMs', () => {
    assert.deepEqual([0, 1, 2, 3, 4].map((retry) => retryDelayMs(policy, retry, () => 0.999)), [99, 199, 399, 799, 999]);
    assert.deepEqual([0, 1, 2, 3, 4].map((retry) => retryDelayMs(policy, retry, () => 0)), [50, 100, 200, 400, 500]);
  });

  it('allows no more than retriesMax retries, and never more than the hard limit', () => {
    assert.equal(retryDelayMs(policy, 5, () => 0), undefined);
    assert.equal(retryDelayMs({ ...policy, retriesMax: 1000 }, retriesMaxLimit, () => 0), undefined);
  });

  it('retries only a lost connection', () => {
    assert.ok(isRetryable(new ConnectionLossError()));
    assert.ok(!isRetryable(new SessionExpiredError()));
    assert.ok(!isRetryable(new NoNodeError()));
  });
});

describe('typed errors', () => {
  it('maps each code to its class, with name, code, path and cause', () => {
    const cause = new Error('socket reset');
    const error = errorForCode(ErrorCode.badVersion, { path: '/x', cause });
    assert.ok(error instanceof BadVersionError && error instanceof ZooKeeperError);
    assert.equal(error.name, 'BadVersionError');
    assert.equal(error.code, -103);
    assert.equal(error.path, '/x');
    assert.equal(error.cause, cause);
    assert.match(error.message, /bad version for \/x/);
  });

  it('has a class for every code ZooKeeper defines', () => {
    for (const [name, code] of Object.entries(ErrorCode)) {
      if (code === 0) continue;
      const error = errorForCode(code);
      assert.notEqual(error.constructor, ZooKeeperError, `${name} has its own class`);
      assert.equal(error.code, code);
    }
  });

  it('keeps an unknown code', () => {
    const error = errorForCode(-999);
    assert.equal(error.code, -999);
    assert.ok(error instanceof ZooKeeperError);
  });
});
