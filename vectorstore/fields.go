package vectorstore

import (
	"maps"
	"slices"
)

// Fields returns the metadata keys that at least one record has a
// non-empty value for, sorted: the keys a Filter can select on.
//
// It reads every record's metadata from the log the first time it (or a
// filtered query) needs them; should that fail, the notice says why and
// the keys of the records read so far are returned.
func (s *Store) Fields() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := make(map[string]bool)
	metas, err := s.metas()
	if err != nil {
		s.notify("vectorstore: list the metadata fields: %v", err)
	}
	for _, m := range metas {
		for k, v := range m {
			if v != "" {
				seen[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
