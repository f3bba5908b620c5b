// Package paper reads bibliographic records (paper abstracts) from the files
// researchers have at hand and turns them into Paper values with stable IDs
// and line-numbered errors.
//
// # Reading
//
// ReadFile reads a whole file; the format comes from its extension or, when
// that says nothing (or says .txt, the extension of Web of Science and
// PubMed exports), from its first bytes (DetectFormat):
//
//	papers, skipped, err := paper.ReadFile("abstracts.jsonl.gz", paper.Options{})
//	if err != nil {
//		return err // fatal: I/O, gzip, not a text file, broken JSON document
//	}
//	for _, e := range skipped {
//		log.Print(e) // "abstracts.jsonl.gz:17: invalid JSON: ..."
//	}
//	papers, dups := paper.Dedupe(papers)
//
// A Decoder does the same one record at a time, holding one record (one
// blank-line separated block for text) in memory, so inputs of any size
// stream:
//
//	d, err := paper.NewDecoder(os.Stdin, paper.Options{Format: paper.FormatBibTeX})
//	for {
//		p, err := d.Next()
//		if err == io.EOF {
//			break
//		}
//		var bad *paper.RecordError
//		if errors.As(err, &bad) {
//			continue // reported, skipped; the next record is fine
//		}
//		if err != nil {
//			return err
//		}
//		use(p)
//	}
//
// Every input may be gzip-compressed (recognised by its magic bytes, not its
// name), start with a UTF-8 byte order mark and use CRLF line ends. Lines
// may be of any length (there is no 64 KiB line limit), but a record is
// bounded: one longer than Options.MaxRecordBytes (DefaultMaxRecordBytes,
// 16 MiB, when zero) is a RecordError at the line where it starts ("FILE:LINE:
// record is longer than 16,777,216 bytes ..."), its bytes are skipped
// without being kept, and reading goes on with the next record. Memory use
// is a small multiple of the largest record read, and so of the bound.
//
// # Formats
//
// Text (FormatText), a web page saved as text: a title line, then its
// abstract. Two layouts are accepted: title and abstract on alternate lines
// (as in testdata/seed-abstracts.txt), and blocks separated by blank lines
// (a title line, then abstract lines joined with spaces). A line longer than
// 300 characters is an abstract, a shorter one a title; a short line is
// also an abstract when it has at least 80 characters, ends in a full stop
// and is not followed by a long line. A block of short lines is one paper
// when its lines after the first have 80 characters or more or end in a
// full stop ("Home" + "Trending papers" is not a paper). Page chrome is handled thus: short
// lines before the first paper that are not followed by an abstract are
// skipped; a line that is only a known chrome word (Subscribe, Sign in,
// Share, Download, PDF, ...) is skipped anywhere; such a word glued to the
// start of a title ("SubscribeEfficient LoFTR: ...") is stripped when what
// follows starts with a capitalised word, so "ShareGPT4V" is left alone.
// An abstract with no title line before it is a RecordError wherever it
// is; a short line with no abstract after it is page chrome before the
// first paper and a RecordError after it. Nothing else is dropped.
//
// JSON Lines (FormatJSONL): one object per line; a line that is not a JSON
// object is a RecordError and reading goes on. JSON (FormatJSON): an array
// of objects (streamed element by element), a single object, an object
// wrapping the array under "papers", "records", "items", "entries", "data",
// "results", "documents" or "docs", or several such values in a row. An
// element that is not valid JSON inside balanced brackets is a RecordError
// and reading goes on; a break in the document's structure (a missing comma
// between elements, a document cut short) is fatal, reported at its line,
// since the records after it cannot be found reliably.
//
// Field names (JSON keys, CSV/TSV header cells, BibTeX fields) are matched
// without regard to case, with spaces and dashes read as underscores:
//
//	id                    the record's ID (numbers become strings)
//	title
//	abstract, summary,    the first that is not empty (abstract_note:
//	abstract_note         Zotero's CSV "Abstract Note")
//	authors, author       "A, B and C", "Last, First and Last, First",
//	                      "A; B", a list of strings, a list of {"name"} or
//	                      {"given","family"} objects; else arXiv's
//	                      authors_parsed [[last, first, suffix], ...]
//	year, publication_year  a number or a string; else the year of published,
//	                      date, publication_date, issued, update_date,
//	                      created, or arXiv's versions[0].created; else,
//	                      for an arXiv id (0704.0001, hep-th/9901001),
//	                      the year in it
//	categories            "cs.LG stat.ML" (space, comma or semicolon
//	                      separated) or a list
//	doi                   resolver prefix removed, case kept as written
//	url, link             the first that is not empty (link: Scopus CSV)
//	accession, eid, pmid  a database's record number: the ID of a record
//	                      without id and DOI (eid: Scopus; pmid gives
//	                      "pmid:NNN"); also kept in Extra
//
// Every other field with a value (a string, a number, a boolean, or a list
// of those, joined by ", ") goes into Paper.Extra under its lower-case name:
// venue, archive, primary, keywords, booktitle, update_date, ...
//
// CSV (FormatCSV) and TSV (FormatTSV) need a header row naming a title or
// an abstract column (else the input is rejected as a whole). The exports
// of Zotero ("Title", "Abstract Note", "Publication Year", "Author",
// "DOI", "Url", "Key", "Manual Tags", ...), Scopus ("Authors", "Title",
// "Year", "Source title", "DOI", "Link", "Abstract", "Author Keywords",
// "EID", ...) and Mendeley-style files ("Title", "Authors", "Year",
// "Abstract", "DOI", "URL", ...) are read by these names; other columns go
// to Extra ("Source title" as source_title). A header with a title column
// but no abstract column is read, titles only, with one warning (a
// RecordError with Warning set, at the header's line) that says so. Quoted
// fields may span lines; a record's line is the line where it starts. A
// row with more or fewer fields than the header is a RecordError, as is a
// CSV row with a stray quote (TSV reads quotes leniently).
//
// BibTeX (FormatBibTeX), as the ACM Digital Library and others export it:
// @article, @inproceedings, @book, ... with {braced} or "quoted" values,
// numbers, @string macros and the month macros, joined with #. @comment
// and @preamble are ignored, text outside entries is a comment. LaTeX is
// converted to Unicode (\"{o} -> ö, \c{c} -> ç, \'{\i} -> í, \ss -> ß,
// \texttimes -> ×, -- -> –, $\epsilon$ -> ε, \& -> &); protective braces
// are removed; unknown commands are kept as written. author is split on
// " and " outside braces and kept as written ("Hendler, James"). The entry
// type goes into Extra["type"] and the citation key into Extra["citekey"].
// An entry without an abstract is kept with its title. An entry that does
// not close (unbalanced braces) is a RecordError at the line where it
// starts; reading resumes at the next line that starts with "@type{".
//
// RIS (FormatRIS, .ris), as Zotero, Mendeley, EndNote, Scopus, Web of
// Science and PubMed export it: "TY  - JOUR" lines, a record from TY to
// ER. TI, T1 (title); AB, N2 (abstract); AU, A1 (authors, one a line, kept
// as written: "Balázs, C."); PY, Y1 (year), DA (date); DO (DOI, also given
// as a URL); UR (url); KW (keywords, one a line); JO, JF, T2 (venue); TY
// (type); every other tag goes to Extra under a name (ID as ris_id, M3 as
// m3). A line without a tag continues the value before it. A record
// without ER before the next TY is a RecordError at its TY line; a last
// record without ER is read.
//
// Web of Science (FormatWoS): the plain text export (savedrecs.txt; also
// .ciw): "TI A title", a two-character tag and a space, continuation
// lines indented by three spaces, a record from PT to ER, the file framed
// by FN/VR and EF; and the tab-delimited export, a header row of the same
// tags (PT, AU, TI, ...). TI (title), AB (abstract), PY (year), DI (DOI),
// AF (full author names, one a line) or else AU ("Smith, J"), SO (venue),
// DE (keywords), ID (keywords_plus: not an identifier), UT (accession,
// the ID of a record without a DOI). A line inside a record that is
// neither a tag line nor indented makes the record a RecordError.
//
// MEDLINE (FormatMEDLINE), PubMed's .nbib and "PubMed format" text:
// "TI  - A title", a tag of up to four characters padded to four, "- ";
// continuation lines indented by six spaces; a record starts with PMID and
// ends at a blank line. TI (title), AB (abstract), FAU (full author names)
// or else AU, DP (year), LID or AID ending in "[doi]" (DOI), JT (venue),
// MH (mesh_terms), OT (keywords), PMID (pmid; "pmid:NNN" is the ID of a
// record without a DOI). A line inside a record that is neither a tag line
// nor indented makes the record a RecordError.
//
// # Text cleaning
//
// In every format, every text field is cleaned: invalid UTF-8 is replaced by
// U+FFFD and the record is kept (so one bad byte does not cost a paper);
// HTML entities (&amp; &lt; &#176;) are decoded; simple inline HTML and
// JATS tags are removed so that ACM's "The Semantic Web 10<sup>th</sup>
// Year Update" reads "The Semantic Web 10th Year Update" (block tags such
// as <p> and <br> become a space, any other '<' is kept, so "x<y" and
// "vector<bool>" survive); control characters are dropped and white space
// is collapsed to single spaces.
//
// # IDs
//
// A Paper's ID is, in order: the record's own id field; its DOI; its
// accession number (Web of Science UT, Scopus EID, "pmid:" and its PubMed
// ID); its BibTeX citation key; DeriveID(title, abstract), a hash of the
// normalised title ("t:" and 16 hex digits). IDs are kept as written, so
// that papermap's output joins with the user's own tables by ID: a DOI
// keeps its case ("10.1109/ASONAM.2011.23"); a DOI taken from a doi field
// loses only its resolver prefix. DOIs are case-insensitive, so two IDs
// are the same paper when their IDKey is equal: the DOI lower-cased
// without its prefix, any other ID as it is. IDs depend only on the
// record, never on its position, so the same input always yields the same
// IDs whatever the order of its records. Dedupe drops later records whose
// IDKey was already seen (the first spelling wins) and says whether they
// were identical copies (ContentHash) or different papers under one ID.
//
// # Errors
//
// Three kinds, told apart with errors.As:
//
//   - *RecordError: one record is unusable ("FILE:LINE: no title and no
//     abstract", "FILE:LINE: record is longer than ..."); it is skipped
//     and reading goes on. With Warning set it skips nothing and says what
//     is missing from the input ("FILE:1: warning: the header row names no
//     abstract column ..."); a reader gives at most one per input.
//   - *InputError: the input as a whole cannot be read further
//     ("FILE:LINE: invalid JSON: ...", "FILE: not a text file (binary data
//     at byte N)"); it wraps the cause: ErrNotText, a *json.SyntaxError, an
//     I/O or gzip error.
//   - io.EOF from Decoder.Next at the end.
//
// Binary input is recognised from its first 64 KiB (a NUL byte, or more than
// 10% control bytes and invalid UTF-8) and rejected before any record is
// returned; a NUL byte further on stops reading with the same error. UTF-16
// input is rejected with a hint to convert it.
//
// # Invariants
//
// Every Paper returned by a reader has a non-empty ID, a non-empty Title or
// Abstract, valid UTF-8 in every string, no leading, trailing or repeated
// white space in Title and Abstract, and a Source with Line >= 1. Every
// RecordError has a Pos with Line >= 1. Reading the same bytes twice gives
// the same Papers.
package paper
