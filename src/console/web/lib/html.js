// Preact with htm: components are written as tagged templates, and every interpolated value is set as
// text or as a property, never parsed as HTML.
import { cloneElement, h, render } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
export { cloneElement, render };
export { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
