import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INIT_TEMPLATE } from '../../src/config/init-template.js';
import { parseProject } from '../../src/config/load-project.js';

const FILE = join('/projects/demo', 'sluice.yml');
const ENV = { SHOP_PASSWORD: 'secret' };

describe('init template', () => {
  it('validates as written', () => {
    const project = parseProject(INIT_TEMPLATE, FILE, ENV);
    expect(project.syncs.map((s) => s.name)).toEqual(['shop-to-lake']);
    expect(project.control).toBe('sqlite:/projects/demo/.sluice/control.db');
  });

  it('validates with every commented-out setting switched on', () => {
    // Uncomments lines like `# control: …`, `    # streams:` and `    #   orders: {…}`.
    const uncommented = INIT_TEMPLATE.replace(/^(\s*)# (?=\s*\w+: )/gm, '$1');
    expect(uncommented).toContain('\ncontrol: sqlite:.sluice/control.db');
    const project = parseProject(uncommented, FILE, ENV);
    expect(project.syncs[0]?.streams.orders).toEqual({
      mode: 'incremental',
      cursor: 'updated_at',
      primaryKey: ['id'],
      disposition: 'merge',
    });
  });

  it('asks for the password variable it uses', () => {
    expect(() => parseProject(INIT_TEMPLATE, FILE, {})).toThrow(
      /SHOP_PASSWORD \(used in connections\.shop\.url\)/,
    );
  });
});
