import { Fragment } from 'react';

/**
 * A certificate fingerprint (`AB:CD:…`, 32 bytes) in a fixed-width block that
 * wraps only between bytes, 16 to a line where there is room: read aloud or
 * compared with another screen, a pair is never split across lines.
 */
export function Fingerprint({ value, testId, className = '' }: { value: string; testId?: string; className?: string }) {
  const bytes = value.split(':');
  return (
    <code data-testid={testId} className={`block max-w-[48ch] font-mono text-xs leading-5 select-all ${className}`}>
      {bytes.map((byte, index) => (
        <Fragment key={index}>
          {byte}
          {index < bytes.length - 1 && (
            <>
              :<wbr />
            </>
          )}
        </Fragment>
      ))}
    </code>
  );
}
