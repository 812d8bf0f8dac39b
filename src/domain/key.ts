/**
 * A configured term's key (a service, site, area, topic...): records carry keys, never labels, so a
 * record keeps its meaning when the centre renames a term.
 */
import { z } from 'zod';

export const Key = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a lower-case key such as "meal" or "hot-drink"');
