/**
 * Writes `reports/summary.schema.json` from the zod `SummarySchema` (run from the repository root with
 * `npm run schema`, which then formats it with prettier). It lives here, not in reports/, because reports/ is pure
 * and may not touch the file system (test/architecture.test.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summaryJsonSchemaText } from '../../reports/summary.js';

const path = join('reports', 'summary.schema.json');
writeFileSync(path, summaryJsonSchemaText());
console.log(`wrote ${path}`);
