export * from './api.ts';
export * from './calls.ts';
export * from './ids.ts';
export * from './media/g711.ts';
export * from './media/level.ts';
export * from './media/rtp.ts';
export * from './org.ts';
export * from './realtime.ts';
