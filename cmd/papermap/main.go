// Command papermap reads a pile of paper abstracts and tells you what is in
// it: themes with names, a map, and "which papers are like this one?".
//
// Run `papermap help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// Main is the program with its streams injected, so tests run it in-process.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Terminal, if set, says which of Stdout and Stderr are terminals
	// (tables, progress bars) instead of $PAPERMAP_FORCE_TTY and the OS.
	Terminal *Terminal
}

// command is one subcommand.
type command interface {
	Run(ctx context.Context, args []string) error
}

// usageError is a mistake in the command line; its usage text is printed.
type usageError struct {
	msg   string
	usage string
}

func (e *usageError) Error() string { return e.msg }

// Run runs papermap with args (without the program name) and returns the
// exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if m.Getenv == nil {
		m.Getenv = func(string) string { return "" }
	}
	m.streams()
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, mainUsage)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			if cmd := m.command(rest[0]); cmd != nil {
				_ = cmd.Run(ctx, []string{"--help"})
				return exitOK
			}
		}
		fmt.Fprint(m.Stdout, mainUsage)
		return exitOK
	case "version", "--version":
		fmt.Fprintln(m.Stdout, "papermap", version())
		return exitOK
	}
	cmd := m.command(name)
	if cmd == nil {
		fmt.Fprintf(m.Stderr, "papermap: unknown command %q\n\n%s", name, mainUsage)
		return exitUsage
	}
	err := cmd.Run(ctx, rest)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(m.Stderr, "papermap %s: %v\n", name, ue.msg)
		if ue.usage != "" {
			fmt.Fprintf(m.Stderr, "\n%s", ue.usage)
		}
		return exitUsage
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		fmt.Fprintf(m.Stderr, "papermap %s: interrupted\n", name)
		return exitInterrupted
	}
	fmt.Fprintf(m.Stderr, "papermap %s: %v\n", name, err)
	return exitFailure
}

func (m *Main) command(name string) command {
	switch name {
	case "ingest":
		return &IngestCommand{m: m}
	case "search":
		return &SearchCommand{m: m}
	case "similar":
		return &SimilarCommand{m: m}
	case "themes":
		return &ThemesCommand{m: m}
	case "map":
		return &MapCommand{m: m}
	case "report":
		return &ReportCommand{m: m}
	case "info":
		return &InfoCommand{m: m}
	case "analyze", "analyse":
		return &AnalyzeCommand{m: m}
	case "repair":
		return &RepairCommand{m: m}
	case "export":
		return &ExportCommand{m: m}
	case "reindex":
		return &ReindexCommand{m: m}
	}
	return nil
}

var mainUsage = `papermap turns a pile of paper abstracts into themes, a map and
"which papers are like this one?".

Usage:
  papermap <command> [flags] [arguments]

The main job, in one go:
  analyze   ingest files, find themes, write the map and the report

Commands:
  ingest    read papers from files and store their embeddings
  search    find papers by free text (or many queries from a file)
  similar   find the papers most like a stored paper
  themes    group the stored papers into named themes
  map       draw the topic map (.html, .svg, .png or .json)
  report    write the research report (.md or .html)
  info      show what a store holds
  export    write the papers and vectors for another program (chromem-go)
  reindex   re-embed every paper: refit the lexical model, or move to another
            Ollama model (--model)
  repair    recover a damaged store, keeping every intact paper

Every command takes --store DIR (default ./papermap-store, or $PAPERMAP_STORE).
search and similar use a store's approximate index from ` + indexThresholdText + ` papers on
($PAPERMAP_INDEX_THRESHOLD changes that number, -1: never; --exact scores
every paper).
--store weaviate://HOST:PORT/COLLECTION[?grpc=PORT] keeps the papers in a
Weaviate collection instead (API key from $WEAVIATE_API_KEY; reads and writes
at QUORUM, ?consistency=ONE|ALL to change it); export, reindex and repair
need a store directory. See docs/WEAVIATE.md.
Tables and progress bars are for terminals; piped output is tab-separated
(or JSON with --json) and progress is plain lines. PAPERMAP_FORCE_TTY=1 (or
a width in columns, e.g. 120) gives the terminal output through a pipe.
Run 'papermap help <command>' or 'papermap <command> --help' for its flags
and examples.

Examples:
  papermap analyze -o out testdata/seed-abstracts.txt
  papermap search "control variates for variance reduction"
  papermap similar 2404.12345
`

// version reports the module version the binary was built from.
func version() string {
	return buildVersion()
}
