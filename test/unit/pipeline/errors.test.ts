import { describe, expect, it } from 'vitest';
import { ChangewatchError, ERROR_CODES, outcomeOf, redactUrl } from '../../../pipeline/errors.js';

describe('redactUrl', () => {
  it.each([
    [
      'https://planetarycomputer.example/x.tif?st=2021&sig=abc%2F',
      'https://planetarycomputer.example/x.tif?<redacted>',
    ],
    ['https://user:secret@host/path', 'https://host/path'],
    ['https://earth-search.aws.element84.com/v1/search', 'https://earth-search.aws.element84.com/v1/search'],
    ['s3://bucket/key?versionId=1', 's3://bucket/key?<redacted>'],
    ['../shared/data/a.tif', '../shared/data/a.tif'],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe('ChangewatchError', () => {
  it('carries its code, its outcome from the one table, and its cause', () => {
    const cause = new Error('ECONNRESET');
    const error = new ChangewatchError('E_NETWORK', 'stac: connection reset', { cause });
    expect(error.code).toBe('E_NETWORK');
    expect(error.outcome).toBe('retry');
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });
  it('maps every code to an outcome', () => {
    for (const entry of Object.values(ERROR_CODES))
      expect(['usage', 'retry', 'fail-aoi', 'no-scenes']).toContain(entry.outcome);
  });
  it('decides what the run does in one table: no scenes is not a failure, a broken config stops the run', () => {
    expect(outcomeOf(new ChangewatchError('E_NO_SCENES', 'kibali: no scene'))).toBe('no-scenes');
    expect(outcomeOf(new ChangewatchError('E_CONFIG', 'pool: run npm run build'))).toBe('usage');
    expect(outcomeOf(new ChangewatchError('E_READ', 'x.tif: truncated'))).toBe('fail-aoi');
    expect(outcomeOf(new Error('a bug'))).toBe('fail-aoi');
  });
});
