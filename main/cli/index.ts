import { Command, CommanderError, Option } from 'commander';
import { appVersion } from '../app-paths.js';
import { validateBlueprintCommand } from './blueprint-command.js';
import { CliError } from './cli-error.js';
import { runStationCommand, type StationCommandOptions } from './station-command.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function buildCli(): Command {
  const program = new Command('benchline')
    .description('Benchline: bench station and hub for device-configuration centres')
    .version(appVersion())
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('station')
    .description('start a bench station (Electron window, or --headless on loopback)')
    .option('--headless', 'serve the UI and API on loopback instead of opening a window')
    .option('--data-dir <dir>', 'where the station keeps its database and api-token')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '4780')
    .option('--hub <url>', 'hub to report to')
    .option('--hub-token <token>', "this station's token from `benchline hub register-station`")
    .option('--drivers <list>', 'device drivers: sim,usb,ios,android,serial', 'sim')
    .option('--simulate <n>', 'make sure N simulated devices are plugged in at start', '0')
    .option('--sim-speed <factor>', '1 = real time, 1000 = a thousand times faster', '1')
    .option('--sim-fail-rate <p>', 'share of simulated steps that fail (0..1)', '0')
    .option('--sim-seed <s>', 'seed for repeatable simulated failures', '1')
    .addOption(new Option('--blueprint <file>', 'blueprint to use (repeatable)').argParser(collect).default([]))
    .action(async (opts: StationCommandOptions) => {
      await runStationCommand(opts, process.argv.slice(3));
    });

  const blueprint = program.command('blueprint').description('work with blueprint files');
  blueprint
    .command('validate <file>')
    .description('check a blueprint; exit 1 with line and field of every problem')
    .action((file: string) => validateBlueprintCommand(file));

  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv as string[]);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof CliError) {
      process.stderr.write(`benchline: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`benchline: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
