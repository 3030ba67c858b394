// What the widget does differently from markdown-it on purpose, and why. The test fails on any
// other difference, and on an entry here that no longer differs.

/// Spec sections of constructs the widget does not support (markdown-it runs with them off too).
export const UNSUPPORTED_SECTIONS = [
  // `Title\n---` is a paragraph and a rule: while a reply streams, every paragraph would
  // otherwise be a heading-to-be for as long as its next line is unknown.
  'Setext headings',
  // `[text][ref]` with `[ref]: url` elsewhere: models write inline links.
  'Link reference definitions',
];

/// Example id → why the widget renders it differently.
export const DIFFERENCES = {
  'commonmark 25': 'named entities: the widget knows the ~50 replies use (&amp; &lt; &copy; &mdash; &eacute; …), '
    + 'not all 2,125 HTML names (that table would cost more than the renderer); the rest stay as typed',
  'commonmark 602': 'a bare URL starts a line or follows a space, *, _, ~ or ( (the GFM spec\'s rule); '
    + 'markdown-it\'s linkify also starts one after <',
  'gfm 493': '~~~not~~~: a run of other than two tildes is text, as the GFM spec says; markdown-it strikes the inner pair',
};
