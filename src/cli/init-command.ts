import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { INIT_TEMPLATE } from '../config/init-template.js';
import { SluiceError } from '../core/errors.js';
import { info, printJson } from './output.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a commented starter project file (sluice.yml)')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print {"path": …} as JSON')
    .addHelpText(
      'after',
      '\nThe file path is --config (default sluice.yml). Edit it, then run `sluice sync`.\n\n' +
        'Examples:\n  sluice init\n  sluice init --config projects/shop.yml --force',
    )
    .action(async (flags: { force?: boolean; json?: boolean }, command: Command) => {
      const file = path.resolve(command.optsWithGlobals<{ config: string }>().config);
      try {
        await writeFile(file, INIT_TEMPLATE, { flag: flags.force ? 'w' : 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new SluiceError('USAGE', `${file} already exists`, {
            hint: 'pass --force to overwrite it, or --config <other file>',
          });
        }
        throw error;
      }
      if (flags.json) printJson({ path: file });
      else info(`wrote ${file}\nnext: set SHOP_PASSWORD, edit the connections, then run \`sluice sync\``);
    });
}
