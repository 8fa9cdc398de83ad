/** CSS files imported as text (esbuild's `text` loader, scripts/bundle.map.mjs). */
declare module '*.css' {
  const text: string;
  export default text;
}
