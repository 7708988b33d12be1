import { useState } from 'preact/hooks';

export interface WasmDropProps {
  id: string;
  file: File | undefined;
  onFile: (file: File | undefined) => void;
  /** Whether a file must be given (create) or may be left out (update). */
  required: boolean;
}

/** A .wasm file, picked with the file input (keyboard) or dropped on the zone around it. */
export function WasmDrop({ id, file, onFile, required }: WasmDropProps) {
  const [over, setOver] = useState(false);
  return (
    <div
      class={`drop${over ? ' over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const dropped = e.dataTransfer?.files[0];
        if (dropped) onFile(dropped);
      }}
    >
      <label for={id}>Code (.wasm){required ? '' : ', to replace it'}</label>
      <input
        id={id}
        type="file"
        accept=".wasm,application/wasm"
        required={required}
        onChange={(e) => onFile(e.currentTarget.files?.[0])}
      />
      <span class="hint">
        {file ? `${file.name}, ${file.size.toLocaleString()} bytes` : 'or drop a .wasm file here'}
      </span>
    </div>
  );
}
