// METRICS_PORT and METRICS_HOST: metrics are off unless a port is given, and loopback-only by default.
import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig: metrics', () => {
  it('leaves metrics off when METRICS_PORT is unset or empty', () => {
    expect(loadConfig({}).metrics).toEqual({ port: undefined, host: '127.0.0.1' });
    expect(loadConfig({ METRICS_PORT: ' ' }).metrics.port).toBeUndefined();
  });

  it('listens on 127.0.0.1 by default, or on METRICS_HOST', () => {
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ port: 9464, host: '0.0.0.0' });
  });

  it('reports a METRICS_PORT that is not a port, or is the app port, naming the variable', () => {
    expect(() => loadConfig({ METRICS_PORT: 'abc' })).toThrow(/METRICS_PORT must be a port number \(got "abc"\)/);
    expect(() => loadConfig({ PORT: '4000', METRICS_PORT: '4000' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: '4000', METRICS_PORT: '4000' })).toThrow(/METRICS_PORT must differ from PORT/);
  });
});
