import { useRef } from 'preact/hooks';

/** A place in the text, 1-based, with what is wrong there. */
export interface Mark {
  line: number;
  column?: number;
  message: string;
}

export interface CodeEditorProps {
  id: string;
  value: string;
  onInput: (value: string) => void;
  /** Lines to mark in the gutter, with their messages. */
  marks: Mark[];
  rows?: number;
}

/** Puts the caret at a line and column of a textarea, and brings it into view. */
export function goTo(textarea: HTMLTextAreaElement, line: number, column = 1): void {
  const lines = textarea.value.split('\n');
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i]!.length + 1;
  offset += Math.max(0, Math.min(column - 1, lines[line - 1]?.length ?? 0));
  textarea.focus();
  textarea.setSelectionRange(offset, offset);
  const lineHeight = textarea.scrollHeight / Math.max(1, lines.length);
  textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

/**
 * A plain-text editor with line numbers; marked lines show in the gutter with their message, and
 * the list below the editor moves the caret to each (keyboard reachable).
 */
export function CodeEditor({ id, value, onInput, marks, rows = 16 }: CodeEditorProps) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const count = value.split('\n').length;
  const byLine = new Map<number, string[]>();
  for (const m of marks) byLine.set(m.line, [...(byLine.get(m.line) ?? []), m.message]);
  return (
    <div class="editor-wrap">
      <div class="editor">
        <div class="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: count }, (_, i) => (
            <div
              key={i}
              class={byLine.has(i + 1) ? 'marked' : undefined}
              title={byLine.get(i + 1)?.join('\n')}
            >
              {i + 1}
            </div>
          ))}
        </div>
        <textarea
          id={id}
          ref={area}
          class="code"
          rows={rows}
          wrap="off"
          spellcheck={false}
          value={value}
          aria-invalid={marks.length > 0}
          onInput={(e) => onInput(e.currentTarget.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
        />
      </div>
      {marks.length > 0 && (
        <ol class="problems" aria-label="Problems">
          {marks.map((m, i) => (
            <li key={i}>
              <button
                type="button"
                class="link"
                onClick={() => area.current && goTo(area.current, m.line, m.column)}
              >
                line {m.line}
                {m.column === undefined ? '' : `, column ${m.column}`}
              </button>
              : {m.message}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
