/**
 * Colour and progress for people at a terminal, and nothing for anyone else:
 * colour only when the stream is a TTY and NO_COLOR is unset (https://no-color.org),
 * progress only when stderr is a TTY, so logs and pipes get plain lines.
 */

export interface OutputStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export type Colour = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold';

const CODES: Record<Colour, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export function colourEnabled(stream: OutputStream, env: NodeJS.ProcessEnv = process.env): boolean {
  // NO_COLOR: "when present and not an empty string" disables colour.
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

export type Paint = (colour: Colour, text: string) => string;

export function painter(enabled: boolean): Paint {
  return enabled ? (colour, text) => `\u001b[${CODES[colour][0]}m${text}\u001b[${CODES[colour][1]}m` : (_colour, text) => text;
}

export interface Progress {
  /** Shows the step now running (replacing the previous one). */
  step(label: string): void;
  /** Clears the line; call before printing anything else. */
  done(): void;
}

const SILENT: Progress = { step: () => undefined, done: () => undefined };

/** One line on stderr that each step overwrites; silent without a TTY and in CI (whose log keeps every frame). */
export function progress(stream: OutputStream, env: NodeJS.ProcessEnv = process.env): Progress {
  if (stream.isTTY !== true || env.CI === 'true') return SILENT;
  const paint = painter(colourEnabled(stream, env));
  let shown = false;
  return {
    step(label) {
      stream.write(`\r\u001b[2K${paint('dim', `… ${label}`)}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\u001b[2K');
      shown = false;
    },
  };
}
