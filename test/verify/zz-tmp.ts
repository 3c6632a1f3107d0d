import { verifyEndpoints } from '../../src/verify/verify-tables.js';
const r = await verifyEndpoints({ from: 'postgres://postgres@127.0.0.1/vt_a', to: 'postgres://postgres@127.0.0.1/vt_b' });
console.log(JSON.stringify(r.tables[0], null, 1));
