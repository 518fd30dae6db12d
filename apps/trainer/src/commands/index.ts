/** Every subcommand registers itself on the program; add a command by adding its file here. */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const commands: readonly RegisterCommand[] = [];
