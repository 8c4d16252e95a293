// Usage: node --import ./scripts/register-ts.mjs examples/some-demo.ts
import { register } from 'node:module';
register('./ts-hooks.mjs', import.meta.url);
