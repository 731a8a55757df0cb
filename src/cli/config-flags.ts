import type { Command} from '@commander-js/extra-typings';
import { Option } from '@commander-js/extra-typings';
import { type ConfigKey, type ConfigSource, configKeys } from '../config/config.js';

/** Adds one flag per config key, each documented with its environment variable. */
export function withConfigFlags<C extends Command<unknown[], Record<string, unknown>>>(command: C, keys: readonly ConfigKey[]): C {
  for (const key of keys) {
    const entry = configKeys[key];
    const option = new Option(entry.flag, `${entry.doc} [env ${entry.env}${entry.default ? `, default ${entry.default}` : ''}]`);
    command.addOption(option);
  }
  return command;
}

/**
 * Commander's parsed options → the config's flag source, for the keys the
 * command declared: a command's own option of the same name (restore-server's
 * `--peer-port`, the peer's port) is not a setting of this server.
 */
export function configFlagsFrom(options: Record<string, unknown>, keys: readonly ConfigKey[]): ConfigSource {
  const flags: ConfigSource = {};
  for (const key of keys) {
    const value = options[flagOptionName(key)];
    if (typeof value === 'string') flags[key] = value;
  }
  return flags;
}

/** Commander camel-cases the long flag: `--tls-cert` → `tlsCert`. */
function flagOptionName(key: ConfigKey): string {
  const long = configKeys[key].flag.split(' ')[0] as string;
  return long.replace(/^--/, '').replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
