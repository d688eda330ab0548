import { Command } from 'commander';
import { appVersion } from '../app-paths.js';
import { validateBlueprintCommand } from './blueprint-command.js';
import { reportCliError } from './cli-error.js';
import { addFloorCommands } from './floor-commands.js';
import { addHubCommand } from './hub-command.js';
import { addLibraryCommands } from './library-command.js';
import { addSecretsCommands } from './secrets-command.js';
import { writeErrRaw, writeOutRaw } from './terminal-output.js';
import { addStationOptions, runStationCommand, type StationCommandOptions } from './station-command.js';

export function buildCli(): Command {
  const program = new Command('benchline')
    .description('Benchline: bench station and hub for device-configuration centres')
    .version(appVersion())
    .exitOverride()
    .configureOutput({ writeErr: writeErrRaw, writeOut: writeOutRaw });

  addStationOptions(program.command('station').description('start a bench station (Electron window, or --headless on loopback)')).action(
    async (opts: StationCommandOptions) => {
      await runStationCommand(opts, process.argv.slice(3));
    },
  );

  addHubCommand(program);
  addFloorCommands(program);
  addLibraryCommands(program);
  addSecretsCommands(program);

  const blueprint = program.command('blueprint').description('work with blueprint files');
  blueprint
    .command('validate <file>')
    .description('check a blueprint, variant or baseline; exit 1 with line and field of every problem')
    .option('--resolved', 'print the effective steps and where each comes from (baseline, blueprint, variant)')
    .action((file: string, opts: { resolved?: boolean }) => validateBlueprintCommand(file, opts));

  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    process.exitCode = reportCliError(err);
  }
}

await main(process.argv);
