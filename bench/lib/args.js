'use strict';

/** The value after `--<name>` on the command line, or `dflt` when the flag (or its value) is absent. */
function option(name, dflt) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
}

module.exports = { option };
