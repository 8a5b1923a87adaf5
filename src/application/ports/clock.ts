/** Clock port: the only place time enters the application. */
export interface Clock {
  readonly mode: 'system' | 'manual';
  now(): Date;
}
