import { useState } from 'react';
import { copyText } from '../lib/download';
import { Button, type ButtonVariant } from './Button';

/** Copies a value, and says so (or says to copy by hand when the browser refuses). */
export function CopyButton({ text, label = 'Copy', variant = 'secondary' }: { text: string; label?: string; variant?: ButtonVariant }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <>
      <Button
        variant={variant}
        size="sm"
        onClick={async () => {
          setState((await copyText(text)) ? 'copied' : 'failed');
          setTimeout(() => setState('idle'), 2500);
        }}
      >
        {state === 'copied' ? 'Copied' : label}
      </Button>
      <span role="status" className="sr-only">
        {state === 'copied' ? 'Copied to the clipboard' : state === 'failed' ? 'The browser did not allow copying; select the text and copy it' : ''}
      </span>
      {state === 'failed' && <span className="text-xs text-red-700">Select the text and copy it by hand.</span>}
    </>
  );
}
