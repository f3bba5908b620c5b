package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/internal/safefile"
	"github.com/papermap/papermap/vectorstore"
)

const exportUsage = `Usage: papermap export [flags] --format chromem FILE

Writes the stored papers, with their vectors, to FILE in another program's
format. The one format so far is chromem, a chromem-go database export
(github.com/philippgille/chromem-go v0.7.0: gob, gzip-compressed), which a
Go program loads with DB.ImportFromFile(FILE, KEY). It holds one collection
(--collection, default papermap) with a document per paper: ID, Content
(the text that was embedded: title and abstract), Metadata (the paper's
other fields: title, year, authors...) and Embedding (the stored vector).
The collection's metadata names the embedder (papermap.embedder,
papermap.dimensions), so that 'papermap ingest FILE' into a store of the
same embedder keeps the vectors; chromem-go's QueryEmbedding over the
collection returns the same papers as 'papermap search' for the same
query vector.

FILE is replaced if it exists (never through a symbolic link) and written
with mode 0600: the export holds every abstract. A failed export leaves no
partial FILE.

Flags:
  --store DIR                store directory (default ./papermap-store, env PAPERMAP_STORE)
  --format NAME              chromem (required)
  --collection NAME          collection name (default papermap)
  --encryption-key-file F    encrypt with AES-256-GCM, as chromem-go does, with
                             the 32-byte key in F (one trailing newline is ignored);
                             env PAPERMAP_CHROMEM_KEY gives the key itself
  --no-compress              plain gob instead of gob+gzip

Examples:
  papermap export --format chromem papers.gob.gz
  papermap export --store lab-store --format chromem --encryption-key-file key.txt lab.gob.gz.enc
`

// ExportCommand writes the store in another program's format.
type ExportCommand struct {
	m *Main
}

// Run implements command.
func (c *ExportCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("export")
	store := c.m.storeFlag(fs)
	formatName := fs.String("format", "", "output format (chromem)")
	collection := fs.String("collection", "", "collection NAME")
	keyFile := fs.String("encryption-key-file", "", "file holding a 32-byte key")
	noCompress := fs.Bool("no-compress", false, "plain gob")
	pos, err := parseArgs(fs, args, exportUsage, c.m.Stdout)
	if err != nil {
		return err
	}
	switch {
	case *formatName == "":
		return &usageError{msg: "--format is required (chromem)", usage: exportUsage}
	case *formatName != "chromem":
		return &usageError{msg: fmt.Sprintf("unknown format %q: use chromem", *formatName), usage: exportUsage}
	case len(pos) == 0:
		return &usageError{msg: "no output FILE", usage: exportUsage}
	case len(pos) > 1:
		return &usageError{msg: fmt.Sprintf("unexpected argument %q: one output FILE", pos[1]), usage: exportUsage}
	}
	key, err := c.m.chromemKey(*keyFile)
	if err != nil {
		return err
	}
	cp, err := corpus.Open(ctx, *store, corpus.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer cp.Close()
	if cp.Len() == 0 {
		return corpus.ErrEmpty
	}
	out := pos[0]
	opts := vectorstore.ChromemOptions{Collection: *collection, Uncompressed: *noCompress, EncryptionKey: key}
	err = safefile.Write(out, 0o600, func(w io.Writer) error { return cp.ExportChromem(ctx, w, opts) })
	if err != nil {
		return fmt.Errorf("export to %s: %w", out, err)
	}
	name := *collection
	if name == "" {
		name = vectorstore.DefaultChromemCollection
	}
	fmt.Fprintf(c.m.Stdout, "exported %s papers to %s (chromem-go, collection %q)\n", format.Int(cp.Len()), out, name)
	return nil
}

// chromemKey returns the chromem-go encryption key from --encryption-key-file
// or $PAPERMAP_CHROMEM_KEY ("" for none).
func (m *Main) chromemKey(file string) (string, error) {
	key := m.Getenv("PAPERMAP_CHROMEM_KEY")
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		key = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if len(key) != 32 {
			return "", fmt.Errorf("%s: the encryption key has %d bytes, want 32 (AES-256)", file, len(key))
		}
	}
	if key != "" && len(key) != 32 {
		return "", fmt.Errorf("PAPERMAP_CHROMEM_KEY has %d bytes, want 32 (AES-256)", len(key))
	}
	return key, nil
}
