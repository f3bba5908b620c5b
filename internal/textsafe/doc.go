// Package textsafe makes text from the input files safe to show as one line
// on a terminal, in a table or on a web page: what a reader sees is what
// the text says.
//
// Titles, labels and authors come from files papermap did not write. A
// title holding U+202E RIGHT-TO-LEFT OVERRIDE shows its characters reversed
// and spills the reversal onto the rest of a table row; an ESC starts a
// terminal escape sequence that can recolour or rewrite the screen; a
// zero-width space makes two identical-looking titles differ. Line removes
// all of these, so the CLI's tables and the topic map's HTML and SVG show
// the same, plain text.
package textsafe
