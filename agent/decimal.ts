// The one way a number is read from text a person typed (a flag's value): plain decimal digits only.
// `Number()` takes "0x10" as 16, "1e3" as 1000, "" and " " as 0, and " 5" as 5: none of them is what was typed.

export interface DecimalRule {
  min: number;
  max: number;
  /** Digits only, no fraction. */
  whole?: boolean;
  /** What the number counts, for the message ("seconds"). */
  unit?: string;
}

const WHOLE = /^\d{1,15}$/;
const FRACTION = /^\d{1,15}(\.\d{1,15})?$/;

/** The number `text` spells under `rule`, or null when it spells none or one out of range. */
export function readDecimal(text: string, rule: DecimalRule): number | null {
  if (!(rule.whole ? WHOLE : FRACTION).test(text)) return null;
  const n = Number(text);
  return n >= rule.min && n <= rule.max ? n : null;
}

/** What `rule` asks for, as a person reads it: "expected a whole number of seconds from 1 to 86400". */
export function expectedDecimal(rule: DecimalRule): string {
  return `expected a ${rule.whole ? "whole number" : "number"}${rule.unit ? ` of ${rule.unit}` : ""} from ${rule.min} to ${rule.max} (decimal digits only)`;
}
