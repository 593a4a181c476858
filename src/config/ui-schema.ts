// `ui`: the operator console served at /ui (and the in-memory traffic series it charts).
import { z } from 'zod';
import { section } from './schema-kit.js';

export const uiSchema = section({
  /** Serve the console at /ui/ and its series endpoint, /v1/console/timeseries. */
  enabled: z.boolean().default(true),
}).prefault({});
