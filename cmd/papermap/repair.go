package main

import (
	"context"
	"fmt"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/weaviate"
)

const repairUsage = `Usage: papermap repair [flags]

Recovers a store whose paper log was damaged (a disk error, a file edited by
hand): every intact paper is kept and the damaged records are dropped. The
count of papers kept is printed; re-ingest the original files afterwards to
put back any paper that was lost (papers already stored are skipped).
Repair mends the paper log only: if the store's manifest or model is damaged
too, it says so and fails (re-ingest into a new store).

Flags:
  --store DIR   store directory (default ./papermap-store, env PAPERMAP_STORE)

Example:
  papermap repair --store lab-store && papermap ingest --store lab-store papers.jsonl
`

// RepairCommand recovers a damaged store.
type RepairCommand struct {
	m *Main
}

// Run implements command.
func (c *RepairCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("repair")
	store := c.m.storeFlag(fs)
	pos, err := parseArgs(fs, args, repairUsage, c.m.Stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: "repair takes no arguments", usage: repairUsage}
	}
	if weaviate.IsAddress(*store) {
		// Weaviate repairs its replicas itself; what papermap can do is
		// check: opening reads every paper and the manifest.
		cp, err := corpus.Open(ctx, *store, corpus.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		defer cp.Close()
		if ws, ok := cp.Store().(*weaviate.Store); ok {
			if err := ws.CheckComplete(ctx); err != nil {
				return err
			}
		}
		fmt.Fprintf(c.m.Stdout, "checked %s: %s papers read with their manifest, every shard has the replicas its consistency level needs; nothing to repair\n",
			*store, format.Int(cp.Len()))
		return nil
	}
	kept, err := vectorstore.Repair(ctx, *store)
	if err != nil {
		return err
	}
	// Repair mends the record log only: say so if the store is still
	// unusable (a damaged manifest or model) rather than claim success.
	cp, err := corpus.Open(ctx, *store, corpus.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("kept the %s intact papers of the record log of %s, but the store still cannot be used: %w", format.Int(kept), *store, err)
	}
	cp.Close()
	fmt.Fprintf(c.m.Stdout, "repaired %s: %s papers kept\n", *store, format.Int(kept))
	return nil
}
