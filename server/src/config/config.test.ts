import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('has working defaults', () => {
    const config = loadConfig({}, '/srv/earshot');
    expect(config.http).toEqual({
      port: 8080,
      host: '127.0.0.1',
      allowedHosts: ['localhost', '127.0.0.1', '[::1]'],
    });
    // Bound elsewhere, the operator names the hosts (EARSHOT_ALLOWED_HOSTS); unset: any.
    expect(loadConfig({ HOST: '0.0.0.0' }).http.allowedHosts).toBeNull();
    expect(
      loadConfig({ HOST: '0.0.0.0', EARSHOT_ALLOWED_HOSTS: 'Earshot.example.com, 10.0.0.5' }).http
        .allowedHosts,
    ).toEqual(['earshot.example.com', '10.0.0.5']);
    expect(() => loadConfig({ EARSHOT_ALLOWED_HOSTS: 'a.example:8080' })).toThrow(
      /EARSHOT_ALLOWED_HOSTS/,
    );
    expect(config.dataDir).toBe('/srv/earshot/data');
    expect(config.simulator.enabled).toBe(false);
    expect(config.logFormat).toBe('auto');
    expect(config.ingest.minPort).toBeLessThan(config.ingest.maxPort);
    expect(config.ingest.priority).toBe('low');
    expect(loadConfig({ EARSHOT_MEDIA_PRIORITY: 'idle' }).ingest.priority).toBe('idle');
  });

  it('names every bad variable with its expected form', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        EARSHOT_SIMULATOR: 'maybe',
        EARSHOT_INGEST_TOKEN: 'short',
        EARSHOT_RTP_MIN_PORT: '70000',
        EARSHOT_RTP_LISTEN_IP: 'localhost',
        EARSHOT_LOG_FORMAT: 'xml',
        EARSHOT_MEDIA_PRIORITY: 'realtime',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'PORT="eighty"',
      'EARSHOT_SIMULATOR="maybe"',
      'EARSHOT_INGEST_TOKEN',
      'EARSHOT_RTP_LISTEN_IP="localhost"',
      'EARSHOT_LOG_FORMAT="xml"',
      'EARSHOT_MEDIA_PRIORITY="realtime"',
    ]) {
      expect(problems).toContain(name);
    }
    expect(problems).toMatch(/EARSHOT_RTP_MIN_PORT="70000": .*at most 65535/);
  });

  it('takes the stream integrations from the configuration: both halves or neither, in their forms', () => {
    const sid = `AC${'a'.repeat(32)}`;
    const streams = loadConfig({
      EARSHOT_PUBLIC_URL: 'https://earshot.example.com/cc',
      EARSHOT_AUDIOHOOK_API_KEY: 'audiohook-key-0123456789',
      EARSHOT_AUDIOHOOK_CLIENT_SECRET: Buffer.from('a secret of enough bytes').toString('base64'),
      EARSHOT_TWILIO_ACCOUNT_SID: sid,
      EARSHOT_TWILIO_AUTH_TOKEN: 'b'.repeat(32),
    }).streams;
    expect(streams.publicUrl?.host).toBe('earshot.example.com');
    expect(streams.audiohook?.apiKey).toBe('audiohook-key-0123456789');
    expect(streams.twilio).toEqual({ accountSid: sid, authToken: 'b'.repeat(32) });
    expect(streams.graceMs).toBe(10_000);
    expect(() => loadConfig({ EARSHOT_TWILIO_ACCOUNT_SID: sid })).toThrow(
      /EARSHOT_TWILIO_AUTH_TOKEN.*is needed with EARSHOT_TWILIO_ACCOUNT_SID/,
    );
    expect(() =>
      loadConfig({ EARSHOT_AUDIOHOOK_CLIENT_SECRET: 'c2VjcmV0c2VjcmV0c2VjcmV0' }),
    ).toThrow(/EARSHOT_AUDIOHOOK_API_KEY/);
    expect(() => loadConfig({ EARSHOT_PUBLIC_URL: 'earshot.example.com' })).toThrow(
      /EARSHOT_PUBLIC_URL/,
    );
    expect(() => loadConfig({ EARSHOT_SECRET_KEY: 'c2hvcnQ=' })).toThrow(
      /EARSHOT_SECRET_KEY.*32 bytes/,
    );
  });

  it('checks that each port range runs upwards', () => {
    expect(() =>
      loadConfig({ EARSHOT_RTP_MIN_PORT: '49000', EARSHOT_RTP_MAX_PORT: '48000' }),
    ).toThrow(/EARSHOT_RTP_MIN_PORT="49000": must be below EARSHOT_RTP_MAX_PORT/);
  });

  it('refuses overlapping RTP and WebRTC port ranges on one address', () => {
    expect(() =>
      loadConfig({ EARSHOT_RTP_MIN_PORT: '44000', EARSHOT_RTP_MAX_PORT: '46000' }),
    ).toThrow(/must not overlap/);
  });

  it('keeps recordings 90 days, or three hours in the demo, unless told otherwise', () => {
    expect(loadConfig({}).recordings.retentionDays).toBe(90);
    expect(loadConfig({ EARSHOT_SIMULATOR: 'on' }).recordings.retentionDays).toBe(0.125);
    expect(
      loadConfig({ EARSHOT_SIMULATOR: 'on', EARSHOT_RECORDING_RETENTION_DAYS: '0' }).recordings
        .retentionDays,
    ).toBe(0);
    expect(() => loadConfig({ EARSHOT_RECORDING_RETENTION_DAYS: 'forever' })).toThrow(
      /EARSHOT_RECORDING_RETENTION_DAYS/,
    );
  });

  it('lets a value set in the environment win and treats empty as unset', () => {
    expect(loadConfig({ EARSHOT_SIMULATOR: 'on', PORT: '' }).simulator.enabled).toBe(true);
    expect(loadConfig({ PORT: '' }).http.port).toBe(8080);
  });
});
