import { AxiosError, CanceledError } from 'axios';
import { classifyTransportFailure } from '../../src/arcgis/arcgis-client';

/**
 * How a call that got no answer is classed. The ArcGIS client's tests against a real local server
 * reach the common cases (a hang, a reset, a refused port, a huge answer); the codes below are those
 * that axios and Node give for failures a local server cannot stage (a connect timeout, a broken pipe,
 * DNS), built as the same error objects axios throws.
 */
function axiosError(code: string | undefined, message = 'request failed'): AxiosError {
  return new AxiosError(message, code);
}

describe('classifyTransportFailure', () => {
  it.each(['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED'])('classes %s as a timeout', (code) => {
    expect(classifyTransportFailure(axiosError(code))).toEqual({ kind: 'timeout', code });
  });

  it('classes a cancelled request (the wall-clock deadline) as a timeout', () => {
    expect(classifyTransportFailure(new CanceledError('canceled'))).toEqual({ kind: 'timeout', code: 'ERR_CANCELED' });
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'EPIPE'])('classes %s as a reset, worth one retry', (code) => {
    expect(classifyTransportFailure(axiosError(code))).toEqual({ kind: 'reset', code });
  });

  it('classes a "socket hang up" without a code as a reset', () => {
    expect(classifyTransportFailure(axiosError(undefined, 'socket hang up'))).toEqual({ kind: 'reset', code: 'network error' });
  });

  it.each(['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_NETWORK', 'ERR_BAD_RESPONSE', 'HPE_INVALID_CONSTANT'])(
    'classes %s as a network failure that is not retried',
    (code) => {
      expect(classifyTransportFailure(axiosError(code))).toEqual({ kind: 'network', code });
    },
  );

  it('classes an answer over maxContentLength as too large, whatever its code', () => {
    expect(classifyTransportFailure(axiosError('ERR_BAD_RESPONSE', 'maxContentLength size of 65536 exceeded'))).toEqual({
      kind: 'too-large',
      code: 'ERR_BAD_RESPONSE',
    });
  });

  it.each([
    ['no code', axiosError(undefined)],
    ['a code in lower case', axiosError('econnreset')],
    ['a code with a space', axiosError('E CONN')],
    ['a code with text around it', axiosError('x ECONNRESET y')],
    ['a code that starts with a digit', axiosError('1ECONNRESET')],
  ])('shows "network error" for %s, never the raw code', (_what, err) => {
    expect(classifyTransportFailure(err)).toEqual({ kind: 'network', code: 'network error' });
  });

  it('ignores a code on an error that is not from axios, and anything that is not an Error', () => {
    const plain = Object.assign(new Error('boom'), { code: 'ETIMEDOUT' });

    expect(classifyTransportFailure(plain)).toEqual({ kind: 'network', code: 'network error' });
    expect(classifyTransportFailure('socket hang up')).toEqual({ kind: 'network', code: 'network error' });
    expect(classifyTransportFailure(undefined)).toEqual({ kind: 'network', code: 'network error' });
  });
});
